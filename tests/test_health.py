"""GET /healthz reports the database and the job broker, on both brokers."""
from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import create_async_engine

from core.app import create_app
from core.jobs.runtime import JobRuntime
from core.runtime import Runtime
from tests.jobs_fixtures import broker_kind, config, redis_namespace  # noqa: F401  (fixtures)


async def test_healthz_reports_database_and_broker(runtime, broker_kind, redis_namespace):
    # A quick worker poll keeps shutdown short; Redis keys go to this test's namespace.
    runtime.extras["jobs_options"] = {"worker_timeout_ms": 50, "namespace": redis_namespace or "yishi"}
    async with AsyncTestClient(app=create_app(runtime)) as client:
        # App start-up made the job runtime: a worker in-process when embedded.
        assert isinstance(runtime.extras["jobs"], JobRuntime)
        response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"status": "ok", "backend": runtime.engine.dialect.name}
    assert body["broker"] == {"status": "ok", "backend": broker_kind}
    # Shutdown stopped what start-up started.
    assert "jobs" not in runtime.extras


@pytest.mark.parametrize("broker_kind", ["redis"])
async def test_unreachable_redis_is_reported(runtime, broker_kind):
    # Port 1 refuses connections at once: a down Redis without a slow timeout.
    down = Runtime(config=replace(runtime.config, broker_url="redis://127.0.0.1:1/0"), engine=runtime.engine,
                   sessions=runtime.sessions, plugins=runtime.plugins)
    jobs = JobRuntime.for_app(down, namespace="yishi-test-down")
    await jobs.start()
    try:
        report = await jobs.health()
    finally:
        await jobs.stop()
    assert report["status"] == "error" and report["backend"] == "redis"
    assert "redis unreachable" in report["detail"]


async def test_a_down_database_is_named_without_the_drivers_text(runtime):
    # A database that cannot be reached at all, of the backend under test: a missing
    # directory for SQLite, a closed port for PostgreSQL.
    broken_url = (f"sqlite+aiosqlite:///{runtime.config.data_dir}/no-such-dir/yishi.sqlite3"
                  if runtime.config.is_sqlite else "postgresql+asyncpg://postgres@127.0.0.1:1/yishi_gone")
    runtime.extras["jobs_options"] = {"worker_timeout_ms": 50}
    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append
    logging.getLogger("yishi.health").addHandler(handler)
    async with AsyncTestClient(app=create_app(runtime)) as client:
        healthy_engine = runtime.engine
        # The plain engine: the app's own would create the missing directory.
        runtime.engine = create_async_engine(broken_url)
        try:
            response = await client.get("/healthz")
        finally:
            await runtime.engine.dispose()
            runtime.engine = healthy_engine
            logging.getLogger("yishi.health").removeHandler(handler)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["failed"] == ["database"]
    assert body["database"] == {"status": "error", "backend": runtime.engine.dialect.name,
                                "detail": "database check failed"}
    assert body["broker"]["status"] == "ok"
    # The driver's words (paths, hosts, errno) stay in the server log.
    for leaked in ("no-such-dir", "unable to open", "127.0.0.1", "Errno", "onnect", "yishi_gone"):
        assert leaked not in response.text, leaked
    [record] = logged
    assert "database failed" in record.getMessage()
    assert "unable to open" in record.getMessage() or "127.0.0.1" in record.getMessage()


@pytest.mark.parametrize("broker_kind", ["redis"])
async def test_a_down_broker_is_named_without_the_clients_text(runtime, broker_kind):
    # Port 1 refuses at once. The app gets a Runtime of its own: it runs on the test
    # client's loop, and asyncpg connections belong to the loop that opened them.
    down = Runtime.build(replace(runtime.config, broker_url="redis://127.0.0.1:1/0"), plugins=runtime.plugins)
    down.extras["jobs_options"] = {"worker_timeout_ms": 50, "namespace": "yishi-test-down"}
    async with AsyncTestClient(app=create_app(down)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"] and body["database"]["status"] == "ok"
    assert body["broker"] == {"status": "error", "backend": "redis", "detail": "broker check failed"}
    for leaked in ("127.0.0.1", "Errno", "onnect", "refused"):
        assert leaked not in response.text, leaked
