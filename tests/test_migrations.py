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
