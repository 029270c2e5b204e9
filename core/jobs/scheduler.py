"""Firing periodic jobs: croniter for the slots, the database for memory.

Each fire is a ``ScheduledFire`` row written in the same transaction as the
outbox row it enqueues. The row's primary key (job name, slot) is what
makes a slot fire once: a second scheduler inserting the same slot gets an
IntegrityError and knows another took it. The latest row per job is also
how a restarted scheduler knows what it missed. Why not APScheduler or
periodiq: see core/jobs/README.md.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from croniter import croniter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import clock
from core.jobs.outbox import enqueue
from core.jobs.registry import ScheduledJob, UnknownJob, get_job
from core.models.jobs import ScheduledFire

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 20.0


def latest_slot(cron: str, moment: datetime) -> datetime:
    """The latest slot of ``cron`` at or before ``moment``."""
    # croniter's get_prev is strictly before its start; nudging the start
    # forward makes a slot falling exactly on ``moment`` count as due.
    return croniter(cron, moment + timedelta(microseconds=1)).get_prev(datetime)


def collect_scheduled_jobs(runtime: Runtime) -> list[ScheduledJob]:
    """Every plugin's scheduled jobs; all plugins, since a schedule is not per region."""
    found: dict[str, ScheduledJob] = {}
    for answer in runtime.plugins.hook.yishi_scheduled_jobs():
        for scheduled in answer or ():
            if not isinstance(scheduled, ScheduledJob):
                raise TypeError(f"yishi_scheduled_jobs returned {scheduled!r}, not a ScheduledJob")
            if scheduled.name in found:
                raise ValueError(f"two scheduled jobs are named {scheduled.name!r}")
            found[scheduled.name] = scheduled
    return list(found.values())


@dataclass(frozen=True)
class Fire:
    name: str
    slot: datetime
    outbox_id: int | None


class Scheduler:
    """Fires due slots on each :meth:`tick`; :meth:`run` ticks until told to stop.

    The first time a schedule is seen, its latest slot is recorded without
    firing (``outbox_id`` NULL): deploying a new weekly job should not run it
    at once for a week that passed before it existed. From then on, a tick
    fires the latest due slot if it is newer than the last one recorded;
    slots missed while nothing ran collapse into that one fire.
    """

    def __init__(
        self, runtime: Runtime, jobs: Sequence[ScheduledJob] | None = None, *, interval: float = DEFAULT_INTERVAL
    ):
        self.runtime = runtime
        self._jobs = list(jobs) if jobs is not None else None
        self.interval = interval

    def jobs(self) -> list[ScheduledJob]:
        if self._jobs is None:
            self._jobs = collect_scheduled_jobs(self.runtime)
        return self._jobs

    async def tick(self) -> list[Fire]:
        """Fire what is due now (by ``core.clock``); return the fires this scheduler won."""
        now = clock.now()
        fired: list[Fire] = []
        for scheduled in self.jobs():
            slot = latest_slot(scheduled.cron, now)
            last = await self._last_slot(scheduled.name)
            if last is not None and slot <= last:
                continue
            try:
                fire = await self.fire(scheduled, slot, baseline=last is None)
            except UnknownJob as exc:
                # One schedule naming a job whose plugin is gone must not stop the others.
                log.error("scheduled job %s: %s", scheduled.name, exc)
                continue
            if fire is not None and fire.outbox_id is not None:
                fired.append(fire)
        return fired

    async def fire(self, scheduled: ScheduledJob, slot: datetime, *, baseline: bool = False) -> Fire | None:
        """Record ``slot`` of ``scheduled`` and (unless ``baseline``) enqueue its job.

        Returns None when another scheduler recorded the slot first.
        """
        get_job(scheduled.job)
        try:
            async with self.runtime.sessions() as session, session.begin():
                outbox_id = None
                if not baseline:
                    row = await enqueue(session, scheduled.job, **scheduled.kwargs)
                    outbox_id = row.id
                session.add(ScheduledFire(job_name=scheduled.name, fire_at=slot, outbox_id=outbox_id))
                await session.flush()
        except IntegrityError:
            # The (job name, slot) key is taken: another scheduler fired this
            # slot, and our outbox row went with the rolled-back transaction.
            log.debug("slot %s of %s already fired elsewhere", slot, scheduled.name)
            return None
        if outbox_id is not None:
            log.info("fired %s for %s", scheduled.name, slot.isoformat())
        return Fire(scheduled.name, slot, outbox_id)

    async def _last_slot(self, name: str) -> datetime | None:
        async with self.runtime.read_sessions() as session:
            return await session.scalar(
                select(func.max(ScheduledFire.fire_at)).where(ScheduledFire.job_name == name)
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every ``interval`` seconds of real time until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                # A database hiccup must not end scheduling for the life of the process.
                log.exception("scheduler tick failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
            except asyncio.TimeoutError:
                pass
