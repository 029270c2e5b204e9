"""How many public submissions a client, and a region, may make in a while.

The count lives in the database (``public_submission_log``), not in process
memory, so every worker of every process sees the same window, on SQLite as
on PostgreSQL. Time is read from :mod:`core.clock` so tests move it.

Two submissions racing at the edge of a limit must not both get in:

* SQLite: the row is inserted *before* counting. The insert takes the
  database's single write lock, so the count that follows sees every
  committed submission and no other writer can slip in until this
  transaction ends.
* PostgreSQL: rows inserted by a concurrent transaction are invisible until
  it commits, so each limit key is also serialized with a transaction-scoped
  advisory lock, taken in a fixed order so two keys cannot deadlock.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import ApiError
from core.models.public import PublicSubmission


@dataclass(frozen=True)
class Limit:
    max_count: int
    window: timedelta


# A resident has a handful of matters at a time; a script has hundreds.
PER_CLIENT = Limit(5, timedelta(minutes=10))
# Bounds the flood one community's council has to screen, whatever the source.
PER_REGION = Limit(60, timedelta(minutes=10))


def too_many(retry_after: timedelta) -> ApiError:
    minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
    return ApiError(429, "rate_limited",
                    f"提交过于频繁，请 {minutes} 分钟后再试",
                    f"too many submissions, try again in {minutes} minute{'s' if minutes != 1 else ''}")


async def _serialize(session: AsyncSession, keys: list[str]) -> None:
    if session.bind.dialect.name != "postgresql":
        return
    for key in sorted(keys):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


async def _over(session: AsyncSession, column, value: str, limit: Limit) -> timedelta | None:
    """How long until a slot frees up if the window already holds more than the limit, else None."""
    now = clock.now()
    since = now - limit.window
    count, oldest = (await session.execute(
        select(func.count(), func.min(PublicSubmission.at))
        .where(column == value, PublicSubmission.at > since))).one()
    if count <= limit.max_count:
        return None
    # The submission just logged counts too; the window frees up when the
    # oldest one in it leaves.
    return (oldest + limit.window) - now if oldest is not None else limit.window


async def admit(session: AsyncSession, client_ip: str, region_code: str, *,
                per_client: Limit = PER_CLIENT, per_region: Limit = PER_REGION) -> PublicSubmission:
    """Log one submission from ``client_ip`` to ``region_code``, or refuse it with 429.

    The log row belongs to the caller's transaction: a submission that then
    fails validation rolls back and does not count.
    """
    await _serialize(session, [f"yishi.public.ip:{client_ip}", f"yishi.public.region:{region_code}"])
    row = PublicSubmission(at=clock.now(), client_ip=client_ip, region_code=region_code)
    session.add(row)
    await session.flush()
    waits = [wait for wait in (await _over(session, PublicSubmission.client_ip, client_ip, per_client),
                               await _over(session, PublicSubmission.region_code, region_code, per_region))
             if wait is not None]
    if waits:
        # A refused submission leaves nothing behind, even for a caller that
        # catches the error instead of rolling back.
        await session.delete(row)
        await session.flush()
        raise too_many(max(waits))
    return row


async def purge(session: AsyncSession, *, keep: timedelta = timedelta(days=1)) -> int:
    """Delete log rows older than ``keep`` (longer than any window); returns how many.

    For a periodic housekeeping job: the rows only ever matter inside a window.
    """
    result = await session.execute(delete(PublicSubmission).where(PublicSubmission.at < clock.now() - keep))
    return result.rowcount or 0
