"""What an operator asks of the scheduled jobs: when each last and next fires,
and to fire one now.

Firing now goes through the outbox as the scheduler does (a row committed,
then handed to the broker), so a job run by hand is retried, recorded and
serialized exactly like a scheduled one. It records no schedule slot: the
next regular fire still happens when its cron says.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from croniter import croniter
from sqlalchemy import select

from core import clock
from core.jobs.outbox import DONE, FAILED, enqueue
from core.jobs.registry import UnknownJob, get_job
from core.jobs.scheduler import collect_scheduled_jobs
from core.models.jobs import OutboxJob, ScheduledFire


@dataclass(frozen=True)
class JobSchedule:
    name: str
    job: str
    cron: str
    description: str
    last_fire_at: datetime | None
    last_status: str | None
    next_fire_at: datetime


@dataclass(frozen=True)
class JobRun:
    outbox_id: int
    job: str
    status: str
    error: str | None


async def schedules(runtime) -> list[JobSchedule]:
    """Every scheduled job with its last fire (slot and how that run ended) and its next slot."""
    now = clock.now()
    found = []
    async with runtime.read_sessions() as session:
        for scheduled in sorted(collect_scheduled_jobs(runtime), key=lambda s: s.name):
            # A slot recorded without an outbox row is the baseline taken when the schedule was first seen.
            last = (await session.execute(
                select(ScheduledFire.fire_at, OutboxJob.status)
                .outerjoin(OutboxJob, OutboxJob.id == ScheduledFire.outbox_id)
                .where(ScheduledFire.job_name == scheduled.name, ScheduledFire.outbox_id.is_not(None))
                .order_by(ScheduledFire.fire_at.desc()).limit(1))).first()
            found.append(JobSchedule(
                name=scheduled.name, job=scheduled.job, cron=scheduled.cron, description=scheduled.description,
                last_fire_at=last.fire_at if last else None, last_status=last.status if last else None,
                next_fire_at=croniter(scheduled.cron, now).get_next(datetime)))
    return found


def find_job(runtime, name: str) -> tuple[str, dict]:
    """The job (and its arguments) of the schedule called ``name``, or the registered job ``name`` itself."""
    for scheduled in collect_scheduled_jobs(runtime):
        if name in (scheduled.name, scheduled.job):
            return scheduled.job, dict(scheduled.kwargs)
    get_job(name)  # raises UnknownJob
    return name, {}


async def fire_now(runtime, name: str, *, wait: float | None = 600.0) -> JobRun:
    """Enqueue the job of ``name`` through the outbox and, unless ``wait`` is None, wait for it to end.

    With the embedded broker this process runs it (there is no other worker
    to hand it to); with Redis a ``yishi worker`` does, and this process only
    hands the row over.
    """
    from core.jobs.runtime import JobRuntime

    job_name, kwargs = find_job(runtime, name)
    jobs = JobRuntime(runtime, worker=runtime.config.embedded_broker, scheduler=False, dispatch=True)
    await jobs.start()
    try:
        async with runtime.sessions() as session, session.begin():
            row = await enqueue(session, job_name, **kwargs)
        outbox_id = row.id
        deadline = None if wait is None else asyncio.get_running_loop().time() + wait
        while True:
            async with runtime.read_sessions() as session:
                status, error = (await session.execute(
                    select(OutboxJob.status, OutboxJob.error).where(OutboxJob.id == outbox_id))).one()
            if status in (DONE, FAILED) or deadline is None or asyncio.get_running_loop().time() > deadline:
                return JobRun(outbox_id=outbox_id, job=job_name, status=status, error=error)
            await asyncio.sleep(0.2)
    finally:
        await jobs.stop()


__all__ = ["JobRun", "JobSchedule", "UnknownJob", "fire_now", "find_job", "schedules"]
