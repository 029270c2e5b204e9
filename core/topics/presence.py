"""Which of a topic's record tables hold a row for it, asked in one statement.

A topic's page gathers sections from several features (research, meetings,
notices, tasks, escalation …), each reading its own tables; for a topic early
in its procedure most of them are empty, and each empty read is a round trip.
The features name the tables they read (:func:`watch`); the first section to
ask runs one ``SELECT EXISTS(…), EXISTS(…), …`` over all of them (each an
index lookup on the topic column), and every section then skips the reads
the answer says are empty.

The answer is kept in the session until it writes anything (a flush that
adds or removes rows, or an INSERT/UPDATE/DELETE statement run through it),
so a view built after an action sees that action's rows.
"""
from __future__ import annotations

from sqlalchemy import Column, Table, TextClause, event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

_MEMO = "yishi.topic_presence"
# label → the column holding the topic's id; a table may be watched by several columns.
_WATCHED: dict[str, Column] = {}


def watch(table: Table, *columns: str) -> None:
    """Let :func:`has_rows` answer for ``table`` (by its ``topic_id``, or the columns named)."""
    for name in columns or ("topic_id",):
        _WATCHED[f"{table.name}.{name}"] = table.c[name]


_probe: tuple[tuple[str, ...], TextClause] | None = None


def _probe_statement() -> tuple[tuple[str, ...], TextClause]:
    """The probe, written once for the tables watched so far: building a select of a
    dozen subqueries and its cache key on every page cost more than running it."""
    global _probe
    labels = tuple(sorted(_WATCHED))
    if _probe is None or _probe[0] != labels:
        columns = ", ".join(
            f"EXISTS (SELECT 1 FROM {_WATCHED[label].table.name} WHERE {_WATCHED[label].name} = :topic_id)"
            f" AS {label.replace('.', '__')}" for label in labels)
        _probe = labels, text(f"SELECT {columns}")
    return _probe


async def _present(session: AsyncSession, topic_id: int) -> frozenset[str]:
    memo: dict[int, frozenset[str]] = session.sync_session.info.setdefault(_MEMO, {})
    if topic_id not in memo:
        labels, probe = _probe_statement()
        row = (await session.execute(probe, {"topic_id": topic_id})).one()
        memo[topic_id] = frozenset(label for label, found in zip(labels, row) if found)
    return memo[topic_id]


async def has_rows(session: AsyncSession, topic_id: int, table: Table, *columns: str) -> bool:
    """Whether ``table`` holds a row for the topic (by any of ``columns``, default ``topic_id``)."""
    wanted = [f"{table.name}.{name}" for name in columns or ("topic_id",)]
    unknown = [label for label in wanted if label not in _WATCHED]
    if unknown:
        raise LookupError(f"{', '.join(unknown)} not watched; call presence.watch() where the table is read")
    present = await _present(session, topic_id)
    return any(label in present for label in wanted)


def known_empty(session: AsyncSession | Session, topic_id: int, table: Table) -> bool:
    """True only when the topic's tables were asked about in this session and ``table`` had no row."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    present = sync.info.get(_MEMO, {}).get(topic_id)
    return present is not None and f"{table.name}.topic_id" in _WATCHED and f"{table.name}.topic_id" not in present


def _forget(session: Session) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush_context, _instances) -> None:
    if session.new or session.deleted:
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _forget(state.session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, _transaction) -> None:
    _forget(session)
