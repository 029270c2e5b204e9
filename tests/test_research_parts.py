"""不调研不协商 with substance (004 §三 "组织协商议事会固定成员进行实地调研,分析议题的可行性,
拟定议事方案"): a region requiring the site visit, the feasibility analysis and the draft plan
(``consultation.research_parts``, as Jinchang's tenant file sets) gets no meeting on research
that lacks one of them; the site visit names fixed members of the council, a day and a place."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.models import RegionSetting
from core.models.consultation import Meeting, Research
from tests.test_consultation import (COMMUNITY, MEETING, START, act, client, plugin_host,  # noqa: F401
                                     topic_at_research, world)

ALL_PARTS = ["site_visit", "feasibility", "draft_plan"]
BARE = {"note": "走访 12 户", "method": ["interviews"], "findings": "夜间缺车位 30 个"}


async def _require_all(db) -> None:
    db.add(RegionSetting(region_code=COMMUNITY, key="consultation.research_parts", value=ALL_PARTS))
    await db.commit()


def _visit(world, day) -> dict:
    return {"visitors": [world["居委会主任"], world["王律师"]], "visited_on": day.isoformat(),
            "visited_place": "小区北门空地"}


async def test_research_lacking_a_required_part_blocks_the_meeting_until_it_is_recorded(client, db, world):
    await _require_all(db)
    topic_id = await topic_at_research(client)
    day = (START - timedelta(days=3)).date()
    assert (await act(client, "member", topic_id, "record_research", **BARE,
                      draft_plan="利用闲置空地新增车位")).status_code == 200

    refused = await act(client, "secretary", topic_id, "schedule_meeting", **MEETING)
    assert refused.status_code == 409, refused.text
    message = refused.json()["error"]
    assert "不调研不协商" in message["message_zh"] and "实地调研" in message["message_zh"]
    assert "可行性分析" in message["message_zh"] and "议事方案" not in message["message_zh"].split("尚缺")[1]
    assert await db.scalar(select(func.count()).select_from(Meeting)) == 0
    # The topic's page says what is missing beside the blocked action.
    view = (await client.get(f"/api/v1/topics/{topic_id}", headers=client.headers_for["secretary"])).json()
    blocked = {a["key"]: a for a in view["blocked_actions"]}
    assert "feasibility" in blocked["schedule_meeting"]["reason_en"]

    # A second record with the visit and the feasibility: the parts add up across records.
    recorded = await act(client, "member", topic_id, "record_research", **BARE, **_visit(world, day),
                         feasibility="空地归社区所有，费用 2 万元可由公益金承担")
    assert recorded.status_code == 200, recorded.text
    visit = recorded.json()["research"][-1]["site_visit"]
    assert [v["name"] for v in visit["visitors"]] == ["居委会主任", "王律师"]
    assert visit["on"] == day.isoformat() and visit["place"] == "小区北门空地"
    scheduled = await act(client, "secretary", topic_id, "schedule_meeting", **MEETING)
    assert scheduled.status_code == 200, scheduled.text


async def test_without_the_setting_any_research_record_will_do(client, db):
    topic_id = await topic_at_research(client)
    assert (await act(client, "member", topic_id, "record_research", **BARE)).status_code == 200
    assert (await act(client, "secretary", topic_id, "schedule_meeting", **MEETING)).status_code == 200


async def test_a_meeting_made_with_the_topic_on_its_agenda_is_held_to_the_same_parts(client, db):
    await _require_all(db)
    topic_id = await topic_at_research(client)
    assert (await act(client, "member", topic_id, "record_research", **BARE)).status_code == 200
    made = await client.post(f"/api/v1/regions/{COMMUNITY}/meetings", headers=client.headers_for["secretary"],
                             json={**MEETING, "agenda": [topic_id]})
    assert made.status_code == 400, made.text
    field = {f["field"]: f for f in made.json()["error"]["fields"]}["agenda"]
    assert "议事方案" in field["message_zh"] and "draft consultation plan" in field["message_en"]
    assert await db.scalar(select(func.count()).select_from(Meeting)) == 0


async def test_a_site_visit_by_someone_who_is_not_a_fixed_member_or_half_filled_is_refused(client, db, world):
    topic_id = await topic_at_research(client)
    day = (START - timedelta(days=3)).date()
    not_fixed = await act(client, "member", topic_id, "record_research", **BARE,
                          visitors=[world["物业代表"]], visited_on=day.isoformat(), visited_place="小区")
    assert not_fixed.status_code == 400
    fields = {f["field"]: f for f in not_fixed.json()["error"]["fields"]}
    assert "不是本议事会当天在任的固定成员" in fields["visitors"]["message_zh"]
    half = await act(client, "member", topic_id, "record_research", **BARE, visitors=[world["王律师"]])
    assert half.status_code == 400
    fields = {f["field"]: f for f in half.json()["error"]["fields"]}
    assert set(fields) == {"visited_on", "visited_place"}
    future = await act(client, "member", topic_id, "record_research", **BARE,
                       **_visit(world, day + timedelta(days=10)))
    assert future.status_code == 400 and "visited_on" in {f["field"] for f in future.json()["error"]["fields"]}
    assert await db.scalar(select(func.count()).select_from(Research)) == 0


def test_the_setting_refuses_a_part_it_does_not_know(plugin_host):
    """What the tenant loader (and the settings forms) check a value with."""
    spec = plugin_host.setting_spec("consultation.research_parts")
    assert spec.validate(ALL_PARTS) is None
    zh, en = spec.validate(["site_visit", "photos"])
    assert "'photos'" in zh and "'photos' is none of: site_visit, feasibility, draft_plan" == en
