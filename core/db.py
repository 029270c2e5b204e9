"""Database engine, sessions and the shared declarative base.

One metadata for every table (plugins included) so alembic sees the whole
schema. The schema itself is only ever made by migrations (``yishi db upgrade``).
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path

import msgspec
from sqlalchemy import DateTime, MetaData, String, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from core import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def code_column_type(length: int) -> String:
    """Division codes compare byte-wise so that subtree range scans are exact.

    PostgreSQL's default collation may reorder digits and punctuation; "C"
    keeps ``code >= '3302' AND code < '3303'`` equal to "starts with 3302".
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def utcnow() -> datetime:
    return clock.now()


def ensure_sqlite_dir(database_url: str) -> None:
    """SQLite makes the file but not its folder; a fresh data dir needs one."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


# Execution option marking an engine (and the sessions bound to it) as one
# that only reads; see make_engine for what it changes on SQLite.
READ_ONLY = "yishi_read_only"
# How long a SQLite transaction waits for another's write lock before it
# fails with "database is locked". Our default; no seed names one.
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def _json_decode(text: str):
    # JSON columns (a topic's counters and timers, history data) read back on every list row:
    # msgspec decodes them several times faster than the standard library, to the same values.
    return msgspec.json.decode(text)


def make_engine(database_url: str) -> AsyncEngine:
    """The engine; on SQLite, one whose writing transactions are serialized.

    SQLite has one write lock and no row locks (``SELECT … FOR UPDATE`` is
    silently dropped), and its driver begins a transaction only at the first
    write, after the reads it decided on. Two requests could then both read
    "screening", both write "admitted" and both succeed. So every transaction
    starts with ``BEGIN IMMEDIATE``: it takes the write lock *before* reading,
    waits up to the busy timeout for a holder to finish, and then sees what
    that holder committed, as PostgreSQL's row lock does. Engines marked
    :data:`READ_ONLY` keep the driver's way (each read sees the latest commit,
    taking no lock), so readers never queue behind writers; one that does
    write gets the driver's deferred transaction and none of this guarantee.
    """
    ensure_sqlite_dir(database_url)
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                                     json_deserializer=_json_decode)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - driver hook
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _take_write_lock(conn):  # pragma: no cover - driver hook
            if not conn.get_execution_options().get(READ_ONLY):
                # The driver sees the open transaction and adds no BEGIN of its own.
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping (a round trip per checkout): after a restart the first statement on a dead
    # connection fails, SQLAlchemy drops the whole pool, and that request answers 503 with
    # Retry-After (core.errors); recycling bounds how long an idle connection is trusted.
    return create_async_engine(database_url, pool_size=10, max_overflow=10, pool_recycle=1800,
                               json_deserializer=_json_decode)


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, for transactions that only read."""
    return engine.execution_options(**{READ_ONLY: True})


def upsert_insert(session: AsyncSession):
    """The ``insert`` of the session's dialect, the one with ``on_conflict_do_…`` (PostgreSQL or SQLite)."""
    return (postgresql if session.bind.dialect.name == "postgresql" else sqlite).insert


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work commits on success and rolls back on error."""
    async with sessions() as session:
        async with session.begin():
            yield session
