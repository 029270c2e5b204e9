"""按照“六有”标准建立协商议事室 (seed 004 §一), the six read as Jinchang's report lists them
(seed 002), over ``GET /regions/{code}/compliance``: met from the room, the documents
on file, the activity and the fixed members; each turns false without its evidence;
community councils of the plugin's regions only."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.models import RegionSetting
from plugins.four_visits_six_steps import six_haves as standard
from tests.plugins.four_visits_six_steps.conftest import (BAOYUNLI, CHANGKANGYUAN, CHENGGUAN, T0, YONGFUYUAN, member,
                                                          seat, seed_text)

ITEMS = ["venue", "signage", "facilities", "rules", "activity", "fixed_members"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(48))


async def file_document(client, headers, region: str, kind: str) -> dict:
    uploaded = await client.post(f"/api/v1/regions/{region}/attachments", headers=headers,
                                 files={"file": (f"{kind}.png", PNG, "image/png")})
    assert uploaded.status_code == 201, uploaded.text
    filed = await client.post(f"/api/v1/regions/{region}/council/documents", headers=headers,
                              json={"kind": kind, "attachment_id": uploaded.json()["id"], "title": kind})
    assert filed.status_code == 201, filed.text
    return filed.json()


async def furnish(client, headers, region: str) -> dict[str, dict]:
    """The room, the three documents and a meeting ten days ago; the documents by kind."""
    room = await client.put(f"/api/v1/regions/{region}/council", headers=headers, json={"venue": "社区协商议事室"})
    assert room.status_code == 200, room.text
    documents = {kind: await file_document(client, headers, region, kind) for kind in standard.ON_FILE_KINDS}
    held = await client.post(f"/api/v1/regions/{region}/meetings", headers=headers, json={
        "form": "meeting", "kind": "deliberation", "place": "社区协商议事室", "title": "协商议事会",
        "starts_at": (T0 - timedelta(days=10)).isoformat()})
    assert held.status_code == 201, held.text
    return documents


async def compliance(client, headers, region: str) -> list[dict]:
    answer = await client.get(f"/api/v1/regions/{region}/compliance", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def six(client, headers, region: str) -> dict:
    [result] = [r for r in await compliance(client, headers, region) if r["standard"] == standard.STANDARD]
    return {"result": result, **{item["key"]: item for item in result["items"]}}


def test_the_standard_is_the_reports_and_its_six_are_jinchangs_words():
    assert standard.STANDARD_TEXT in seed_text()
    assert [zh for zh, _en in standard.ITEMS.values()] == ["有场所", "有标识", "有设施", "有制度", "有活动记录", "有固定成员"]
    assert standard.LEVELS == ("community",)


async def test_the_seated_community_with_its_room_meets_all_six(db, county, client, people):
    headers = await people("county")
    await furnish(client, headers, YONGFUYUAN)
    shown = await six(client, headers, YONGFUYUAN)
    assert (shown["result"]["met"], shown["result"]["total"], shown["result"]["complete"]) == (6, 6, True)
    assert shown["result"]["title_zh"] == "协商议事室“六有”标准"
    assert shown["venue"]["detail_zh"] == "协商议事室：社区协商议事室"
    assert "召开协商会议 1 次" in shown["activity"]["detail_zh"]
    assert shown["fixed_members"]["detail_zh"] == "固定成员 8 人（至少 8 人）"


@pytest.mark.parametrize("item", ITEMS)
async def test_each_item_turns_false_without_its_evidence(db, county, client, people, item):
    headers = await people("county")
    documents = await furnish(client, headers, YONGFUYUAN)
    if item == "venue":
        assert (await client.put(f"/api/v1/regions/{YONGFUYUAN}/council", headers=headers,
                                 json={"venue": ""})).status_code == 200
    elif item in documents:
        withdrawn = await client.post(
            f"/api/v1/regions/{YONGFUYUAN}/council/documents/{documents[item]['id']}/withdraw", headers=headers)
        assert withdrawn.status_code == 200, withdrawn.text
    elif item == "activity":
        # Ten days before T0, the meeting is more than three months old 85 days later.
        clock.set_now(T0 + timedelta(days=85))
        headers = await people.again("county")
    else:
        db.add(RegionSetting(region_code=CHENGGUAN, key="four_visits_six_steps.fixed_min", value=9))
        await db.commit()
    shown = await six(client, headers, YONGFUYUAN)
    assert [key for key in ITEMS if not shown[key]["met"]] == [item]


async def test_a_community_without_a_council_meets_none_and_one_building_up_its_roster_lacks_members(
        db, county, client, people):
    headers = await people("county")
    shown = await six(client, headers, CHANGKANGYUAN)
    assert shown["result"]["met"] == 0 and shown["venue"]["detail_zh"] == "尚未设立议事会"
    await seat(db, county.plugins, CHANGKANGYUAN, [member("社区党委副书记", "party_committee", role_in_council="chair")])
    await furnish(client, headers, CHANGKANGYUAN)
    shown = await six(client, headers, CHANGKANGYUAN)
    assert [key for key in ITEMS if not shown[key]["met"]] == ["fixed_members"]
    assert shown["fixed_members"]["detail_zh"] == "固定成员 1 人（至少 8 人）"


async def test_streets_and_regions_without_the_plugin_are_not_checked(db, county, client, people):
    assert not [r for r in await compliance(client, await people("county"), CHENGGUAN)
                if r["standard"] == standard.STANDARD]
    jinchuan = await compliance(client, await people("jinchuan_chair"), BAOYUNLI)
    assert [r["standard"] for r in jinchuan] == ["jinchang.six_haves"]
