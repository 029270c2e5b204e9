"""The built-in token purge job and its schedule."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from core import clock
from core.builtin.housekeeping import purge_expired_tokens
from core.jobs.scheduler import Scheduler, collect_scheduled_jobs
from core.models import AuthToken, User

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)


async def test_purge_deletes_tokens_expired_or_revoked_over_a_week_ago(runtime, db):
    clock.set_now(NOW)
    user = User(username="purge", password_hash="x")
    db.add(user)
    await db.flush()
    tokens = {
        "long_expired": dict(expires_at=NOW - timedelta(days=8)),
        "recently_expired": dict(expires_at=NOW - timedelta(days=2)),
        "long_revoked": dict(expires_at=NOW + timedelta(hours=1), revoked_at=NOW - timedelta(days=9)),
        "recently_revoked": dict(expires_at=NOW + timedelta(hours=1), revoked_at=NOW - timedelta(days=1)),
        "valid": dict(expires_at=NOW + timedelta(hours=12)),
    }
    for name, times in tokens.items():
        db.add(AuthToken(token_hash=name.ljust(64, "0"), user_id=user.id, **times))
    await db.commit()

    assert await purge_expired_tokens(runtime) == 2
    kept = (await db.scalars(select(AuthToken.token_hash))).all()
    assert sorted(h.rstrip("0") for h in kept) == ["recently_expired", "recently_revoked", "valid"]


async def test_purge_is_scheduled_daily_by_the_builtin_plugin(runtime):
    scheduled = {job.name: job for job in collect_scheduled_jobs(runtime)}
    purge = scheduled["core.purge_expired_tokens"]
    assert purge.job == "core.purge_expired_tokens"

    clock.set_now(datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc))
    scheduler = Scheduler(runtime, [purge])
    assert await scheduler.tick() == []  # first sight: remembered, not fired
    clock.advance(timedelta(days=1))
    fires = await scheduler.tick()
    assert [fire.slot for fire in fires] == [datetime(2030, 3, 1, 19, 30, tzinfo=timezone.utc)]
