from sqlalchemy import func, select

from core.models import AuthzPolicy, Region
from tests.helpers import SMALL_TREE, add_regions


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


def test_the_migrations_have_one_head():
    """Parallel branches (the regional plugins' tables) are merged, so every
    deployment upgrades to the same schema and ``alembic upgrade head`` works."""
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_heads()) == 1


def test_the_migrations_make_exactly_the_tables_the_models_declare(sqlite_template):
    """Core and plugin models alike: a column or index added to a model without a
    migration (or the other way round) shows up here, not on a customer's server."""
    import sqlalchemy as sa
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
