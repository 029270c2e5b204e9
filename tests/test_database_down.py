"""While the database cannot be reached (a PostgreSQL restart, a failover), a
request gets a 503 with Retry-After in both languages, not a 500: the client
may try again, and the fault drill (benchmarks/faults.sh) counts such answers."""
from __future__ import annotations

import socket

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.app import create_app
from core.db import make_engine, make_sessionmaker
from core.errors import database_unavailable
from core.runtime import Runtime


def _closed_port() -> int:
    # A port nothing listens on: bind, read the number, close.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dead_url() -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/yishi"


async def test_a_refused_connection_is_unavailable_and_a_constraint_is_not(tmp_path):
    engine = make_engine(_dead_url())
    with pytest.raises(Exception) as refused:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    await engine.dispose()
    assert database_unavailable(refused.value)

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(IntegrityError) as duplicate:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO t VALUES (1), (1)"))
    await engine.dispose()
    assert not database_unavailable(duplicate.value)


async def test_requests_while_the_database_is_away_answer_503_with_retry_after(runtime):
    app_runtime = Runtime.build(runtime.config, plugins=runtime.plugins)
    async with AsyncTestClient(app=create_app(app_runtime)) as client:
        # Started against a working database; now it goes away (the address stops answering).
        live = app_runtime.engine
        app_runtime.engine = make_engine(_dead_url())
        app_runtime.sessions = make_sessionmaker(app_runtime.engine)
        app_runtime.read_sessions = make_sessionmaker(app_runtime.engine)
        try:
            answer = await client.get("/api/v1/public/regions/330203001001/notices")
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "5"
            error = answer.json()["error"]
            assert error["code"] == "database_unavailable"
            assert "稍后重试" in error["message_zh"] and "try again" in error["message_en"]
            english = await client.get("/api/v1/public/regions/330203001001/notices",
                                       headers={"Accept-Language": "en"})
            assert english.json()["error"]["message"].startswith("the database is unavailable")
        finally:
            await app_runtime.engine.dispose()
            app_runtime.engine = live
