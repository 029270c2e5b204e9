"""The transactional outbox: a job is a row written with the change that causes it.

``enqueue`` only adds an ``OutboxJob`` row to the caller's transaction, so a
rolled-back change never runs its job. Handing rows to the broker happens
after commit: a SQLAlchemy ``after_commit`` listener passes the ids written
in that transaction to the :class:`~core.jobs.runtime.JobRuntime` that owns
the engine. No request handler or service has to remember a ``flush()``:
committing is enough.

Every hand-over first *claims* the row (``pending`` → ``dispatched`` in one
UPDATE guarded by the old status), so the after-commit path, the periodic
sweep and a second process can race without sending a row twice. A claim
that is never followed by a send (the process died in between) is what the
start-up recovery and the lease in :mod:`core.jobs.runtime` repair.
"""
from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from core import clock
from core.jobs.registry import get_job
from core.models.jobs import OutboxJob

log = logging.getLogger(__name__)

PENDING = "pending"
DISPATCHED = "dispatched"
DONE = "done"
FAILED = "failed"

# Key in ``Session.info`` holding the outbox ids written by the current transaction.
_SESSION_KEY = "yishi.outbox_ids"
_ERROR_LIMIT = 4000

_table = OutboxJob.__table__


async def enqueue(session: AsyncSession, name: str, /, **kwargs: Any) -> OutboxJob:
    """Add job ``name`` with ``kwargs`` to the transaction of ``session``.

    The job is handed to the broker only once that transaction commits; if it
    rolls back, the job never existed. ``name`` must be a registered job (an
    unknown name is a programming error, refused here rather than in a
    worker much later); ``kwargs`` must be JSON values.
    """
    get_job(name)
    row = OutboxJob(actor=name, kwargs=kwargs, status=PENDING, attempts=0, created_at=clock.now())
    session.add(row)
    # The id is needed to hand the row over after commit; flushing also
    # surfaces a non-JSON argument here, in the caller's code.
    await session.flush()
    session.sync_session.info.setdefault(_SESSION_KEY, []).append(row.id)
    return row


# --- after-commit hand-over -------------------------------------------------


class Dispatcher(Protocol):
    def notify_committed(self, ids: list[int]) -> None: ...


# Keyed by the sync engine a session is bound to: several runtimes (one per
# test, or an app plus a CLI command) can live in one process, each with its
# own engine. Weak so a disposed engine does not keep its runtime alive.
_dispatchers: "weakref.WeakKeyDictionary[Any, Dispatcher]" = weakref.WeakKeyDictionary()
_dispatchers_lock = threading.Lock()


def register_dispatcher(engine: AsyncEngine, dispatcher: Dispatcher) -> None:
    with _dispatchers_lock:
        _dispatchers[engine.sync_engine] = dispatcher


def unregister_dispatcher(engine: AsyncEngine, dispatcher: Dispatcher) -> None:
    with _dispatchers_lock:
        if _dispatchers.get(engine.sync_engine) is dispatcher:
            del _dispatchers[engine.sync_engine]


def _base_engine(bind):
    engine = getattr(bind, "engine", bind)
    # A session bound to engine.execution_options(...) (core.db.read_only) has
    # its own Engine object over the same pool; the dispatcher is the base's.
    while getattr(engine, "_proxied", None) is not None:
        engine = engine._proxied
    return engine


@event.listens_for(Session, "after_commit")
def _hand_over_after_commit(session: Session) -> None:
    ids = session.info.pop(_SESSION_KEY, None)
    if not ids:
        return
    dispatcher = _dispatchers.get(_base_engine(session.bind)) if session.bind is not None else None
    if dispatcher is None:
        # No job runtime in this process (a CLI command, a test without one):
        # the rows stay pending and the next sweep or start-up hands them over.
        return
    dispatcher.notify_committed(list(ids))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_SESSION_KEY, None)


# --- row state transitions --------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    actor: str
    kwargs: dict[str, Any]


def _claimed(rows) -> list[Claimed]:
    return [Claimed(id=row.id, actor=row.actor, kwargs=dict(row.kwargs or {})) for row in rows]


async def claim_pending(
    sessions: async_sessionmaker[AsyncSession], ids: list[int] | None = None, *, limit: int = 500
) -> list[Claimed]:
    """Mark pending rows (all, or those among ``ids``) dispatched; return the ones this call won."""
    candidates = select(_table.c.id).where(_table.c.status == PENDING).order_by(_table.c.id).limit(limit)
    if ids is not None:
        candidates = candidates.where(_table.c.id.in_(ids))
    statement = (
        update(_table)
        # The status is checked again on the row itself: a concurrent claimer
        # that got there first makes this one match nothing.
        .where(and_(_table.c.id.in_(candidates.scalar_subquery()), _table.c.status == PENDING))
        .values(status=DISPATCHED, dispatched_at=clock.now())
        .returning(_table.c.id, _table.c.actor, _table.c.kwargs)
    )
    async with sessions() as session, session.begin():
        return _claimed((await session.execute(statement)).all())


async def claim_dispatched(
    sessions: async_sessionmaker[AsyncSession], *, before: datetime | None, limit: int = 500
) -> list[Claimed]:
    """Re-claim rows handed over (before ``before``, or all) but never finished.

    Re-claiming moves ``dispatched_at`` to now, which both restarts the lease
    and keeps a second recovering process from taking the same rows.
    """
    condition = _table.c.status == DISPATCHED
    if before is not None:
        condition = and_(condition, _table.c.dispatched_at < before)
    candidates = select(_table.c.id).where(condition).order_by(_table.c.id).limit(limit)
    statement = (
        update(_table)
        .where(and_(_table.c.id.in_(candidates.scalar_subquery()), condition))
        .values(dispatched_at=clock.now())
        .returning(_table.c.id, _table.c.actor, _table.c.kwargs)
    )
    async with sessions() as session, session.begin():
        return _claimed((await session.execute(statement)).all())


async def release(sessions: async_sessionmaker[AsyncSession], ids: list[int], error: str) -> None:
    """Give claimed rows back (the broker refused them) so a later sweep retries."""
    if not ids:
        return
    async with sessions() as session, session.begin():
        await session.execute(
            update(_table)
            .where(and_(_table.c.id.in_(ids), _table.c.status == DISPATCHED))
            .values(status=PENDING, dispatched_at=None, error=_clip(error))
        )


async def mark_started(sessions: async_sessionmaker[AsyncSession], outbox_id: int) -> bool:
    """Count an attempt; False when the row is not in flight (finished already, or unknown).

    Touching ``dispatched_at`` renews the lease, so a long retry sequence is
    not mistaken for a lost message.
    """
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(_table)
            .where(and_(_table.c.id == outbox_id, _table.c.status == DISPATCHED))
            .values(attempts=_table.c.attempts + 1, dispatched_at=clock.now())
        )
        return result.rowcount == 1


async def mark_done(sessions: async_sessionmaker[AsyncSession], outbox_id: int) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(_table)
            .where(_table.c.id == outbox_id)
            .values(status=DONE, error=None, finished_at=clock.now())
        )


async def mark_error(
    sessions: async_sessionmaker[AsyncSession], outbox_id: int, error: str, *, final: bool
) -> None:
    """Record a failed attempt; ``final`` when no retry follows."""
    values: dict[str, Any] = {"error": _clip(error)}
    if final:
        values.update(status=FAILED, finished_at=clock.now())
    async with sessions() as session, session.begin():
        await session.execute(update(_table).where(_table.c.id == outbox_id).values(**values))


async def extend_lease(sessions: async_sessionmaker[AsyncSession], outbox_id: int, until: datetime) -> None:
    """A retry was scheduled for ``until``: the lease counts from then, not from the last attempt."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(_table)
            .where(and_(_table.c.id == outbox_id, _table.c.status == DISPATCHED))
            .values(dispatched_at=until)
        )


def _clip(text: str) -> str:
    # Keep the end of a traceback: the innermost frames and the message matter most.
    return text if len(text) <= _ERROR_LIMIT else "…" + text[-(_ERROR_LIMIT - 1):]
