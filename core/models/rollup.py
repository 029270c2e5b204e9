"""Running totals of topics per region, kept in the transaction that changes a topic.

The stats (core/stats) read a subtree's figures from a few rows here instead
of scanning topics and their history, so a city costs what a community does.
A row is one running total: ``figure`` says what is counted, ``item`` which value:

* ``step`` / ``status``: topics standing at that step / with that status;
* ``action``: history entries of that action. The stats add up the resolution
  actions among them; which actions those are is decided when reading, from
  the installed procedures, exactly as when the history itself was scanned;
* ``days``: closed topics by whole days (rounded down) from submission to their
  first history entry with the status closed.

A topic counts in its own region's rows (``own`` true) and in those of every
region above it (``own`` false). A region's subtree is the sum of both kinds;
a council scope, which reaches a region but nothing under it, reads ``own``.

How the totals are kept: in the unit of work, not in the services. Before each
flush, :func:`_count_flush` compares every topic in the session before and
after (a new one; its region, step or status changed; a deleted one) and adds
every new history entry; the differences wait in ``Session.info`` and reach the
database in one ``INSERT … ON CONFLICT DO UPDATE`` just before the transaction
commits (:func:`write_pending`). So every write path is counted without calling
anything: ``create_topic`` (the public door too), ``take_action``, escalation,
a notice closing, a plugin. Why at commit rather than at each flush: the rows of a city are touched by
every change in it; taken at commit they are held for the commit itself only.
The audit chain is sealed at commit too (core/audit/service.py), after these
rows in every transaction (this listener is registered first), so two
transactions cannot wait on each other through the two.

Writes that go around the ORM (bulk SQL, a data import) are not seen: run
``yishi stats rebuild`` after them (core/stats/recount.py).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Integer, String, event, inspect, select
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column
from sqlalchemy.orm.util import identity_key

from core.db import Base, code_column_type, upsert_insert, utcnow
from core.models.region import LEVEL_CODE_LENGTH
from core.models.topic import Topic, TopicEvent
from core.savepoints import began_within, frame_of

STEP = "step"
STATUS = "status"
ACTION = "action"
DAYS = "days"
CLOSED = "closed"
LEVEL_LENGTHS = tuple(sorted(LEVEL_CODE_LENGTH.values()))
# Rows per statement: well under SQLite's limit of bound parameters.
UPSERT_BATCH = 1000
_PENDING = "yishi.topic_rollups.pending"
_APPLIED = "yishi.topic_rollups.applied"

class TopicRollup(Base):
    __tablename__ = "topic_rollups"

    region_code: Mapped[str] = mapped_column(code_column_type(12), primary_key=True)
    own: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    figure: Mapped[str] = mapped_column(String(8), primary_key=True)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)


def counted_in(region_code: str) -> list[tuple[str, bool]]:
    """The rows a topic of ``region_code`` counts in: its own, then each region above it."""
    return [(region_code, True)] + [(region_code[:n], False) for n in LEVEL_LENGTHS if n < len(region_code)]


def whole_days(start: datetime, end: datetime) -> int:
    """Whole days from ``start`` to ``end``, rounded down (the recount computes the same in SQL)."""
    return (end - start) // timedelta(days=1)


# -- what a flush changes ---------------------------------------------------------

@dataclass
class _Topic:
    """A topic as the figures see it, before and after the flush (None: not there)."""

    created_at: datetime | None
    before: tuple[str, str, str] | None  # region, step, status
    after: tuple[str, str, str] | None
    new_events: list[TopicEvent]
    gone_events: list[TopicEvent]


def _default(column_name: str, value: Any) -> Any:
    if value is not None:
        return value
    default = Topic.__table__.c[column_name].default
    return default.arg if default is not None and default.is_scalar else None


def _now_and_then(topic: Topic) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    state = inspect(topic)
    after, before = [], []
    for name in ("region_code", "step", "status"):
        value = _default(name, getattr(topic, name))
        # active_history on these columns (core/models/topic.py) keeps the old value here.
        history = state.attrs[name].history
        before.append(history.deleted[0] if history.deleted else value)
        after.append(value)
    return tuple(before), tuple(after)


def _topics_of_flush(session: Session) -> dict[Any, _Topic]:
    changed: dict[Any, _Topic] = {}
    for obj in session.new:
        if isinstance(obj, Topic):
            _, after = _now_and_then(obj)
            changed[obj.id if obj.id is not None else obj] = _Topic(obj.created_at, None, after, [], [])
    for obj in session.dirty:
        if isinstance(obj, Topic):
            before, after = _now_and_then(obj)
            if before != after:
                changed[obj.id] = _Topic(obj.created_at, before, after, [], [])
    for obj in session.deleted:
        if isinstance(obj, Topic):
            before, _ = _now_and_then(obj)
            changed[obj.id] = _Topic(obj.created_at, before, None, [], [])
    new_events = [obj for obj in session.new if isinstance(obj, TopicEvent)]
    gone_events = [obj for obj in session.deleted if isinstance(obj, TopicEvent)]
    unknown = set()
    for events, attribute in ((new_events, "new_events"), (gone_events, "gone_events")):
        for entry in events:
            found = changed.get(entry.topic_id)
            if found is None:
                topic = session.identity_map.get(identity_key(Topic, entry.topic_id))
                if topic is None:
                    unknown.add(entry.topic_id)
                    continue
                _, after = _now_and_then(topic)
                found = changed[entry.topic_id] = _Topic(topic.created_at, after, after, [], [])
            getattr(found, attribute).append(entry)
    if unknown:
        # History added by id alone, its topic not loaded in this session.
        rows = session.connection().execute(
            select(Topic.id, Topic.created_at, Topic.region_code, Topic.step, Topic.status)
            .where(Topic.id.in_(sorted(unknown))))
        for topic_id, created_at, *now in rows:
            changed[topic_id] = _Topic(created_at, tuple(now), tuple(now), [], [])
        for events, attribute in ((new_events, "new_events"), (gone_events, "gone_events")):
            for entry in events:
                if entry.topic_id in unknown and entry.topic_id in changed:
                    getattr(changed[entry.topic_id], attribute).append(entry)
    return changed


def _first_closed(history: list[tuple[int, str, str, datetime]], new: list[TopicEvent],
                  gone: set[int]) -> datetime | None:
    times = [at for event_id, _action, status, at in history if status == CLOSED and event_id not in gone]
    times += [entry.at or utcnow() for entry in new if entry.status == CLOSED]
    return min(times) if times else None


def _moves(topic: _Topic) -> bool:
    """Whether the topic leaves its region (to another one, or deleted)."""
    return topic.before is not None and (topic.after is None or topic.before[0] != topic.after[0])


def _count_flush(session: Session) -> Counter:
    """What this flush changes in the totals."""
    delta: Counter = Counter()

    def add(region_code: str, figure: str, item: str, n: int) -> None:
        for code, own in counted_in(region_code):
            delta[(code, own, figure, str(item))] += n

    changed = _topics_of_flush(session)
    # The stored history is needed only when a topic's history moves with it
    # (another region, deleted), or when its resolution time may change.
    looked_up = set()
    for topic_id, topic in changed.items():
        closed = CLOSED in (topic.before and topic.before[2], topic.after and topic.after[2])
        closing_entries = any(e.status == CLOSED for e in topic.new_events + topic.gone_events)
        if isinstance(topic_id, int) and (_moves(topic) or closed and (topic.before != topic.after
                                                                        or closing_entries)):
            looked_up.add(topic_id)
    history: dict[int, list[tuple[int, str, str, datetime]]] = {}
    if looked_up:
        rows = session.connection().execute(
            select(TopicEvent.topic_id, TopicEvent.id, TopicEvent.action, TopicEvent.status, TopicEvent.at)
            .where(TopicEvent.topic_id.in_(sorted(looked_up))))
        for topic_id, *entry in rows:
            history.setdefault(topic_id, []).append(tuple(entry))

    for topic_id, topic in changed.items():
        stored = history.get(topic_id, [])
        gone = {entry.id for entry in topic.gone_events}
        if topic.before != topic.after:
            if topic.before is not None:
                region, step, status = topic.before
                add(region, STEP, step, -1)
                add(region, STATUS, status, -1)
            if topic.after is not None:
                region, step, status = topic.after
                add(region, STEP, step, 1)
                add(region, STATUS, status, 1)
        if _moves(topic):
            # Its stored history counts where the topic is; the entries of this flush come next.
            for action, n in Counter(action for _id, action, _status, _at in stored).items():
                add(topic.before[0], ACTION, action, -n)
                if topic.after is not None:
                    add(topic.after[0], ACTION, action, n)
        if topic.after is not None:
            for entry in topic.new_events:
                add(topic.after[0], ACTION, entry.action, 1)
            for entry in topic.gone_events:
                add(topic.after[0], ACTION, entry.action, -1)
        if topic_id in looked_up or not isinstance(topic_id, int):
            created_at = topic.created_at or utcnow()
            if topic.before is not None and topic.before[2] == CLOSED:
                first = _first_closed(stored, [], set())
                if first is not None:
                    add(topic.before[0], DAYS, whole_days(created_at, first), -1)
            if topic.after is not None and topic.after[2] == CLOSED:
                first = _first_closed(stored, topic.new_events, gone)
                if first is not None:
                    add(topic.after[0], DAYS, whole_days(created_at, first), 1)
    return delta


# -- pending until commit, savepoints included ---------------------------------------

@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush_context, _instances) -> None:
    delta = _count_flush(session)
    if any(delta.values()):
        session.info.setdefault(_PENDING, {}).setdefault(frame_of(session), Counter()).update(delta)


def write_pending(session: Session) -> None:
    """Write the pending totals now: one upsert, rows in key order (so concurrent
    writers lock shared rows in the same order). Called before every commit."""
    pending: dict[Any, Counter] = session.info.pop(_PENDING, None) or {}
    if not pending:
        return
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        # Written inside a savepoint: if it rolls back, so does this write, and the
        # deltas of the enclosing transactions must wait for the commit again
        # (even when they cancel out here, the savepoint's own may not survive).
        session.info.setdefault(_APPLIED, []).append((savepoint, pending))
    total: Counter = Counter()
    for delta in pending.values():
        total.update(delta)
    rows = [{"region_code": key[0], "own": key[1], "figure": key[2], "item": key[3], "total": n}
            for key, n in sorted(total.items()) if n]
    if not rows:
        return
    insert = upsert_insert(session)
    table = TopicRollup.__table__
    for start in range(0, len(rows), UPSERT_BATCH):
        statement = insert(table).values(rows[start:start + UPSERT_BATCH])
        session.connection().execute(statement.on_conflict_do_update(
            index_elements=[table.c.region_code, table.c.own, table.c.figure, table.c.item],
            set_={"total": table.c.total + statement.excluded.total}))


def settle(session: Session) -> None:
    """Flush, then write what is pending: the totals then include this transaction's own changes."""
    session.flush()
    write_pending(session)


def has_pending(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted or session.info.get(_PENDING))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Flushing first: objects still pending would otherwise be counted after the write.
    settle(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_APPLIED, None)
        return
    if not previous.nested:
        return
    pending: dict[Any, Counter] = session.info.setdefault(_PENDING, {})
    for frame in [f for f in pending if began_within(f, previous)]:
        del pending[frame]
    kept = []
    for savepoint, frames in session.info.get(_APPLIED, []):
        if not began_within(savepoint, previous):
            kept.append((savepoint, frames))
            continue
        for frame, delta in frames.items():
            if not began_within(frame, previous):
                pending.setdefault(frame, Counter()).update(delta)
    session.info[_APPLIED] = kept


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_APPLIED, None)
