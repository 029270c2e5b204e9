"""六有 (seed 002: "有场所、有标识、有设施、有制度、有活动记录、有固定成员") at street and
community councils, over ``GET /regions/{code}/compliance``: computed from the
venue, the documents on file, the meetings held, and the roster; each item
turns false when its evidence goes."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.councils import service as councils
from core.models import RegionSetting
from tests.plugins.jinchang.conftest import (BAOLINLI, HEXIBAO, HUANGJIAQUAN, T0, YONGCHANG, file_document,
                                             furnish, seat_fixed, six_haves)

ITEMS = ["venue", "signage", "facilities", "rules", "activity", "fixed_members"]
TITLES = ["有场所", "有标识", "有设施", "有制度", "有活动记录", "有固定成员"]


@pytest.fixture
async def yc(people):
    return await people("yongchang")


async def test_a_village_with_all_six(db, jinchang, client, yc):
    await furnish(client, yc, db, jinchang, HUANGJIAQUAN, fixed=20)
    shown = await six_haves(client, yc, HUANGJIAQUAN)
    result = shown["result"]
    assert (result["title_zh"], result["met"], result["total"], result["complete"]) == ("六有标准", 6, 6, True)
    assert [i["title_zh"] for i in result["items"]] == TITLES
    assert "百姓议事厅" in shown["venue"]["detail_zh"]
    assert "召开协商会议 1 次" in shown["activity"]["detail_zh"]
    assert shown["fixed_members"]["detail_zh"] == "固定成员 20 人（应为20 至 30 人）"


@pytest.mark.parametrize("item", ITEMS)
async def test_each_item_turns_false_without_its_evidence(db, jinchang, client, people, yc, item):
    documents = await furnish(client, yc, db, jinchang, HUANGJIAQUAN, fixed=20)
    if item == "venue":
        cleared = await client.put(f"/api/v1/regions/{HUANGJIAQUAN}/council", headers=yc, json={"venue": ""})
        assert cleared.status_code == 200
    elif item in documents:
        withdrawn = await client.post(
            f"/api/v1/regions/{HUANGJIAQUAN}/council/documents/{documents[item]['id']}/withdraw", headers=yc)
        assert withdrawn.status_code == 200, withdrawn.text
    elif item == "activity":
        # The meeting was ten days before T0: three months and more later it no longer counts.
        clock.set_now(T0 + timedelta(days=85))
        yc = await people.again("yongchang")
    else:
        council = await councils.get_council(db, HUANGJIAQUAN)
        [first, *_] = await councils.roster(db, await councils.current_term(db, council))
        left = await client.post(f"/api/v1/regions/{HUANGJIAQUAN}/council/members/{first.id}/leave",
                                 headers=yc, json={})
        assert left.status_code == 200, left.text
    shown = await six_haves(client, yc, HUANGJIAQUAN)
    assert not shown[item]["met"], shown[item]
    assert [key for key in ITEMS if not shown[key]["met"]] == [item]
    assert shown["result"]["met"] == 5 and not shown["result"]["complete"]


async def test_nineteen_fixed_members_fall_short_and_a_new_term_carries_twenty(db, jinchang, client, yc):
    await furnish(client, yc, db, jinchang, HUANGJIAQUAN, fixed=19)
    shown = await six_haves(client, yc, HUANGJIAQUAN)
    assert not shown["fixed_members"]["met"] and "固定成员 19 人" in shown["fixed_members"]["detail_zh"]
    await seat_fixed(db, jinchang, HUANGJIAQUAN, 1)
    # A new term copies the roster: the count is of the running term only, not both.
    started = await client.post(f"/api/v1/regions/{HUANGJIAQUAN}/council/terms", headers=yc,
                                json={"starts_on": "2030-05-06"})
    assert started.status_code == 201, started.text
    shown = await six_haves(client, yc, HUANGJIAQUAN)
    assert shown["fixed_members"]["met"] and "固定成员 20 人" in shown["fixed_members"]["detail_zh"]


async def test_an_activity_record_counts_when_no_meeting_was_held(db, jinchang, client, people, yc):
    await furnish(client, yc, db, jinchang, HUANGJIAQUAN, fixed=20)
    clock.set_now(T0 + timedelta(days=85))
    yc = await people.again("yongchang")
    assert not (await six_haves(client, yc, HUANGJIAQUAN))["activity"]["met"]
    # 田间地头的协商 leaves no meeting on the platform, but its record is filed.
    await file_document(client, yc, HUANGJIAQUAN, "activity_record")
    shown = await six_haves(client, yc, HUANGJIAQUAN)
    assert shown["activity"]["met"] and "活动记录 1 份" in shown["activity"]["detail_zh"]
    # Filed today, it no longer counts three months on either.
    clock.set_now(T0 + timedelta(days=85 + 93))
    yc = await people.again("yongchang")
    assert not (await six_haves(client, yc, HUANGJIAQUAN))["activity"]["met"]


async def test_the_activity_window_is_a_setting(db, jinchang, client, people, yc):
    await furnish(client, yc, db, jinchang, HUANGJIAQUAN, fixed=20)
    clock.set_now(T0 + timedelta(days=85))
    yc = await people.again("yongchang")
    assert not (await six_haves(client, yc, HUANGJIAQUAN))["activity"]["met"]
    db.add(RegionSetting(region_code=YONGCHANG, key="jinchang.activity_months", value=6))
    await db.commit()
    shown = await six_haves(client, yc, HUANGJIAQUAN)
    assert shown["activity"]["met"] and "近 6 个月" in shown["activity"]["detail_zh"]


async def test_a_street_needs_at_least_one_fixed_member(db, jinchang, client, yc):
    await client.post(f"/api/v1/regions/{HEXIBAO}/council/members", headers=yc,
                      json={"name": "区政府办科员", "category": "department"})
    await furnish(client, yc, db, jinchang, HEXIBAO, fixed=0)
    shown = await six_haves(client, yc, HEXIBAO)
    assert not shown["fixed_members"]["met"] and "至少 1 人" in shown["fixed_members"]["detail_zh"]
    added = await client.post(f"/api/v1/regions/{HEXIBAO}/council/members", headers=yc,
                              json={"name": "政协委员张某", "category": "deputies", "is_cppcc": True,
                                    "role_in_council": "second_convenor"})
    assert added.status_code == 201, added.text
    shown = await six_haves(client, yc, HEXIBAO)
    assert shown["result"]["complete"], shown


async def test_the_fixed_member_range_is_the_regions_setting(db, jinchang, client, yc):
    await furnish(client, yc, db, jinchang, HUANGJIAQUAN, fixed=20)
    db.add(RegionSetting(region_code=HEXIBAO, key="jinchang.fixed_min", value=21))
    await db.commit()
    shown = await six_haves(client, yc, HUANGJIAQUAN)
    assert not shown["fixed_members"]["met"] and "应为21 至 30 人" in shown["fixed_members"]["detail_zh"]


async def test_a_street_needs_the_streets_minimum_when_set(db, jinchang, client, yc):
    await furnish(client, yc, db, jinchang, HEXIBAO, fixed=2)
    assert (await six_haves(client, yc, HEXIBAO))["fixed_members"]["met"]
    db.add(RegionSetting(region_code=YONGCHANG, key="jinchang.street_fixed_min", value=3))
    await db.commit()
    shown = await six_haves(client, yc, HEXIBAO)
    assert not shown["fixed_members"]["met"] and "至少 3 人" in shown["fixed_members"]["detail_zh"]


async def test_a_community_without_a_council_has_none_of_the_six(jinchang, client, people):
    shown = await six_haves(client, await people("jinchuan"), BAOLINLI)
    assert shown["result"]["met"] == 0
    assert all(shown[key]["detail_zh"] == "尚未设立议事会" for key in ITEMS)


async def test_districts_and_the_city_are_not_checked(jinchang, client, yc):
    response = await client.get(f"/api/v1/regions/{YONGCHANG}/compliance", headers=yc)
    assert response.status_code == 200
    assert [r for r in response.json()["items"] if r["standard"] == "jinchang.six_haves"] == []
