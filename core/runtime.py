"""Everything one running Yishi process holds: config, database, plugins,
authorization and jobs. Built once per app (or per CLI command, or per test)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.audit.session import audit_session_info
from core.config import Config
from core.db import make_engine, make_sessionmaker, read_only
from core.plugins import PluginHost
from core.builtin import make_plugin_manager


@dataclass
class Runtime:
    config: Config
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    plugins: PluginHost
    # For work that only reads: on SQLite these take no write lock, so one
    # may be opened while this process holds the lock in ``sessions``.
    read_sessions: async_sessionmaker[AsyncSession] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.read_sessions is None:
            self.read_sessions = make_sessionmaker(read_only(self.engine))
            self.read_sessions.configure(info=dict(self.sessions.kw.get("info") or {}))

    @classmethod
    def build(cls, config: Config | None = None, plugins: PluginHost | None = None) -> "Runtime":
        config = config or Config.from_env()
        engine = make_engine(config.database_url)
        plugins = plugins or make_plugin_manager()
        sessions = make_sessionmaker(engine)
        # ``audit.record`` receives a session, not the runtime; this is how it
        # reaches the audit key. The read-only sessions take the same info
        # (__post_init__).
        sessions.configure(info=audit_session_info(config))
        return cls(config=config, engine=engine, sessions=sessions, plugins=plugins)

    async def close(self) -> None:
        await self.engine.dispose()
