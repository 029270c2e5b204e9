"""GET /healthz reports the database and the job broker, on both brokers."""
from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

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
