from __future__ import annotations

import itertools
import os

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from core.migrate import CORE_BRANCH, upgrade_async
from core.models import AuthzPolicy, Region
from tests.conftest import BACKENDS, pg_admin, pg_url
from tests.helpers import SMALL_TREE, add_regions

_blank = itertools.count()


async def test_migrated_schema_holds_regions_and_default_policy(db):
    await add_regions(db, *SMALL_TREE)
    assert await db.scalar(select(func.count()).select_from(Region)) == len(SMALL_TREE)
    roles = set(await db.scalars(select(AuthzPolicy.v0)))
    assert {"platform_admin", "city_admin", "resident"} <= roles


async def test_subtree_range_is_exact_on_every_backend(db):
    from core.models.region import subtree_upper_bound

    await add_regions(db, *SMALL_TREE)
    prefix = "330203"
    codes = set(await db.scalars(
        select(Region.code).where(Region.code >= prefix, Region.code < subtree_upper_bound(prefix))
    ))
    assert codes == {c for c, _ in SMALL_TREE if c.startswith(prefix)}


def _script():
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))


def _variant_branches() -> set[str]:
    from core.plugins import Variant, entry_point_plugins

    return {manifest.name for _name, plugin in entry_point_plugins()
            if isinstance(manifest := plugin.yishi_manifest(), Variant) and manifest.migrations is not None}


def test_the_migrations_have_one_head():
    """The core chain and each variant's own branch (the regional plugins' tables)
    end in one revision each, so every deployment upgrades to the same schema and
    ``alembic upgrade heads`` works."""
    script = _script()
    labels = sorted(label for head in script.get_heads() for label in script.get_revision(head).branch_labels)
    assert labels == sorted({CORE_BRANCH, *_variant_branches()})
    assert {"ningbo", "lianyungang"} <= set(labels)


def test_the_migrations_make_exactly_the_tables_the_models_declare(sqlite_template):
    """Core and plugin models alike: a column or index added to a model without a
    migration (or the other way round) shows up here, not on a customer's server."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import core.models  # noqa: F401
    from core.db import Base
    from core.plugins import import_plugin_models

    import_plugin_models()
    engine = sa.create_engine(f"sqlite:///{sqlite_template}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


# -- the plugin branches ----------------------------------------------------------------

@pytest.fixture(params=BACKENDS)
def blank_database_url(request, tmp_path):
    """An empty database, no migration run."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'blank.sqlite3'}"
        return
    name = f"yishi_blank_{os.getpid()}_{next(_blank)}"
    pg_admin(f"CREATE DATABASE {name}")
    yield pg_url(name)
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _tables_by_package() -> tuple[set[str], set[str]]:
    """(the core's tables, the plugins' tables), by the package of the model declaring each."""
    import core.models  # noqa: F401
    from core.db import Base
    from core.plugins import import_plugin_models

    import_plugin_models()
    by_package: dict[str, set[str]] = {"core": set(), "plugins": set()}
    for mapper in Base.registry.mappers:
        by_package[mapper.class_.__module__.partition(".")[0]].add(mapper.local_table.name)
    return by_package["core"], by_package["plugins"]


async def _inspect(url: str) -> tuple[set[str], set[str]]:
    """(the database's tables, its alembic_version rows)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            tables = set(await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
            versions = set((await connection.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars())
        return tables, versions
    finally:
        await engine.dispose()


async def test_the_core_migrations_make_no_plugin_table(blank_database_url):
    core_tables, plugin_tables = _tables_by_package()
    assert plugin_tables, "no plugin declares a table"
    await upgrade_async(blank_database_url, f"{CORE_BRANCH}@head")
    tables, versions = await _inspect(blank_database_url)
    assert tables & plugin_tables == set()
    assert tables - {"alembic_version"} == core_tables
    assert versions == {_script().get_revision(f"{CORE_BRANCH}@head").revision}

    await upgrade_async(blank_database_url)
    tables, versions = await _inspect(blank_database_url)
    assert tables - {"alembic_version"} == core_tables | plugin_tables
    assert versions == set(_script().get_heads())


async def test_a_database_whose_core_made_the_plugin_tables_upgrades_and_keeps_their_rows(blank_database_url):
    """Before the plugins had their own branches, core revisions 0010 and 0011 made
    their tables: such a database is at the core head alone, with the tables and
    their rows. Upgrading adopts the tables (same DDL, moved verbatim) and keeps
    the rows; a second upgrade changes nothing."""
    from datetime import date

    from plugins.ningbo.models import DemonstrationPoint

    script = _script()
    core_head = script.get_revision(f"{CORE_BRANCH}@head").revision
    await upgrade_async(blank_database_url)
    engine = create_async_engine(blank_database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await add_regions(session, ("3302", "宁波市"))
            session.add(DemonstrationPoint(region_code="3302", designated_on=date(2017, 12, 20)))
            await session.execute(sa.text("DELETE FROM alembic_version WHERE version_num <> :head"),
                                  {"head": core_head})
            await session.commit()
        tables, versions = await _inspect(blank_database_url)
        _core_tables, plugin_tables = _tables_by_package()
        assert plugin_tables <= tables and versions == {core_head}

        await upgrade_async(blank_database_url)
        await upgrade_async(blank_database_url)
        tables, versions = await _inspect(blank_database_url)
        assert versions == set(script.get_heads()) and plugin_tables <= tables
        async with AsyncSession(engine) as session:
            assert list(await session.scalars(select(DemonstrationPoint.region_code))) == ["3302"]
    finally:
        await engine.dispose()
