"""Background jobs end to end, on {embedded, Redis} × {SQLite, PostgreSQL}.

Schedules are driven by moving ``core.clock`` and calling ``tick()``;
only waiting for a worker to finish a job polls, with a bounded timeout.
"""
from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core import clock
from core.jobs import ScheduledJob, enqueue, job
from core.jobs.runtime import JobRuntime
from core.jobs.scheduler import Scheduler, collect_scheduled_jobs, latest_slot
from core.models import OutboxJob, ScheduledFire
from core.plugins import hookimpl
from core.builtin import make_plugin_manager
from core.runtime import Runtime
from tests.jobs_fixtures import (  # noqa: F401  (fixtures)
    FAST,
    broker_kind,
    config,
    make_jobs,
    outbox_rows,
    redis_namespace,
    wait_finished,
)

CALLS: Counter[str] = Counter()
_calls_lock = threading.Lock()


def _count(token: str) -> None:
    with _calls_lock:
        CALLS[token] += 1


@job(name="tests.jobs.record")
async def record(runtime, token: str) -> None:
    # Touch the database so the job really runs on the runtime's loop and engine.
    async with runtime.sessions() as session:
        await session.scalar(select(OutboxJob.id).limit(1))
    _count(token)


@job(name="tests.jobs.record_sync", queue="tests_sync")
def record_sync(runtime, token: str) -> None:
    _count(token)


@job(name="tests.jobs.always_fails", max_retries=2, min_backoff_ms=10, max_backoff_ms=40)
async def always_fails(runtime, token: str) -> None:
    _count(token)
    raise RuntimeError(f"boom {token}")


HOURLY = ScheduledJob(name="tests.hourly", cron="0 * * * *", job="tests.jobs.record", kwargs={"token": "hourly"})
T0 = datetime(2030, 1, 1, 10, 30, tzinfo=timezone.utc)


class HourlyPlugin:
    @hookimpl
    def yishi_scheduled_jobs(self):
        return [HOURLY]


@pytest.fixture
def plugin_host():
    return make_plugin_manager(extra_plugins=[HourlyPlugin()])


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def token() -> str:
    return uuid.uuid4().hex


async def enqueue_committed(runtime, name: str, **kwargs) -> int:
    async with runtime.sessions() as session, session.begin():
        row = await enqueue(session, name, **kwargs)
    return row.id


async def test_job_enqueued_in_committed_transaction_runs_and_is_done(runtime, make_jobs):
    await make_jobs()
    async_token, sync_token = token(), token()
    async_id = await enqueue_committed(runtime, "tests.jobs.record", token=async_token)
    sync_id = await enqueue_committed(runtime, "tests.jobs.record_sync", token=sync_token)

    for outbox_id in (async_id, sync_id):
        row = await wait_finished(runtime, outbox_id)
        assert (row.status, row.attempts, row.error) == ("done", 1, None)
        assert row.dispatched_at is not None and row.finished_at is not None
    assert CALLS[async_token] == 1 and CALLS[sync_token] == 1


async def test_job_enqueued_in_rolled_back_transaction_never_runs(runtime, make_jobs):
    jobs = await make_jobs()
    lost = token()
    with pytest.raises(RuntimeError):
        async with runtime.sessions() as session, session.begin():
            await enqueue(session, "tests.jobs.record", token=lost)
            raise RuntimeError("the change failed")

    # A later committed job in the same queue is the point by which the
    # rolled-back one would have run too.
    kept = token()
    await wait_finished(runtime, await enqueue_committed(runtime, "tests.jobs.record", token=kept))
    assert CALLS[kept] == 1 and CALLS[lost] == 0
    assert await jobs.sweep() == []
    assert [row.kwargs["token"] for row in await outbox_rows(runtime)] == [kept]


async def test_row_written_but_never_dispatched_runs_after_start(runtime, make_jobs):
    # The process that committed the row died before handing it over: no
    # job runtime is listening, so the row is left pending.
    t = token()
    outbox_id = await enqueue_committed(runtime, "tests.jobs.record", token=t)
    await asyncio.sleep(0.05)
    assert [row.status for row in await outbox_rows(runtime)] == ["pending"]

    await make_jobs()
    row = await wait_finished(runtime, outbox_id)
    assert row.status == "done" and CALLS[t] == 1


async def test_dispatched_job_not_yet_run_runs_once_after_restart(runtime, make_jobs):
    # First process: hands the job to its broker but has no worker, then stops.
    first = await make_jobs(worker=False)
    t = token()
    outbox_id = await enqueue_committed(runtime, "tests.jobs.record", token=t)
    for _ in range(200):
        if (await outbox_rows(runtime))[0].status == "dispatched":
            break
        await asyncio.sleep(0.01)
    await first.stop()
    assert CALLS[t] == 0

    # Second process: the embedded broker forgot the message, so start-up
    # hands the row over again; Redis kept it, so the worker just takes it.
    await make_jobs()
    row = await wait_finished(runtime, outbox_id)
    assert (row.status, row.attempts) == ("done", 1)
    await asyncio.sleep(0.1)  # room for a duplicate delivery to show up
    assert CALLS[t] == 1


async def test_message_lost_by_broker_is_handed_over_again(runtime, make_jobs, broker_kind):
    # A row marked dispatched whose message no broker holds: the process
    # died between claiming the row and sending it, or a Redis worker died.
    t = token()
    async with runtime.sessions() as session, session.begin():
        row = OutboxJob(actor="tests.jobs.record", kwargs={"token": t}, status="dispatched",
                        dispatched_at=clock.now())
        session.add(row)
    jobs = await make_jobs()

    if broker_kind == "redis":
        # Redis may still deliver it: nothing is re-sent within the lease.
        assert await jobs.sweep() == []
        clock.advance(jobs.lease + timedelta(minutes=1))
        assert await jobs.sweep() == [row.id]
    done = await wait_finished(runtime, row.id)
    assert done.status == "done" and CALLS[t] == 1


async def test_outbox_lease_setting_decides_when_a_lost_message_goes_again(runtime, broker_kind, redis_namespace):
    # YISHI_OUTBOX_LEASE_SECONDS reaches the runtime built from the config,
    # as in `yishi worker` and `yishi serve`.
    short = Runtime.build(replace(runtime.config, outbox_lease_seconds=120), plugins=runtime.plugins)
    jobs = JobRuntime(short, **FAST, worker=True, scheduler=False, dispatch=True,
                      namespace=redis_namespace or "yishi")
    t = token()
    async with short.sessions() as session, session.begin():
        row = OutboxJob(actor="tests.jobs.record", kwargs={"token": t}, status="dispatched",
                        dispatched_at=clock.now())
        session.add(row)
    try:
        await jobs.start()
        if broker_kind == "redis":
            clock.advance(timedelta(seconds=110))
            assert await jobs.sweep() == []  # the 900 s default would also say nothing here...
            clock.advance(timedelta(seconds=20))
            assert await jobs.sweep() == [row.id]  # ...but not here: 130 s is past the 120 s set
        done = await wait_finished(short, row.id)
        assert done.status == "done" and CALLS[t] == 1
    finally:
        await jobs.stop()
        await short.close()


async def test_failing_job_is_retried_then_marked_failed_with_error(runtime, make_jobs):
    await make_jobs()
    t = token()
    row = await wait_finished(runtime, await enqueue_committed(runtime, "tests.jobs.always_fails", token=t))
    assert row.status == "failed"
    assert row.attempts == 3  # the first run and max_retries=2 retries
    assert CALLS[t] == 3
    assert f"RuntimeError: boom {t}" in row.error
    assert row.finished_at is not None


async def test_scheduled_job_fires_when_clock_passes_its_slot(runtime, make_jobs):
    clock.set_now(T0)
    await make_jobs()
    # Plugins' jobs are collected; the timing below looks at this one only, so
    # that built-in jobs on other schedules do not muddle the slots.
    assert HOURLY in Scheduler(runtime).jobs()
    scheduler = Scheduler(runtime, [HOURLY])

    # First sight records the current slot without firing it.
    assert await scheduler.tick() == []
    clock.advance(timedelta(minutes=20))  # 10:50, no slot passed
    assert await scheduler.tick() == []

    clock.advance(timedelta(minutes=15))  # 11:05, past the 11:00 slot
    fires = await scheduler.tick()
    assert [(fire.name, fire.slot) for fire in fires] == [("tests.hourly", T0.replace(hour=11, minute=0))]
    assert await scheduler.tick() == []

    row = await wait_finished(runtime, fires[0].outbox_id)
    assert row.status == "done" and CALLS["hourly"] == 1


async def test_a_slot_fires_once_even_with_two_schedulers(runtime, make_jobs):
    clock.set_now(T0)
    await make_jobs()
    first, second = Scheduler(runtime, [HOURLY]), Scheduler(runtime, [HOURLY])
    await first.tick()
    await second.tick()
    clock.advance(timedelta(hours=1))  # 11:30

    results = await asyncio.gather(first.tick(), second.tick())
    fires = [fire for result in results for fire in result]
    assert len(fires) == 1
    # Had the second scheduler not seen the first's record, its insert
    # would still lose on the (job, slot) key.
    assert await second.fire(HOURLY, fires[0].slot) is None

    async with runtime.sessions() as session:
        recorded = (await session.scalars(
            select(ScheduledFire).where(ScheduledFire.job_name == "tests.hourly", ScheduledFire.outbox_id.is_not(None))
        )).all()
    assert [(fire.fire_at, fire.outbox_id) for fire in recorded] == [(fires[0].slot, fires[0].outbox_id)]
    assert len(await outbox_rows(runtime, "tests.jobs.record")) == 1
    await wait_finished(runtime, fires[0].outbox_id)
    assert CALLS["hourly"] == 1


async def test_slots_missed_while_down_fire_once_on_next_tick(runtime, make_jobs):
    clock.set_now(T0)
    await Scheduler(runtime, [HOURLY]).tick()

    # Nothing ran for three days; a fresh scheduler (a restart) catches up
    # with a single fire for the latest missed slot, not one per hour.
    clock.advance(timedelta(days=3, hours=2))
    await make_jobs()
    restarted = Scheduler(runtime, [HOURLY])
    fires = await restarted.tick()
    assert [fire.slot for fire in fires] == [datetime(2030, 1, 4, 12, 0, tzinfo=timezone.utc)]
    assert await restarted.tick() == []
    await wait_finished(runtime, fires[0].outbox_id)
    assert CALLS["hourly"] == 1


def test_latest_slot_includes_a_slot_exactly_now():
    on_the_hour = datetime(2030, 1, 1, 11, 0, tzinfo=timezone.utc)
    assert latest_slot("0 * * * *", on_the_hour) == on_the_hour
    assert latest_slot("0 * * * *", on_the_hour - timedelta(seconds=1)) == on_the_hour - timedelta(hours=1)


@pytest.mark.parametrize("broker_kind", ["embedded"])
async def test_scheduled_jobs_are_collected_from_plugins(runtime, broker_kind):
    names = {scheduled.name for scheduled in collect_scheduled_jobs(runtime)}
    assert {"tests.hourly", "core.purge_expired_tokens"} <= names


@pytest.mark.parametrize("broker_kind", ["redis"])
async def test_embedded_and_redis_runtimes_coexist_in_one_process(runtime, make_jobs, broker_kind):
    # Each runtime has its own broker and its own engine; a commit is handed
    # over by the runtime owning the engine it was made on.
    redis_jobs = await make_jobs()
    embedded = Runtime.build(replace(runtime.config, broker_url=None), plugins=runtime.plugins)
    embedded_jobs = JobRuntime(embedded, worker=True, scheduler=False, **FAST)
    await embedded_jobs.start()
    try:
        assert (redis_jobs.backend, embedded_jobs.backend) == ("redis", "embedded")
        assert redis_jobs.broker is not embedded_jobs.broker
        via_redis, via_memory = token(), token()
        redis_id = await enqueue_committed(runtime, "tests.jobs.record", token=via_redis)
        memory_id = await enqueue_committed(embedded, "tests.jobs.record_sync", token=via_memory)
        for runtime_, outbox_id in ((runtime, redis_id), (embedded, memory_id)):
            assert (await wait_finished(runtime_, outbox_id)).status == "done"
        assert CALLS[via_redis] == 1 and CALLS[via_memory] == 1
    finally:
        await embedded_jobs.stop()
        await embedded.close()
