"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each test gets a fresh database made from a migrated template (a copied
file for SQLite, ``CREATE DATABASE … TEMPLATE`` for PostgreSQL), so tests
see exactly what migrations make. An unreachable PostgreSQL or Redis fails
the test; it is never skipped. ``YISHI_TEST_BACKENDS=sqlite`` narrows a
quick local run.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from core import clock
from core.config import Config
from core.migrate import upgrade
from core.plugins import make_plugin_manager
from core.runtime import Runtime

PG_SERVER = os.environ.get("YISHI_TEST_PG", "postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("YISHI_TEST_REDIS", "redis://127.0.0.1:6379/15")
BACKENDS = [b for b in os.environ.get("YISHI_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
_counter = itertools.count()


def pg_url(database: str, driver: str = "asyncpg") -> str:
    return f"postgresql+{driver}://{PG_SERVER}/{database}"


async def _pg_admin(*statements: str) -> None:
    import asyncpg

    user_host = PG_SERVER
    conn = await asyncpg.connect(f"postgresql://{user_host}/postgres", timeout=10)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def pg_admin(*statements: str) -> None:
    try:
        asyncio.run(_pg_admin(*statements))
    except OSError as exc:
        raise RuntimeError(f"PostgreSQL at {PG_SERVER} is unreachable: {exc}. Start it (see README).") from exc


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> str:
    name = f"yishi_tpl_{os.getpid()}"
    pg_admin(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    upgrade(pg_url(name))
    yield name
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _fresh_database_url(backend: str, request, tmp_path: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "yishi.sqlite3"
        shutil.copy(template, target)
        return f"sqlite+aiosqlite:///{target}", lambda: None
    template = request.getfixturevalue("pg_template")
    name = f"yishi_t_{os.getpid()}_{next(_counter)}"
    pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    return pg_url(name), lambda: pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    url, drop = _fresh_database_url(request.param, request, tmp_path)
    yield url
    drop()


@pytest.fixture
def config(database_url, tmp_path) -> Config:
    return Config.from_env(database_url=database_url, broker_url=None, data_dir=tmp_path,
                           upload_dir=tmp_path / "uploads")


@pytest.fixture
def plugin_host():
    return make_plugin_manager()


@pytest_asyncio.fixture
async def runtime(config, plugin_host) -> AsyncIterator[Runtime]:
    rt = Runtime.build(config, plugins=plugin_host)
    yield rt
    await rt.close()


@pytest_asyncio.fixture
async def db(runtime):
    """A session for arranging and checking data; commit explicitly.

    Read-only in the SQLite sense (core.db.read_only): its reads take no lock,
    so a test may keep it open while the app it calls writes. Its writes do
    take the lock, until it commits: commit before calling the app.
    """
    async with runtime.read_sessions() as session:
        yield session


@pytest.fixture(autouse=True)
def _reset_clock():
    clock.reset()
    yield
    clock.reset()
