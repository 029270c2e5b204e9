"""Schema migrations: alembic, driven from code so ``yishi db upgrade`` and
``yishi serve`` need no ini file and work from any directory.

The core's revisions are one chain (branch ``core``) in ``migrations/versions``.
Each installed variant whose manifest names a migrations folder
(``Variant.migrations``) adds its own branch, labelled with its name and
depending on the core revision it needs; ``heads`` brings them all up.
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from core.db import ensure_sqlite_dir

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
CORE_VERSIONS = MIGRATIONS_DIR / "versions"
CORE_BRANCH = "core"


def version_locations() -> list[Path]:
    from core.plugins import plugin_migration_folders

    return [CORE_VERSIONS, *plugin_migration_folders()]


def alembic_config(database_url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # os.pathsep, so a folder whose path has a space or a comma stays one folder.
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations",
                        os.pathsep.join(str(path) for path in version_locations()).replace("%", "%%"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database at ``database_url`` to ``revision``. Safe to repeat."""
    ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "heads") -> None:
    # alembic's env runs its own event loop; keep it off the caller's loop.
    await asyncio.to_thread(upgrade, database_url, revision)


def tables_missing(*names: str) -> set[str]:
    """Of ``names``, the tables the database being migrated does not have.

    For a plugin branch's first revision: core revisions made some plugins'
    tables before each plugin had its own branch, so on such a database the
    branch adopts the tables it finds instead of failing to create them.
    """
    import sqlalchemy as sa
    from alembic import op

    existing = set(sa.inspect(op.get_bind()).get_table_names())
    return {name for name in names if name not in existing}
