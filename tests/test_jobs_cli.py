"""``yishi jobs list`` and ``yishi jobs run``: an operator sees when each
scheduled job last and next fires, and fires one now through the outbox as
the scheduler does (here: closing a notice whose period has ended)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from core import clock
from core.cli import main
from core.models import TopicEvent
from core.models.jobs import OutboxJob
from core.models.notice import Notice
from core.notices import jobs as notice_jobs
from tests.test_notices import world  # noqa: F401  (fixture)


def _yishi(args: list[str], database_url: str, data_dir) -> object:
    env = {"YISHI_DATABASE_URL": database_url, "YISHI_DATA_DIR": str(data_dir), "YISHI_BROKER_URL": ""}
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


async def test_jobs_run_closes_an_expired_notice_and_list_shows_the_schedule(world, database_url, tmp_path):
    topic_id = await world.published()
    clock.advance(timedelta(days=7, minutes=10))

    listed = await asyncio.to_thread(_yishi, ["jobs", "list"], database_url, tmp_path)
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if row.startswith(notice_jobs.CLOSE_EXPIRED))
    assert "*/10 * * * *" in line

    ran = await asyncio.to_thread(_yishi, ["jobs", "run", notice_jobs.CLOSE_EXPIRED], database_url, tmp_path)
    assert ran.exit_code == 0, ran.output
    assert f"{notice_jobs.CLOSE_EXPIRED}: outbox #" in ran.output and ran.output.strip().endswith("done")

    world.db.expire_all()
    notice = await world.db.scalar(select(Notice).where(Notice.topic_id == topic_id))
    assert notice.status == "closed"
    last = await world.db.scalar(select(TopicEvent).where(TopicEvent.topic_id == topic_id)
                                 .order_by(TopicEvent.id.desc()).limit(1))
    assert (last.action, last.data["next"]) == ("notice_closed", "confirm_results")
    # It went through the outbox, one row, finished.
    rows = (await world.db.scalars(select(OutboxJob).where(OutboxJob.actor == notice_jobs.CLOSE_EXPIRED))).all()
    assert [r.status for r in rows] == ["done"]


async def test_jobs_run_refuses_an_unknown_job(database_url, tmp_path, runtime):
    ran = await asyncio.to_thread(_yishi, ["jobs", "run", "no.such.job"], database_url, tmp_path)
    assert ran.exit_code == 2
    assert "no.such.job" in ran.output
