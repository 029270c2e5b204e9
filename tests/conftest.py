"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each test gets a fresh database made from a migrated template (a copied
file for SQLite, ``CREATE DATABASE … TEMPLATE`` for PostgreSQL), so tests
see exactly what migrations make. An unreachable PostgreSQL or Redis fails
the test; it is never skipped. ``YISHI_TEST_BACKENDS=sqlite`` narrows a
quick local run.

Tests that start from the same data (a city's tenant file loaded, say)
declare it as a :class:`Seed` through the ``database_seed`` fixture: the seed is
written once per backend into a template of its own, the first time a test
asks for it, and each such test gets a fresh copy of that template instead
of writing the data anew.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class Seed:
    """Data that several tests start from. ``write(runtime)`` writes it through a
    runtime of its own with the clock frozen at ``now``; ``name`` names its
    template, so it must be unique among seeds."""
    name: str
    now: datetime
    write: Callable[[Runtime], Awaitable[None]]


@pytest.fixture
def database_seed() -> Seed | None:
    """What the test's database holds beyond migrations; a conftest overrides it."""
    return None


@dataclass(frozen=True)
class _SeedTemplate:
    database: str  # a file path (SQLite) or a database name (PostgreSQL)
    # The template's data directory: its audit key, checkpoints and uploads
    # belong to its audit chain and attachments, so every copy takes them along.
    data_dir: Path


async def _write_seed(seed: Seed, url: str, data_dir: Path) -> None:
    config = Config.from_env(database_url=url, broker_url=None, data_dir=data_dir, upload_dir=data_dir / "uploads")
    runtime = Runtime.build(config, plugins=make_plugin_manager())
    try:
        with clock.frozen_at(seed.now):
            await seed.write(runtime)
    finally:
        # Disposing closes every connection: PostgreSQL copies no template that is in use.
        await runtime.close()


@pytest.fixture(scope="session")
def _seed_templates(tmp_path_factory):
    """Built seed templates by (backend, seed name), made on first use."""
    built: dict[tuple[str, str], _SeedTemplate] = {}

    def get(backend: str, seed: Seed, migrated: str | Path) -> _SeedTemplate:
        key = (backend, seed.name)
        if key not in built:
            base = tmp_path_factory.mktemp(f"seed_{backend}_{seed.name}")
            data_dir = base / "data"
            data_dir.mkdir()
            if backend == "sqlite":
                database = str(base / "yishi.sqlite3")
                shutil.copy(migrated, database)
                url = f"sqlite+aiosqlite:///{database}"
            else:
                database = f"yishi_seed_{os.getpid()}_{seed.name}"
                pg_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
                         f"CREATE DATABASE {database} TEMPLATE {migrated}")
                url = pg_url(database)
            asyncio.run(_write_seed(seed, url, data_dir))
            built[key] = _SeedTemplate(database, data_dir)
        return built[key]

    yield get
    names = [t.database for (backend, _), t in built.items() if backend != "sqlite"]
    if names:
        pg_admin(*(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in names))


def _fresh_database_url(backend: str, request, tmp_path: Path, seed: Seed | None) -> tuple[str, callable]:
    migrated = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "pg_template")
    template = migrated
    if seed is not None:
        seeded = request.getfixturevalue("_seed_templates")(backend, seed, migrated)
        shutil.copytree(seeded.data_dir, tmp_path, dirs_exist_ok=True)
        template = seeded.database
    if backend == "sqlite":
        target = tmp_path / "yishi.sqlite3"
        shutil.copy(template, target)
        return f"sqlite+aiosqlite:///{target}", lambda: None
    name = f"yishi_t_{os.getpid()}_{next(_counter)}"
    pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    return pg_url(name), lambda: pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, database_seed) -> str:
    url, drop = _fresh_database_url(request.param, request, tmp_path, database_seed)
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
