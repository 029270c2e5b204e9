"""大事大议、小事小议、急事快议、难事众议 (seed 002): what a topic's scale asks of
its meeting, refused field by field with nothing written, and shown in the
topic's ``jinchang`` section."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import RegionSetting
from core.models.consultation import Meeting
from tests import walk
from tests.plugins.jinchang.conftest import BAOYUNLI, JINCHUAN, act, submit


async def at_research(client, chair, title: str, scale: str | None) -> int:
    topic = await submit(client, chair, BAOYUNLI, title, scale=scale)
    await walk.http_act(client, chair, topic["id"], "admit")
    await walk.http_act(client, chair, topic["id"], "confirm")
    await walk.http_full_research(client, chair, topic)
    return topic["id"]


async def meetings(db) -> int:
    return await db.scalar(select(func.count()).select_from(Meeting))


async def test_a_major_topic_is_consulted_at_a_meeting_in_person(db, jinchang, client, people):
    chair = await people("chair")
    topic_id = await at_research(client, chair, "四社高位蓄水池修建", "major")
    for form in ("online", "written"):
        refused = await act(client, chair, topic_id, "schedule_meeting", **walk.meeting(form=form))
        assert refused.status_code == 400, refused.text
        [field] = refused.json()["error"]["fields"]
        assert field["field"] == "form" and "大事大议" in field["message_zh"] and "in person" in field["message_en"]
    assert await meetings(db) == 0
    shown = (await client.get(f"/api/v1/topics/{topic_id}", headers=chair)).json()
    assert shown["step"]["key"] == "research"
    assert (await walk.http_act(client, chair, topic_id, "schedule_meeting", **walk.meeting()))["step"]["key"] \
        == "consult"


async def test_a_major_topic_cannot_join_an_online_meeting_already_scheduled(db, jinchang, client, people):
    chair = await people("chair")
    online = await client.post(f"/api/v1/regions/{BAOYUNLI}/meetings", headers=chair,
                               json={**walk.meeting(form="online"), "title": "网上议事"})
    assert online.status_code == 201, online.text
    topic_id = await at_research(client, chair, "四社高位蓄水池修建", "major")
    refused = await act(client, chair, topic_id, "schedule_meeting", meeting_id=online.json()["id"])
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["fields"][0]["field"] == "meeting_id"


async def test_minor_and_urgent_topics_may_use_any_form(jinchang, client, people):
    chair = await people("chair")
    minor = await at_research(client, chair, "三社道路硬化", "minor")
    assert (await walk.http_act(client, chair, minor, "schedule_meeting",
                                **walk.meeting(form="written")))["step"]["key"] == "consult"
    urgent = await submit(client, chair, BAOYUNLI, "尾菜撒漏", scale="urgent")
    await walk.http_act(client, chair, urgent["id"], "fast_track", note="急")
    await walk.http_full_research(client, chair, urgent)
    assert (await walk.http_act(client, chair, urgent["id"], "schedule_meeting",
                                **walk.meeting(form="online")))["step"]["key"] == "consult"


async def test_a_hard_topics_meeting_invites_stakeholders(db, jinchang, client, people):
    chair = await people("chair")
    topic_id = await at_research(client, chair, "宝西苑小区天然气主管道迟迟未铺设", "hard")
    for participants in (None, [{"name": "燃气公司王经理", "category": "department"}]):
        payload = walk.meeting() if participants is None else walk.meeting(participants=participants)
        refused = await act(client, chair, topic_id, "schedule_meeting", **payload)
        assert refused.status_code == 400, refused.text
        [field] = refused.json()["error"]["fields"]
        assert field["field"] == "participants" and "难事众议" in field["message_zh"]
        assert "至少 1 名利益相关方" in field["message_zh"]
    assert await meetings(db) == 0

    guests = [{"name": "宝西苑业主代表李大姐", "category": "stakeholder"},
              {"name": "燃气公司王经理", "category": "department"}]
    done = await walk.http_act(client, chair, topic_id, "schedule_meeting", **walk.meeting(participants=guests))
    assert done["step"]["key"] == "consult"
    meeting = (await client.get(f"/api/v1/meetings/{done['meetings'][0]['id']}", headers=chair)).json()
    assert {"宝西苑业主代表李大姐", "燃气公司王经理"} <= {p["name"] for p in meeting["participants"]}


async def test_a_seated_stakeholder_counts_and_the_number_is_a_setting(db, jinchang, client, people):
    chair = await people("chair")
    seated = await client.post(f"/api/v1/regions/{BAOYUNLI}/council/members", headers=chair,
                               json={"name": "宝西苑业主代表李大姐", "category": "stakeholder"})
    assert seated.status_code == 201, seated.text
    member_id = seated.json()["member"]["id"]
    db.add(RegionSetting(region_code=JINCHUAN, key="jinchang.hard_min_stakeholders", value=2))
    await db.commit()
    topic_id = await at_research(client, chair, "宝西苑小区天然气主管道迟迟未铺设", "hard")
    refused = await act(client, chair, topic_id, "schedule_meeting",
                        **walk.meeting(participants=[{"member_id": member_id}]))
    assert refused.status_code == 400 and "至少 2 名" in refused.text
    both = [{"member_id": member_id}, {"name": "宝西苑业主代表赵师傅", "category": "stakeholder"}]
    assert (await act(client, chair, topic_id, "schedule_meeting", **walk.meeting(participants=both))).status_code \
        == 200


@pytest.mark.parametrize("scale,title,phrase", [
    ("major", "大事大议", "严格按照“六步议事”程序进行会议协商"),
    ("minor", "小事小议", "不固定场所、人员"),
    ("urgent", "急事快议", "直接进入议前调研"),
    ("hard", "难事众议", "利益攸关方"),
])
async def test_the_topic_view_shows_the_scales_rule(jinchang, client, people, scale, title, phrase):
    topic = await submit(client, await people("chair"), BAOYUNLI, "议题", scale=scale)
    section = topic["jinchang"]
    assert section["scale"] == scale
    assert section["rule"]["title_zh"] == title and phrase in section["rule"]["text_zh"]
    assert section["fast_track"] is (scale == "urgent")
    assert section["notice_days"] == (3 if scale == "urgent" else 10)
    assert any("不调研不协商" in e["zh"] for e in section["enforced"])
