"""The per-region totals the stats read (core/models/rollup.py), on both backends.

Topics are made and moved through the real services (the demo seeder walks
them to every step, closes and rejects some and moves one up to its street;
the public door; escalation on request and a plugin moving a closed topic;
actions inside savepoints that roll back). After each part the totals kept
along the way must equal the totals recounted from the tables, and the stats
must equal the figures scanned from topics and their history as they were
computed before the totals existed (kept below as the reference), for every
region and for scopes that cover a subtree, part of it, or nothing of it.
"""
from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role
from core.cli import main
from core.escalation.moving import move_topic, request_escalation
from core.models import Region, Topic, TopicEvent, User
from core.models.region import level_of_code
from core.models.rollup import TopicRollup, counted_in, whole_days
from core.public.service import submit
from core.stats import service
from core.stats.recount import rebuild
from core.tenants.loader import load_tenants
from core.topics.service import perform_action
from tests.auth_helpers import make_user
from tests.helpers import SMALL_TREE
from tests.test_demo_data import CITY, tenant_copy
from tests.test_migrations import blank_database_url  # noqa: F401  (fixture)

SEEDED_AT = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


# -- the reference: the figures scanned as before the totals -----------------------------

async def scanned(db, subtree: service.Subtree) -> dict:
    in_subtree = subtree.where(Topic.region_code)

    async def grouped(column):
        rows = await db.execute(select(column, func.count()).where(in_subtree).group_by(column))
        return dict(sorted(rows.all()))

    closings = (await db.execute(
        select(Topic.created_at, func.min(TopicEvent.at)).join(TopicEvent, TopicEvent.topic_id == Topic.id)
        .where(in_subtree, Topic.status == "closed", TopicEvent.status == "closed")
        .group_by(Topic.id, Topic.created_at))).all()
    days = [whole_days(created, closed) for created, closed in closings]
    return {
        "topics_total": await db.scalar(select(func.count()).select_from(Topic).where(in_subtree)),
        "topics_by_step": await grouped(Topic.step),
        "topics_by_status": await grouped(Topic.status),
        "consultations_held": await db.scalar(
            select(func.count()).select_from(TopicEvent).join(Topic, Topic.id == TopicEvent.topic_id)
            .where(in_subtree, TopicEvent.action.in_(subtree.resolution_actions))),
        "topics_resolved": await db.scalar(select(func.count()).select_from(Topic)
                                           .where(in_subtree, Topic.status == "closed")),
        "median_days_to_resolution": round(float(statistics.median(days)), 2) if days else None,
    }


def principal(*grants: tuple[Role, str]) -> Principal:
    """Who asks for figures (reads only: no account needed)."""
    return Principal(user_id=0, username="stats", display_name="统计", grants=tuple(grants))


async def account(db, username: str, *grants: tuple[str, str]) -> Principal:
    """Who writes: a real account, since history and audit rows name it."""
    user = await make_user(db, username, *grants)
    return principal_of(await db.scalar(select(User).where(User.id == user.id)
                                        .execution_options(populate_existing=True)))


async def kept(db) -> dict:
    rows = await db.execute(select(TopicRollup.region_code, TopicRollup.own, TopicRollup.figure,
                                   TopicRollup.item, TopicRollup.total).where(TopicRollup.total != 0))
    return {tuple(row[:4]): row[4] for row in rows}


async def recounted(runtime) -> dict:
    async with runtime.sessions() as session:
        await rebuild(session)
        rows = await kept(session)
        await session.rollback()
    return rows


async def assert_totals_hold(runtime, db, regions: list[str]) -> None:
    """The kept totals equal a recount, and the stats equal the scan, for many regions and scopes."""
    await db.rollback()
    assert await kept(db) == await recounted(runtime)
    authorizer = Authorizer()
    await authorizer.load(db)
    topic_regions = set(await db.scalars(select(Topic.region_code).distinct()))
    some_community = min(code for code in topic_regions if len(code) == 12)
    some_street = min(code for code in topic_regions if len(code) == 9)
    scopes = {
        "everything": principal((Role.platform_admin, None)),
        "city": principal((Role.city_admin, CITY)),
        "district": principal((Role.district_admin, some_street[:6])),
        "street staff": principal((Role.street_staff, some_street)),
        # Council roles reach their own region only: the street's own topics, not its communities'.
        "street council": principal((Role.council_chair, some_street)),
        "community chair": principal((Role.council_chair, some_community)),
        "mixed": principal((Role.council_member, some_community), (Role.council_chair, some_street),
                           (Role.street_staff, max(code for code in regions if len(code) == 9))),
        "another city": principal((Role.city_admin, "6205")),
    }
    plugins = runtime.plugins
    for name, who in scopes.items():
        scope = authorizer.scope(who, service.READ)
        for code in regions:
            figures = await service.region_stats(db, scope, code, plugins=plugins)
            subtree = service.Subtree(code, scope, service.resolution_actions(plugins))
            expected = await scanned(db, subtree)
            assert {k: figures[k] for k in expected} == expected, (name, code)


@pytest.fixture
async def seeded(runtime, db, tmp_path) -> list[str]:
    """Jinchang's demo (the smallest demo city), loaded from its tenant file; the regions to check:
    every one holding a topic, their ancestors, and a street and a community holding none."""
    clock.set_now(SEEDED_AT)
    [report] = await load_tenants(runtime, [tenant_copy(tmp_path)])
    assert report.demo is not None and report.demo.topics > 0
    with_topics = set(await db.scalars(select(Topic.region_code).distinct()))
    regions = {code for region in with_topics for code, _own in counted_in(region)}
    regions |= {await db.scalar(select(Region.code).where(Region.level == level, Region.code.not_in(regions))
                                .order_by(Region.code).limit(1)) for level in ("street", "community")}
    return sorted(regions)


async def _topic(db, *conditions) -> Topic:
    return await db.scalar(select(Topic).where(*conditions).order_by(Topic.id).limit(1))


async def test_the_totals_follow_every_write_path(runtime, db, seeded):
    regions = seeded
    topics = (await db.scalars(select(Topic))).all()
    assert {t.status for t in topics} == {"open", "closed", "rejected"}
    assert any(len(t.region_code) == 9 for t in topics), "the demo moves a topic up to its street"
    await assert_totals_hold(runtime, db, regions)

    authorizer = Authorizer()
    await authorizer.load(db)
    plugins = runtime.plugins
    clock.set_now(SEEDED_AT + timedelta(days=1))

    # The residents' door.
    community = (await _topic(db, func.length(Topic.region_code) == 12)).region_code
    async with runtime.sessions() as session:
        await submit(session, community, {"title": "楼道灯坏了", "description": "三楼楼道灯不亮"}, "203.0.113.7",
                     plugins=plugins)
        await session.commit()

    # Escalation on request, of a topic whose resolution counts as a consultation held:
    # to the district (a community of the other street affected) or the city.
    consulted = await _topic(db, Topic.status == "open", Topic.step.in_(("publicize", "implement")),
                             func.length(Topic.region_code) == 12)
    other = next(code for code in regions if len(code) == 12 and code[:4] == CITY
                 and code[:9] != consulted.region_code[:9])
    async with runtime.sessions() as session:
        await request_escalation(session, await account(db, "city_staff", ("city_admin", CITY)), consulted.id,
                                 {"reason": "涉及两个街道", "affected_regions": [other]},
                                 plugins=plugins, authorizer=authorizer)
        await session.commit()

    # A closed topic moved by a plugin's hook (the service refuses a closed one; the totals must not care).
    closed = await _topic(db, Topic.status == "closed", func.length(Topic.region_code) == 12)
    async with runtime.sessions() as session:
        topic = await session.get(Topic, closed.id)
        await move_topic(session, topic, CITY, principal=None, trigger="admit", reason="市级统筹",
                         affected=[closed.region_code])
        await session.commit()
    await assert_totals_hold(runtime, db, regions)

    # Savepoints: what rolls back is not counted, what is released is.
    # (id, region) as plain values: the checks below roll the reading session back, which expires its objects.
    implementing = (await db.execute(select(Topic.id, Topic.region_code)
                                     .where(Topic.status == "open", Topic.step == "implement")
                                     .order_by(Topic.id))).all()
    assert len(implementing) >= 2
    first, second = implementing[:2]

    member = await account(db, "member", *{("council_member", region) for _id, region in (first, second)})
    await authorizer.load(db)

    async def progress(session, topic, note):
        await perform_action(session, member, topic[0], "record_progress", {"note": note},
                             plugins=plugins, authorizer=authorizer)

    before = await kept(db)
    async with runtime.sessions() as session:
        outer = await session.begin_nested()
        inner = await session.begin_nested()
        await progress(session, first, "内层，随外层撤销")
        await inner.commit()
        await outer.rollback()
        undone = await session.begin_nested()
        await progress(session, second, "撤销")
        await undone.rollback()
        await session.commit()
    await db.rollback()
    assert await kept(db) == before

    async with runtime.sessions() as session:
        outer = await session.begin_nested()
        await progress(session, first, "保留")
        inner = await session.begin_nested()
        await progress(session, second, "撤销")
        await inner.rollback()
        await outer.commit()
        await progress(session, second, "保留")
        # Read in the same transaction: the stats see its own changes, as the scan did.
        scope = authorizer.scope(principal((Role.city_admin, CITY)), service.READ)
        figures = await service.region_stats(session, scope, CITY, plugins=plugins)
        assert figures["topics_total"] == await session.scalar(select(func.count()).select_from(Topic))
        await session.commit()
    await db.rollback()
    after = await kept(db)
    changed = {key: after.get(key, 0) - before.get(key, 0) for key in after.keys() | before.keys()
               if after.get(key, 0) != before.get(key, 0)}
    expected = Counter((code, own, "action", "record_progress")
                       for _id, region in (first, second) for code, own in counted_in(region))
    assert changed == dict(expected)
    await assert_totals_hold(runtime, db, regions)


async def test_an_action_writes_the_totals_with_one_statement_at_commit(runtime, db, seeded):
    authorizer = Authorizer()
    await authorizer.load(db)
    topic = await _topic(db, Topic.status == "open", Topic.step == "implement")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    engine = runtime.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        async with runtime.sessions() as session:
            await perform_action(session, await account(db, "chair", ("council_chair", topic.region_code)), topic.id,
                                 "record_progress", {"note": "进展"}, plugins=runtime.plugins,
                                 authorizer=authorizer)
            assert not [s for s in statements if "topic_rollups" in s]
            await session.commit()
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    [upsert] = [s for s in statements if "topic_rollups" in s]
    assert upsert.startswith("INSERT INTO topic_rollups") and "ON CONFLICT" in upsert


async def test_stats_rebuild_recounts_after_rows_written_around_the_orm(runtime, db, seeded, database_url):
    expected = await kept(db)
    async with runtime.sessions() as session:
        # What a bulk import does: rows the flush listener never sees.
        await session.execute(delete(TopicRollup).where(TopicRollup.figure == "step"))
        await session.execute(sa.update(TopicRollup.__table__).where(TopicRollup.figure == "days")
                              .values(total=TopicRollup.total + 5))
        await session.commit()
    await db.rollback()
    assert await kept(db) != expected
    # In a thread: the command runs its own event loop.
    result = await asyncio.to_thread(CliRunner().invoke, main, ["stats", "rebuild"],
                                     env={"YISHI_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert "days" in result.stdout and "step" in result.stdout
    await db.rollback()
    assert await kept(db) == expected


async def test_the_migration_fills_the_totals_from_the_rows_already_there(blank_database_url):  # noqa: F811
    """Topics written at revision 0017 (plain SQL, as the services wrote them): the upgrade
    counts them, closings a microsecond either side of whole days included."""
    from core.migrate import upgrade_async

    await upgrade_async(blank_database_url, "0017")
    t0 = datetime(2025, 5, 1, 8, 0, 0, 1, tzinfo=timezone.utc)
    rows = [  # region, step, status, [(action, status, after)]
        ("330203001001", "implement", "closed", [("submit", "open", timedelta(0)),
                                                 ("record_resolution", "open", timedelta(days=1)),
                                                 ("close", "closed", timedelta(days=3)),
                                                 ("note", "closed", timedelta(days=9))]),
        ("330203001001", "implement", "closed", [("submit", "open", timedelta(0)),
                                                 ("close", "closed", timedelta(days=3, microseconds=-1))]),
        ("330203001", "consult", "open", [("submit", "open", timedelta(0)),
                                          ("record_resolution", "open", timedelta(hours=5)),
                                          ("record_resolution", "open", timedelta(hours=6))]),
        ("330205001001", "collect", "rejected", [("submit", "open", timedelta(0)),
                                                 ("reject", "rejected", timedelta(days=2))]),
    ]
    engine = create_async_engine(blank_database_url)
    try:
        async with engine.begin() as connection:
            # The table as it stood at 0017 (the model has columns added since).
            regions_0017 = sa.table("regions", *(sa.column(name) for name in (
                "code", "name", "level", "parent_code", "city_code", "active", "created_at", "updated_at")))
            await connection.execute(sa.insert(regions_0017), [
                {"code": code, "name": name, "level": level_of_code(code).value,
                 "parent_code": {4: None, 6: code[:4], 9: code[:6], 12: code[:9]}[len(code)], "city_code": code[:4],
                 "active": True, "created_at": t0, "updated_at": t0} for code, name in SMALL_TREE])
            for n, (region, step, status, events) in enumerate(rows, start=1):
                await connection.execute(sa.insert(Topic.__table__).values(
                    id=n, region_code=region, origin_region_code=region, title="议题", description="",
                    channel="member", proposer_name="", proposer_contact="", procedure_key="generic",
                    procedure_version=1, step=step, status=status, counters={}, timers={},
                    created_at=t0, updated_at=t0))
                await connection.execute(sa.insert(TopicEvent.__table__), [
                    {"topic_id": n, "at": t0 + after, "actor_name": "测试", "action": action, "from_step": None,
                     "to_step": step, "status": event_status, "note": "", "data": {}}
                    for action, event_status, after in events])
        await upgrade_async(blank_database_url)
        async with engine.connect() as connection:
            filled = {tuple(row[:4]): row[4] for row in await connection.execute(
                select(TopicRollup.region_code, TopicRollup.own, TopicRollup.figure, TopicRollup.item,
                       TopicRollup.total))}
        assert filled[("330203001001", True, "days", "3")] == 1
        assert filled[("330203001001", True, "days", "2")] == 1
        assert filled[("3302", False, "days", "2")] == 1 and ("330203001", True, "days", "2") not in filled
        assert filled[("330203", False, "action", "record_resolution")] == 3
        assert filled[("330203001", True, "action", "record_resolution")] == 2
        assert filled[("330203001", False, "status", "closed")] == 2
        assert filled[("3302", False, "status", "rejected")] == 1
        assert filled[("330205001001", True, "step", "collect")] == 1
        assert sum(total for (code, _own, figure, _item), total in filled.items()
                   if code == "3302" and figure == "status") == len(rows)
        # The same as the recount does now.
        async with AsyncSession(engine) as session:
            await rebuild(session)
            assert await kept(session) == {k: v for k, v in filled.items() if v}
            await session.rollback()
    finally:
        await engine.dispose()


def test_whole_days_round_down():
    start = datetime(2025, 1, 1, 8, tzinfo=timezone.utc)
    assert whole_days(start, start + timedelta(days=3)) == 3
    assert whole_days(start, start + timedelta(days=3, microseconds=-1)) == 2
    assert whole_days(start, start) == 0


def test_the_median_of_whole_days():
    def median(histogram):
        return service.median_days_to_resolution(service.Totals({"days": histogram}), None)

    assert median({}) is None
    assert median({"4": 1}) == 4.0
    assert median({"1": 1, "4": 1, "10": 1}) == 4.0
    assert median({"1": 1, "4": 1, "10": 1, "30": 1}) == 7.0
    assert median({"2": 3, "9": 1}) == 2.0
    assert median({"2": 2, "9": 2}) == 5.5
    assert median({"10": 1, "9": 1}) == 9.5  # ordered by number, not by text
