"""The notice expiry job: close every notice whose period has ended."""
from __future__ import annotations

import logging

from core.jobs import job
from core.notices.service import close_if_expired, expired_notice_ids

log = logging.getLogger(__name__)

CLOSE_EXPIRED = "notices.close_expired"


@job(name=CLOSE_EXPIRED, max_retries=3)
async def close_expired(runtime, batch: int = 500) -> int:
    """Close up to ``batch`` expired notices, each in its own transaction, so
    one bad topic does not hold back the others; returns how many closed."""
    async with runtime.read_sessions() as session:
        ids = await expired_notice_ids(session, batch)
    closed = 0
    for notice_id in ids:
        try:
            # Two runs may list the same notice: the row lock (PostgreSQL) or the
            # write lock (SQLite) lets the second see it closed and skip it.
            async with runtime.sessions() as session, session.begin():
                if await close_if_expired(session, notice_id) is not None:
                    closed += 1
        except Exception:
            # Left open, so the next run tries it again.
            log.exception("closing notice %s failed", notice_id)
    return closed
