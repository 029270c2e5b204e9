"""How often a key (a client, a region) may do something in a while.

The count lives in the database, so every worker of every process sees the
same window, on SQLite as on PostgreSQL. Time is read from :mod:`core.clock`
so tests move it.

Time is cut into fixed windows aligned to the epoch (a 10-minute limit's
windows start at :00, :10, …). Taking a slot is one statement on the
window's row::

    INSERT … VALUES (key, start, end, 1)
    ON CONFLICT (key, starts_at) DO UPDATE SET count = count + 1 WHERE count < max
    RETURNING count

so counting and recording are one atomic step, never a count followed by an
insert that a concurrent request can slip between. PostgreSQL locks the row
(a concurrent taker waits for this transaction to end, then sees its
count); SQLite runs the statement under its single write lock. A full
window returns no row and nothing is written. The row stays locked until the
caller's transaction ends, so a use that fails later and rolls back gives
its slot back with it.

A fixed window can admit up to twice the limit across a boundary (the end
of one window and the start of the next). That still bounds a flood, which
is what these limits are for, without a row per use.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.db import upsert_insert
from core.errors import ApiError
from core.models.ratelimit import RateLimitWindow

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_table = RateLimitWindow.__table__


@dataclass(frozen=True)
class Limit:
    max_count: int
    window: timedelta


def minutes_until(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds() / 60))


def too_many(retry_after: timedelta) -> ApiError:
    minutes = minutes_until(retry_after)
    return ApiError(429, "rate_limited",
                    f"提交过于频繁，请 {minutes} 分钟后再试",
                    f"too many submissions, try again in {minutes} minute{'s' if minutes != 1 else ''}")


def window_of(moment: datetime, length: timedelta) -> tuple[datetime, datetime]:
    start = EPOCH + ((moment - EPOCH) // length) * length
    return start, start + length


async def _take_one(session: AsyncSession, key: str, start: datetime, end: datetime, max_count: int) -> bool:
    if max_count < 1:
        return False
    insert = upsert_insert(session)(_table).values(key=key, starts_at=start, ends_at=end, count=1)
    statement = insert.on_conflict_do_update(
        index_elements=[_table.c.key, _table.c.starts_at],
        set_={"count": _table.c.count + 1},
        where=_table.c.count < max_count,
    ).returning(_table.c.count)
    return (await session.execute(statement)).first() is not None


async def take(session: AsyncSession, slots: Iterable[tuple[str, Limit]], *,
               refusal: Callable[[timedelta], ApiError] = too_many) -> None:
    """Count one use against every ``(key, limit)`` in ``slots``, or against none.

    Raises ``refusal(retry_after)`` (a 429) when any window is full, having
    changed nothing, even for a caller that catches the error instead of
    rolling back. The counts belong to the caller's transaction.
    """
    now = clock.now()
    taken: list[tuple[str, datetime]] = []
    # A fixed order, so two requests taking the same keys cannot deadlock on PostgreSQL.
    for key, limit in sorted(slots, key=lambda slot: slot[0]):
        start, end = window_of(now, limit.window)
        if not await _take_one(session, key, start, end, limit.max_count):
            for done in taken:
                await _give_back(session, *done)
            raise refusal(end - now)
        taken.append((key, start))


async def _give_back(session: AsyncSession, key: str, start: datetime) -> None:
    # This transaction still holds the row, so no one else counted in between.
    row = (_table.c.key == key, _table.c.starts_at == start)
    await session.execute(update(_table).where(*row).values(count=_table.c.count - 1))
    await session.execute(delete(_table).where(*row, _table.c.count == 0))


async def purge(session: AsyncSession) -> int:
    """Delete windows that have ended; returns how many. They never count again."""
    result = await session.execute(delete(_table).where(_table.c.ends_at <= clock.now()))
    return result.rowcount or 0
