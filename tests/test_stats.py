"""Stats on both backends: counts and the median resolution time over a
small known set, the subtree and the caller's scope respected, and a
sibling district's topics never counted."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.models import Topic, TopicEvent, User
from core.models.implementation import Task
from core.models.notice import Notice
from core.stats import service
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

DISTRICT = "330203"
STREET = "330203001"
COMMUNITY = "330203001001"
SIBLING = "330203001002"
OTHER_STREET_COMMUNITY = "330203002001"
SIBLING_DISTRICT_COMMUNITY = "330205001001"
OTHER_CITY_COMMUNITY = "620502001001"
T0 = datetime(2025, 1, 1, 8, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=40)


async def add_topic(db, region: str, step: str, *, resolved_after: timedelta | None = None,
                    resolutions: int = 0) -> Topic:
    topic = Topic(region_code=region, origin_region_code=region, title=f"议题 {region} {step}", description="",
                  channel="member", procedure_key="generic", procedure_version=1, step=step,
                  status="closed" if resolved_after is not None else "open", counters={}, timers={},
                  proposer_name="委员", created_at=T0, updated_at=T0)
    db.add(topic)
    await db.flush()
    events = [("submit", "open", T0)]
    events += [("record_resolution", "open", T0 + timedelta(hours=n + 1)) for n in range(resolutions)]
    if resolved_after is not None:
        events.append(("close", "closed", T0 + resolved_after))
        # A later note on a closed topic must not move its resolution date.
        events.append(("note", "closed", T0 + resolved_after + timedelta(days=3)))
    for action, status, at in events:
        db.add(TopicEvent(topic_id=topic.id, at=at, actor_name="测试", action=action, from_step=None,
                          to_step=step, status=status, note="", data={}))
    await db.flush()
    return topic


@pytest.fixture
async def fixture_set(db):
    await add_regions(db, *SMALL_TREE)
    clock.set_now(NOW)
    t1 = await add_topic(db, COMMUNITY, "collect")
    await add_topic(db, COMMUNITY, "implement", resolved_after=timedelta(days=10), resolutions=1)
    await add_topic(db, COMMUNITY, "implement", resolved_after=timedelta(days=4), resolutions=1)
    t4 = await add_topic(db, COMMUNITY, "implement", resolutions=2)  # consulted again after an objection
    await add_topic(db, SIBLING, "implement", resolved_after=timedelta(days=1, hours=12), resolutions=1)
    await add_topic(db, OTHER_STREET_COMMUNITY, "implement", resolved_after=timedelta(days=30), resolutions=1)
    # Next door: must never be counted for 海曙区 or below.
    s1 = await add_topic(db, SIBLING_DISTRICT_COMMUNITY, "implement", resolved_after=timedelta(days=2),
                         resolutions=1)
    await add_topic(db, SIBLING_DISTRICT_COMMUNITY, "collect")
    await add_topic(db, OTHER_CITY_COMMUNITY, "publicize", resolutions=1)

    for topic, region, closes_at, status in ((t4, COMMUNITY, NOW + timedelta(days=3), "open"),
                                             (t4, COMMUNITY, NOW - timedelta(days=1), "open"),  # job not run yet
                                             (t4, COMMUNITY, NOW - timedelta(days=9), "closed"),
                                             (s1, SIBLING_DISTRICT_COMMUNITY, NOW + timedelta(days=3), "open")):
        db.add(Notice(topic_id=topic.id, region_code=region, title="公示", text="决议", opens_at=T0,
                      closes_at=closes_at, status=status, created_at=T0))
    for topic, region, deadline, status in ((t4, COMMUNITY, NOW - timedelta(days=2), "open"),
                                            (t4, COMMUNITY, NOW + timedelta(days=2), "open"),
                                            (t4, COMMUNITY, NOW - timedelta(days=5), "done"),
                                            (t1, OTHER_STREET_COMMUNITY, NOW - timedelta(days=1), "open"),
                                            (s1, SIBLING_DISTRICT_COMMUNITY, NOW - timedelta(days=1), "open")):
        db.add(Task(topic_id=topic.id, region_code=region, title="任务", responsible_name="物业",
                    deadline=deadline, status=status, created_at=T0, updated_at=T0))
    await db.commit()

    people = {}
    for name, grant in (("district", ("district_admin", DISTRICT)), ("street", ("street_staff", STREET)),
                        ("chair", ("council_chair", COMMUNITY)), ("resident", ("resident", COMMUNITY)),
                        ("tianshui", ("city_admin", "6205"))):
        user = await make_user(db, name, grant)
        user = await db.scalar(select(User).where(User.id == user.id).execution_options(populate_existing=True))
        people[name] = principal_of(user)
    return people


async def figures_for(db, runtime, principal, region):
    authorizer = Authorizer()
    await authorizer.load(db)
    return await service.region_stats(db, authorizer.scope(principal, service.READ), region,
                                      plugins=runtime.plugins)


async def test_street_figures(db, runtime, fixture_set):
    figures = await figures_for(db, runtime, fixture_set["street"], STREET)
    assert figures["topics_total"] == 5
    assert figures["topics_by_step"] == {"collect": 1, "implement": 4}
    assert figures["topics_by_status"] == {"closed": 3, "open": 2}
    assert figures["consultations_held"] == 5
    assert figures["topics_resolved"] == 3
    # 1.5, 4 and 10 days: the middle one.
    assert figures["median_days_to_resolution"] == 4.0
    assert figures["open_notices"] == 1
    assert figures["overdue_tasks"] == 1


async def test_district_figures_take_the_even_median_and_skip_the_sibling_district(db, runtime, fixture_set):
    figures = await figures_for(db, runtime, fixture_set["district"], DISTRICT)
    assert figures["topics_total"] == 6
    assert figures["topics_resolved"] == 4
    assert figures["consultations_held"] == 6
    # 1.5, 4, 10 and 30 days: the mean of 4 and 10.
    assert figures["median_days_to_resolution"] == 7.0
    assert figures["open_notices"] == 1
    assert figures["overdue_tasks"] == 2


async def test_nothing_resolved_gives_no_median(db, runtime, fixture_set):
    empty = await figures_for(db, runtime, fixture_set["tianshui"], "620502")
    assert empty["topics_total"] == 1 and empty["topics_resolved"] == 0
    assert empty["median_days_to_resolution"] is None and empty["consultations_held"] == 1


async def test_a_community_chair_asking_for_the_street_sees_only_their_community(db, runtime, fixture_set):
    figures = await figures_for(db, runtime, fixture_set["chair"], STREET)
    assert figures["topics_total"] == 4
    assert figures["median_days_to_resolution"] == 7.0  # 4 and 10 days
    assert figures["consultations_held"] == 4


async def test_http_stats_with_the_guard(db, runtime, fixture_set):
    async with app_client(runtime) as client:
        district = bearer(await login(client, "district"))
        response = await client.get(f"/api/v1/regions/{DISTRICT}/stats", headers=district)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["region_code"] == DISTRICT and body["topics_total"] == 6
        assert body["median_days_to_resolution"] == 7.0
        # The sibling district: invisible to this district admin, same 404 as a missing region.
        assert (await client.get("/api/v1/regions/330205/stats", headers=district)).status_code == 404
        chair = bearer(await login(client, "chair"))
        assert (await client.get(f"/api/v1/regions/{STREET}/stats", headers=chair)).status_code == 404
        assert (await client.get(f"/api/v1/regions/{COMMUNITY}/stats", headers=chair)).status_code == 200
        resident = bearer(await login(client, "resident"))
        assert (await client.get(f"/api/v1/regions/{COMMUNITY}/stats", headers=resident)).status_code == 403
        tianshui = bearer(await login(client, "tianshui"))
        assert (await client.get(f"/api/v1/regions/{DISTRICT}/stats", headers=tianshui)).status_code == 404
        assert (await client.get(f"/api/v1/regions/{DISTRICT}/stats")).status_code == 401
