"""Everything one running Yishi process holds: config, database, plugins,
authorization and jobs. Built once per app (or per CLI command, or per test)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.config import Config
from core.db import make_engine, make_sessionmaker
from core.plugins import PLUGINS_INFO_KEY, PluginHost, make_plugin_manager


@dataclass
class Runtime:
    config: Config
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    plugins: PluginHost
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, config: Config | None = None, plugins: PluginHost | None = None) -> "Runtime":
        config = config or Config.from_env()
        engine = make_engine(config.database_url)
        plugins = plugins or make_plugin_manager()
        sessions = make_sessionmaker(engine)
        # Hook implementations receive a session, not the runtime; this is how
        # they reach the plugin host that called them.
        sessions.configure(info={PLUGINS_INFO_KEY: plugins})
        return cls(config=config, engine=engine, sessions=sessions, plugins=plugins)

    async def close(self) -> None:
        await self.engine.dispose()
