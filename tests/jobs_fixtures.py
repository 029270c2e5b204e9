"""Fixtures for job tests: each test runs with the embedded broker and with Redis.

Import the fixtures into a test module (``from tests.jobs_fixtures import …``).
The ``config`` here replaces the conftest one for those modules only, adding
the broker URL. Redis gets a key namespace of its own per test, deleted
afterwards; an unreachable Redis fails the test rather than skipping it.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

import pytest
import pytest_asyncio
import redis
from sqlalchemy import select

from core.config import Config
from core.jobs.runtime import JobRuntime
from core.jobs.scheduler import Scheduler, collect_scheduled_jobs
from core.models import OutboxJob
from core.runtime import Runtime
from tests.conftest import REDIS_URL

BROKERS = ["embedded", "redis"]


@pytest.fixture(params=BROKERS)
def broker_kind(request) -> str:
    return request.param


@pytest.fixture
def redis_namespace(broker_kind) -> Iterable[str | None]:
    if broker_kind != "redis":
        yield None
        return
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RuntimeError(f"Redis at {REDIS_URL} is unreachable: {exc}. Start it (see README).") from exc
    namespace = f"yishi-test-{uuid.uuid4().hex[:12]}"
    yield namespace
    for key in client.scan_iter(match=f"{namespace}*", count=500):
        client.delete(key)
    client.close()


@pytest.fixture
def config(database_url, tmp_path, broker_kind) -> Config:
    return Config.from_env(
        database_url=database_url,
        broker_url=REDIS_URL if broker_kind == "redis" else None,
        data_dir=tmp_path,
        upload_dir=tmp_path / "uploads",
    )


# Short worker poll so start/stop and delayed retries take milliseconds.
FAST = dict(worker_threads=3, worker_timeout_ms=50, stop_timeout=5.0)


@pytest_asyncio.fixture
async def make_jobs(runtime, redis_namespace) -> AsyncIterator[Callable[..., Awaitable[JobRuntime]]]:
    """Start JobRuntimes for ``runtime`` (worker + dispatch, no scheduler loop by default); all stopped after."""
    started: list[JobRuntime] = []

    async def start(**options) -> JobRuntime:
        values = dict(FAST, worker=True, scheduler=False, dispatch=True, namespace=redis_namespace or "yishi")
        values.update(options)
        jobs = JobRuntime(runtime, **values)
        await jobs.start()
        started.append(jobs)
        return jobs

    yield start
    for jobs in reversed(started):
        await jobs.stop()


async def wait_finished(runtime, outbox_id: int, timeout: float = 10.0) -> OutboxJob:
    """Poll the outbox row until the worker finished it (done or failed)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with runtime.sessions() as session:
            row = await session.get(OutboxJob, outbox_id)
        if row is not None and row.status in ("done", "failed"):
            return row
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"outbox row {outbox_id} not finished after {timeout}s: {row and row.status}")
        await asyncio.sleep(0.02)


async def outbox_rows(runtime, actor: str | None = None) -> list[OutboxJob]:
    async with runtime.sessions() as session:
        query = select(OutboxJob).order_by(OutboxJob.id)
        if actor is not None:
            query = query.where(OutboxJob.actor == actor)
        return list((await session.scalars(query)).all())


@pytest_asyncio.fixture
async def job_runner(runtime, broker_kind):
    """Run one periodic job for real: a second runtime on the same database
    with a worker on the chosen broker, and a scheduler that knows only the
    named schedule. ``await job_runner(name)`` ticks it (the clock must have
    passed a slot) and waits for its job; ``await job_runner.baseline(name)``
    asserts that no slot is due. Uses ``broker_kind`` but not this module's
    ``config``, so the test's own runtime keeps the embedded default."""
    namespace = f"yishi-test-{uuid.uuid4().hex[:12]}"
    config = Config.from_env(database_url=runtime.config.database_url,
                             broker_url=REDIS_URL if broker_kind == "redis" else None,
                             data_dir=runtime.config.data_dir, upload_dir=runtime.config.upload_dir)
    job_runtime = Runtime.build(config, plugins=runtime.plugins)
    jobs = JobRuntime(job_runtime, **FAST, worker=True, scheduler=False, dispatch=True, namespace=namespace)
    await jobs.start()

    def scheduler(schedule_name: str) -> Scheduler:
        return Scheduler(job_runtime, [s for s in collect_scheduled_jobs(job_runtime) if s.name == schedule_name])

    async def run(schedule_name: str) -> int:
        fires = await scheduler(schedule_name).tick()
        assert len(fires) == 1, fires
        row = await wait_finished(job_runtime, fires[0].outbox_id)
        assert row.status == "done", row.error
        return fires[0].outbox_id

    async def baseline(schedule_name: str) -> None:
        assert await scheduler(schedule_name).tick() == []

    run.baseline = baseline
    yield run
    await jobs.stop()
    await job_runtime.close()
    if broker_kind == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{namespace}*", count=500):
            client.delete(key)
        client.close()
