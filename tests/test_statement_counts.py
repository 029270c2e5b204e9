"""What a topic's action and its page cost in SQL statements (issue 12's write target: at most 15).

Counted, not timed: every statement SQLAlchemy sends while the request is served
(``before_cursor_execute``, for the request's task only; SQLite's ``BEGIN IMMEDIATE``
left out, since PostgreSQL's BEGIN is not a cursor statement either). A feature that
adds a query per section, or reads the region's settings twice, fails here.
"""
from __future__ import annotations

import contextlib
import contextvars

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.test_consultation import (RESEARCH, act, client, plugin_host, topic_at_research,  # noqa: F401
                                     world)

ACTION_LIMIT = 15
# The topic, its region's plugins and settings, history, which sections have rows,
# screening, affected communities, research, region names.
YOUNG_TOPIC_PAGE_LIMIT = 9

_sink: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("statements", default=None)


@event.listens_for(Engine, "before_cursor_execute")
def _seen(conn, cursor, statement, parameters, context, executemany):
    sink = _sink.get()
    if sink is not None and not statement.startswith("BEGIN"):
        sink.append(" ".join(statement.split()))


@contextlib.contextmanager
def counted():
    statements: list[str] = []
    token = _sink.set(statements)
    try:
        yield statements
    finally:
        _sink.reset(token)


async def test_recording_research_costs_at_most_15_statements_and_answers_with_the_new_record(client):
    topic_id = await topic_at_research(client)
    assert (await act(client, "member", topic_id, "record_research", **RESEARCH)).status_code == 200
    with counted() as statements:
        answer = await act(client, "member", topic_id, "record_research", **RESEARCH)
    assert answer.status_code == 200, answer.text
    # The view after the action sees the action's own rows.
    assert len(answer.json()["research"]) == 2
    assert len(statements) <= ACTION_LIMIT, "\n".join(statements)
    # Two audit entries (the action's and the research record's), sealed at commit: one lock on
    # the head, one INSERT for both, no UPDATE of the head per entry.
    assert sum(s.startswith("UPDATE audit_head") for s in statements) == 1
    assert sum(s.startswith("INSERT INTO audit_entries") for s in statements) == 1
    assert statements.index(next(s for s in statements if s.startswith("UPDATE audit_head"))) >= \
        len(statements) - 3, "the head is locked at commit, after the answer was built"
    # The region's plugins and settings read once, for the action and its answer together.
    assert sum("FROM region_plugins" in s for s in statements) == 1


async def test_a_young_topics_page_reads_no_empty_section(client):
    topic_id = await topic_at_research(client)
    with counted() as statements:
        answer = await client.get(f"/api/v1/topics/{topic_id}", headers=client.headers_for["member"])
    assert answer.status_code == 200
    view = answer.json()
    assert view["meetings"] == [] and view["notices"] == [] and view["implementation"]["tasks"] == []
    assert len(statements) <= YOUNG_TOPIC_PAGE_LIMIT, "\n".join(statements)
    reads = [s for s in statements if not s.startswith("SELECT EXISTS")]
    for empty in ("FROM meetings", "FROM notices", "FROM tasks", "FROM escalations", "FROM ratings"):
        assert not [s for s in reads if empty in s], empty
