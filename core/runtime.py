"""Everything one running Yishi process holds: config, database, plugins,
authorization and jobs. Built once per app (or per CLI command, or per test)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.config import Config
from core.db import make_engine, make_sessionmaker
from core.plugins import PluginHost, make_plugin_manager


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
        return cls(
            config=config,
            engine=engine,
            sessions=make_sessionmaker(engine),
            plugins=plugins or make_plugin_manager(),
        )

    async def close(self) -> None:
        await self.engine.dispose()
