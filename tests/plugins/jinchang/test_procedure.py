"""六步议事法 (seed 002) on Jinchang's own codes: the six steps in their stages,
不调研不协商 over HTTP, 急事快议 (the fast track and the shorter notice), and
the choice of procedure."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.models import RegionSetting, ScreeningDecision, Topic
from core.models.notice import Notice
from core.notices.jobs import close_expired
from core.procedures.generic import GENERIC
from core.procedures.model import validate_procedure
from core.procedures.registry import procedure_registry
from core.tenants.settings import resolve_setting
from plugins.jinchang.manifest import PLUGIN
from plugins.jinchang.procedure import JINCHANG
from tests import walk
from tests.plugins.jinchang.conftest import BAOYUNLI, HUANGJIAQUAN, JINCHUAN, T0, act, submit


def test_six_steps_in_the_report_order_grouped_like_the_generic_stages():
    assert validate_procedure(JINCHANG) is JINCHANG
    assert [s.title_zh for s in JINCHANG.steps] == ["收集议题", "确定议题", "议前调研", "协商议事", "公开公示", "跟踪落实"]
    assert [JINCHANG.stage_of(s.key).key for s in JINCHANG.steps] == [
        "selection", "selection", "consultation", "consultation", "decision", "decision"]
    assert JINCHANG.stages == GENERIC.stages


def test_answers_the_region_only_while_no_procedure_key_is_set():
    from core.builtin import make_plugin_manager
    from core.procedures.registry import procedure_for_region

    host = make_plugin_manager()
    assert PLUGIN.yishi_procedure_for_region(region_code=BAOYUNLI, settings={"procedure.key": ""}) == "jinchang"
    assert procedure_for_region(host, BAOYUNLI, {"jinchang"}, {"procedure.key": ""}) is JINCHANG
    assert procedure_for_region(host, BAOYUNLI, {"jinchang"}, {"procedure.key": "generic"}) is GENERIC


async def test_jinchang_topics_start_under_jinchang_unless_a_key_is_set_for_the_region(db, jinchang, client, people):
    topic = await submit(client, await people("chair"), BAOYUNLI, "宝西苑小区天然气主管道迟迟未铺设")
    assert topic["procedure"]["key"] == "jinchang"
    assert {a["key"] for a in topic["actions"]} >= {"admit", "reject"}

    db.add(RegionSetting(region_code=JINCHUAN, key="procedure.key", value="generic"))
    await db.commit()
    kept = await submit(client, await people("chair"), BAOYUNLI, "楼道照明")
    assert kept["procedure"]["key"] == "generic"


async def test_no_meeting_without_research_then_with_research_it_can(jinchang, client, people):
    chair = await people("chair")
    topic = await submit(client, chair, BAOYUNLI, "宝西苑小区天然气主管道迟迟未铺设")
    await walk.http_act(client, chair, topic["id"], "admit")
    await walk.http_act(client, chair, topic["id"], "confirm")

    refused = await act(client, chair, topic["id"], "schedule_meeting", **walk.meeting())
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert "不调研不协商" in error["message_zh"] and "no research, no consultation" in error["message_en"]
    shown = (await client.get(f"/api/v1/topics/{topic['id']}", headers=chair)).json()
    assert shown["step"]["key"] == "research" and shown["meetings"] == []
    [blocked] = [b for b in shown["blocked_actions"] if b["key"] == "schedule_meeting"]
    assert "不调研不协商" in blocked["reason_zh"]

    # Jinchang requires the whole of it (tenants/jinchang.toml): a record without the site visit
    # and the feasibility is not enough.
    await walk.http_act(client, chair, topic["id"], "record_research", **walk.RESEARCH)
    refused = await act(client, chair, topic["id"], "schedule_meeting", **walk.meeting())
    assert refused.status_code == 409 and "实地调研" in refused.json()["error"]["message_zh"]
    await walk.http_full_research(client, chair, topic)
    scheduled = await walk.http_act(client, chair, topic["id"], "schedule_meeting", **walk.meeting())
    assert scheduled["step"]["key"] == "consult" and len(scheduled["meetings"]) == 1


async def test_an_urgent_topic_takes_the_fast_track_straight_to_research(db, jinchang, client, people):
    chair = await people("chair")
    topic = await submit(client, chair, BAOYUNLI, "尾菜撒漏影响环境卫生", scale="urgent")
    assert "fast_track" in {a["key"] for a in topic["actions"]}
    moved = await walk.http_act(client, chair, topic["id"], "fast_track", note="撒漏持续，影响通行")
    assert moved["step"]["key"] == "research"
    assert [h["action"] for h in moved["history"]] == ["submit", "fast_track"]
    # Admitted like any topic: the screening decision cites its admissible kind.
    [decision] = (await db.scalars(select(ScreeningDecision).where(ScreeningDecision.topic_id == topic["id"]))).all()
    assert decision.admissible and decision.catalogue_code == "generic.yi.6"
    # Still no meeting before research.
    assert (await act(client, chair, topic["id"], "schedule_meeting", **walk.meeting())).status_code == 409


async def test_a_topic_that_is_not_urgent_cannot_take_the_fast_track(jinchang, client, people):
    chair = await people("chair")
    for scale in ("major", "minor", "hard", None):
        topic = await submit(client, chair, BAOYUNLI, f"议题 {scale}", scale=scale)
        [blocked] = [b for b in topic["blocked_actions"] if b["key"] == "fast_track"]
        assert "急事" in blocked["reason_zh"]
        refused = await act(client, chair, topic["id"], "fast_track", note="想快一点")
        assert refused.status_code == 409, refused.text
        assert "急事快议只适用于" in refused.json()["error"]["message_zh"]
        shown = (await client.get(f"/api/v1/topics/{topic['id']}", headers=chair)).json()
        assert shown["step"]["key"] == "collect"


async def _published(client, chair, region: str, title: str, scale: str | None) -> int:
    topic = await submit(client, chair, region, title, scale=scale)
    if scale == "urgent":
        await walk.http_act(client, chair, topic["id"], "fast_track", note="急事")
    else:
        await walk.http_act(client, chair, topic["id"], "admit")
        await walk.http_act(client, chair, topic["id"], "confirm")
    await walk.http_full_research(client, chair, topic)
    await walk.http_act(client, chair, topic["id"], "schedule_meeting", **walk.meeting())
    await walk.http_hold_vote(client, chair, topic["id"])
    await walk.http_act(client, chair, topic["id"], "record_resolution", **walk.resolution())
    return topic["id"]


async def test_urgent_notice_closes_after_the_urgent_days_others_after_core_notice_days(db, jinchang, client,
                                                                                          people):
    chair = await people("chair")
    urgent_days = await resolve_setting(db, jinchang.plugins, BAOYUNLI, "jinchang.urgent_notice_days")
    usual_days = await resolve_setting(db, jinchang.plugins, BAOYUNLI, "core.notice_days")
    assert (urgent_days, usual_days) == (3, 10)  # the tenant file: 3 for urgent, Jinchuan's own 10
    urgent = await _published(client, chair, BAOYUNLI, "尾菜撒漏影响环境卫生", "urgent")
    usual = await _published(client, chair, BAOYUNLI, "三社道路硬化", "minor")
    await db.commit()

    notices = {n.topic_id: n for n in await db.scalars(select(Notice))}
    assert notices[urgent].closes_at == T0 + timedelta(days=urgent_days)
    assert notices[usual].closes_at == T0 + timedelta(days=usual_days)
    view = (await client.get(f"/api/v1/topics/{urgent}", headers=chair)).json()
    assert view["jinchang"]["notice_days"] == urgent_days

    clock.set_now(T0 + timedelta(days=urgent_days, minutes=1))
    assert await close_expired(jinchang) == 1
    chair = await people.again("chair")
    confirmed = await walk.http_act(client, chair, urgent, "confirm_results")
    assert confirmed["step"]["key"] == "implement"
    early = await act(client, chair, usual, "confirm_results")
    assert early.status_code == 409 and "公示期未满" in early.json()["error"]["message_zh"]

    clock.set_now(T0 + timedelta(days=usual_days, minutes=1))
    assert await close_expired(jinchang) == 1
    chair = await people.again("chair")
    assert (await walk.http_act(client, chair, usual, "confirm_results"))["step"]["key"] == "implement"


async def test_urgent_days_are_a_setting_of_the_region(db, jinchang, client, people):
    chair = await people("yc_chair")
    db.add(RegionSetting(region_code=HUANGJIAQUAN, key="jinchang.urgent_notice_days", value=2))
    await db.commit()
    topic_id = await _published(client, chair, HUANGJIAQUAN, "村道积水", "urgent")
    notice = await db.scalar(select(Notice).where(Notice.topic_id == topic_id))
    assert notice.closes_at == T0 + timedelta(days=2)
    topic = await db.get(Topic, topic_id)
    registry = procedure_registry(jinchang.plugins)
    assert registry.get(topic.procedure_key, topic.procedure_version) is JINCHANG
