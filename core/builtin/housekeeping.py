"""Built-in housekeeping jobs, part of the always-on ``core`` plugin.

No manifest here on purpose: the jobs belong to the ``core`` plugin declared
in ``core.builtin.platform``; a plugin without a manifest is always
consulted (it can't be switched off per region).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from core import clock, ratelimit
from core.audit.jobs import CHECKPOINT_SCHEDULE
from core.jobs import ScheduledJob, job
from core.models.account import AuthToken
from core.plugins import hookimpl

# Kept a while after expiry so "your session expired" can still be told
# apart from "unknown token" when a user comes back after a few days.
TOKEN_GRACE = timedelta(days=7)


@job(name="core.purge_expired_tokens", max_retries=3)
async def purge_expired_tokens(runtime, grace_days: int = TOKEN_GRACE.days) -> int:
    """Delete login tokens that expired or were revoked more than ``grace_days`` ago."""
    cutoff = clock.now() - timedelta(days=grace_days)
    async with runtime.sessions() as session, session.begin():
        result = await session.execute(
            delete(AuthToken).where(or_(AuthToken.expires_at < cutoff, AuthToken.revoked_at < cutoff))
        )
    return result.rowcount


@job(name="core.purge_rate_limit_windows", max_retries=3)
async def purge_rate_limit_windows(runtime) -> int:
    """Delete rate-limit windows that have ended (they never count again)."""
    async with runtime.sessions() as session, session.begin():
        return await ratelimit.purge(session)


@hookimpl(trylast=True)
def yishi_scheduled_jobs():
    return [
        ScheduledJob(
            name="core.purge_expired_tokens",
            # 19:30 UTC is 03:30 in China (UTC+8, no DST): the quietest hour.
            cron="30 19 * * *",
            job="core.purge_expired_tokens",
            description="Delete login tokens expired or revoked more than 7 days ago.",
        ),
        ScheduledJob(
            name="core.purge_rate_limit_windows",
            cron="40 19 * * *",
            job="core.purge_rate_limit_windows",
            description="Delete rate-limit windows that have ended.",
        ),
        CHECKPOINT_SCHEDULE,
    ]
