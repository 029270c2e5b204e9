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

Two settings are cheap here, and set before anything reads the
configuration: the password hash cost (argon2's minimum instead of our
production default, which costs ~0.4 s per user made or login) and the job
worker's poll (50 ms instead of 1 s, what stopping each app's worker waits).
tests/test_passwords.py checks the production hash parameters. A value
already in the environment wins, to run the suite at production cost.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio

# Before the first import of core: core.auth.service hashes a password when imported.
for _name, _value in {"YISHI_PASSWORD_HASH_TIME_COST": "1", "YISHI_PASSWORD_HASH_MEMORY_KIB": "8",
                      "YISHI_PASSWORD_HASH_PARALLELISM": "1", "YISHI_JOB_WORKER_POLL_MS": "50"}.items():
    os.environ.setdefault(_name, _value)

from core import clock
from core.config import Config
from core.migrate import upgrade
from core.builtin import make_plugin_manager
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


class _PgCopies:
    """Fresh PostgreSQL databases copied from templates.

    ``CREATE DATABASE … TEMPLATE`` takes most of a second of the server's
    time, so the copy the next test of a template will get is made on a
    background thread while this one runs, and dropping a used copy waits
    there too. Templates never change once built, so a copy made early is the
    copy the test would have made.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yishi-pg-copies")
        self._spares: dict[str, Future[str]] = {}
        self._drops: list[Future[None]] = []

    @staticmethod
    def _copy(template: str) -> str:
        name = f"yishi_t_{os.getpid()}_{next(_counter)}"
        pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        return name

    def take(self, template: str) -> str:
        spare = self._spares.pop(template, None)
        name = spare.result() if spare is not None else self._copy(template)
        self._spares[template] = self._thread.submit(self._copy, template)
        return name

    def drop(self, name: str) -> None:
        self._drops = [d for d in self._drops if not d.done() or d.exception() is not None]
        self._drops.append(self._thread.submit(pg_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def forget(self, *templates: str) -> None:
        """Call before dropping a template: waits for its spare copy, and drops that."""
        for template in templates:
            spare = self._spares.pop(template, None)
            if spare is not None and spare.exception() is None:
                self.drop(spare.result())

    def close(self) -> None:
        self.forget(*list(self._spares))
        self._thread.shutdown(wait=True)
        failed = [d.exception() for d in self._drops if d.exception() is not None]
        if failed:
            raise RuntimeError(f"{len(failed)} test database(s) were not dropped") from failed[0]


@pytest.fixture(scope="session")
def _pg_copies() -> _PgCopies:
    copies = _PgCopies()
    yield copies
    copies.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(_pg_copies) -> str:
    name = f"yishi_tpl_{os.getpid()}"
    pg_admin(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    upgrade(pg_url(name))
    yield name
    _pg_copies.forget(name)
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
def _seed_templates(tmp_path_factory, _pg_copies):
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
        _pg_copies.forget(*names)
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
    copies = request.getfixturevalue("_pg_copies")
    name = copies.take(template)
    return pg_url(name), lambda: copies.drop(name)


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
