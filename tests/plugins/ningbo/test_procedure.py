"""Ningbo's general procedure (seed 001 §二(四)) over HTTP on both backends, with
the shipped tenant file: the plan published in advance (3 days), the
residents' (representatives') meeting from the consultation itself,
closing only after an evaluation, and a topic spanning two communities of
a street handed to the street (§二(二))."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.models import Topic
from core.models.notice import Objection
from core.procedures.generic import PROCEDURE_SETTING
from core.tenants.settings import resolve_setting
from plugins.ningbo.manifest import PLUGIN as ningbo_plugin
from plugins.ningbo.procedure import NINGBO
from tests.plugins.ningbo.helpers import (CHENGLANG, HAIWAN, LIUJIN, NANMEN, RESEARCH, api_for,
                                          resolution)


async def consulting(api, region: str = CHENGLANG, *, days_ahead: int = 4, publish: bool = True) -> tuple[int, int]:
    """A topic admitted, researched, scheduled ``days_ahead`` days out and (if
    ``publish``) with its plan published now: at the consultation step."""
    topic = await api.submit("chair", region)
    await api.act("chair", topic["id"], "admit")
    await api.act("chair", topic["id"], "record_research", **RESEARCH)
    scheduled = await api.act("chair", topic["id"], "schedule_meeting", form="meeting", kind="deliberation",
                              place="澄浪社区议事厅", plan="增设夜间临时车位",
                              starts_at=(clock.now() + timedelta(days=days_ahead)).isoformat())
    meeting_id = scheduled["meetings"][-1]["id"]
    if publish:
        await api.act("chair", topic["id"], "publish_plan")
    return topic["id"], meeting_id


def test_ningbo_answers_only_while_no_procedure_key_is_set():
    assert ningbo_plugin.yishi_procedure_for_region(region_code=CHENGLANG, settings={PROCEDURE_SETTING: ""}) == "ningbo"
    assert ningbo_plugin.yishi_procedure_for_region(region_code=CHENGLANG, settings={}) == "ningbo"
    from core.builtin import make_plugin_manager
    from core.procedures.generic import GENERIC
    from core.procedures.registry import procedure_for_region

    host = make_plugin_manager()
    assert procedure_for_region(host, CHENGLANG, {"ningbo"}, {PROCEDURE_SETTING: ""}).key == "ningbo"
    assert procedure_for_region(host, CHENGLANG, {"ningbo"}, {PROCEDURE_SETTING: "generic"}) is GENERIC


def test_the_steps_are_001s_general_procedure_in_order():
    main_line = [s.title_zh for s in NINGBO.steps if s.key != "assembly"]
    assert main_line == ["研究筛选议题", "确定协商方案", "提前公示协商方案并通报协商主体", "组织协商", "公示协商结果",
                         "组织实施", "追踪监督、评估评议"]
    assert NINGBO.step("assembly").title_zh == "居民（代表）会议决定"


async def test_a_topic_walks_the_whole_procedure_and_closes_only_after_an_evaluation(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        # A fixed member with an account, to be told of the plan.
        await api.auth("member")
        await api.ok(await api.post("chair", f"/regions/{CHENGLANG}/council/members", {
            "name": "王居民代表", "category": "resident", "user_id": await api.user_id("member"),
            "joined_on": "2024-05-01"}), 201)
        topic = await api.submit("chair", CHENGLANG)
        assert (topic["procedure"]["key"], topic["step"]["key"]) == ("ningbo", "screen")
        topic_id = topic["id"]
        assert (await api.act("chair", topic_id, "admit"))["step"]["key"] == "plan"
        # 确定协商方案 rests on research, as in the generic procedure.
        assert "no research" in (await api.refused("chair", topic_id, "schedule_meeting"))["message_en"]
        await api.act("chair", topic_id, "record_research", **RESEARCH)
        starts = clock.now() + timedelta(days=4)
        scheduled = await api.act("chair", topic_id, "schedule_meeting", form="meeting", kind="deliberation",
                                  place="澄浪社区议事厅", starts_at=starts.isoformat())
        assert scheduled["step"]["key"] == "announce"
        meeting_id = scheduled["meetings"][-1]["id"]

        # 提前公示协商方案: the meeting needs its plan before it can be published.
        refused = await api.refused("chair", topic_id, "publish_plan", status=400)
        assert refused["fields"][0]["field"] == "plan"
        published_plan = await api.act("chair", topic_id, "publish_plan", plan="增设夜间临时车位 40 个")
        assert published_plan["step"]["key"] == "consult"
        assert published_plan["history"][-1]["data"]["meeting_id"] == meeting_id
        shown = await api.ok(await api.get("chair", f"/meetings/{meeting_id}"))
        assert shown["plan"] == "增设夜间临时车位 40 个" and shown["plan_published_at"] is not None
        # 通报协商主体: the invited member with an account is told.
        told = await api.ok(await api.get("member", "/notifications"))
        assert any("增设夜间临时车位 40 个" in n["text_zh"] for n in told["items"])

        clock.advance(timedelta(days=4))
        await api.hold_vote("chair", meeting_id, topic_id)
        published = await api.act("chair", topic_id, "record_resolution", **resolution())
        assert published["step"]["key"] == "publicize" and published["notices"][0]["status"] == "open"
        # Haishu's own notice period (tenant override): 5 days.
        assert await resolve_setting(db, runtime.plugins, CHENGLANG, "core.notice_days") == 5
        clock.advance(timedelta(days=4))
        await api.refused("chair", topic_id, "confirm_results")
        clock.advance(timedelta(days=1, minutes=1))
        assert (await api.act("chair", topic_id, "confirm_results"))["step"]["key"] == "implement"

        task = await api.ok(await api.post("chair", f"/topics/{topic_id}/tasks", {
            "title": "划设临时车位", "responsible_name": "社区居委会", "deadline": (clock.now() + timedelta(days=20))
            .date().isoformat()}), 201)
        assert "1 implementation task" in (await api.refused("chair", topic_id, "to_evaluation"))["message_en"]
        await api.ok(await api.post("chair", f"/tasks/{task['id']}/complete", {"note": "已划设 40 个车位"}))
        assert (await api.act("chair", topic_id, "to_evaluation"))["step"]["key"] == "evaluate"
        # An evaluation that finds shortcomings sends the results back.
        assert (await api.act("chair", topic_id, "rectify", note="车位标线不清"))["step"]["key"] == "implement"
        # Completing the last task with close_topic moves the topic on to where it waits next
        # (evaluation here), not to a close this step does not offer.
        redo = await api.ok(await api.post("chair", f"/topics/{topic_id}/tasks", {
            "title": "重划车位标线", "responsible_name": "物业公司", "deadline": (clock.now() + timedelta(days=5))
            .date().isoformat()}), 201)
        done = await api.ok(await api.post("chair", f"/tasks/{redo['id']}/complete",
                                           {"note": "标线已重划", "close_topic": True}))
        assert done["topic_status"] == "open"
        assert (await api.ok(await api.get("chair", f"/topics/{topic_id}")))["step"]["key"] == "evaluate"

        # 追踪监督、评估评议: closing needs an evaluation report (1 by default).
        waiting = await api.ok(await api.get("chair", f"/topics/{topic_id}"))
        assert waiting["ningbo"] == {"evaluation_reports": 0, "evaluation_reports_required": 1, "evaluated": False,
                                     "reserved_matter": None, "awaiting_assembly": False, "assembly": [],
                                     "plan_notices": waiting["ningbo"]["plan_notices"]}
        assert [(n["kind"], n["status"]) for n in waiting["ningbo"]["plan_notices"]] == [("plan", "closed")]
        refused = await api.refused("chair", topic_id, "close", note="办结")
        assert refused["code"] == "evaluation_missing" and "已附评估报告 0 份，至少须 1 份" in refused["message_zh"]
        report = await api.post("chair", f"/topics/{topic_id}/evaluation-reports",
                                {"evaluator": "宁波市某社会工作服务中心", "summary": "居民满意度 92%", "score": 90})
        assert report.status_code == 201, report.text
        assert (await api.ok(await api.get("chair", f"/topics/{topic_id}")))["ningbo"]["evaluated"] is True
        closed = await api.act("chair", topic_id, "close", note="办结")
        assert closed["status"] == "closed"
        assert [h["action"] for h in closed["history"]] == [
            "submit", "admit", "record_research", "schedule_meeting", "publish_plan", "record_resolution",
            "confirm_results", "to_evaluation", "rectify", "to_evaluation", "close"]


async def test_two_evaluation_reports_when_the_region_asks_for_two(runtime, db, ningbo):
    from core.models import RegionSetting

    db.add(RegionSetting(region_code=CHENGLANG, key="ningbo.min_evaluation_reports", value=2))
    await db.commit()
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic_id, meeting_id = await consulting(api)
        clock.advance(timedelta(days=4))
        await api.hold_vote("chair", meeting_id, topic_id)
        await api.act("chair", topic_id, "record_resolution", **resolution())
        clock.advance(timedelta(days=6))
        await api.act("chair", topic_id, "confirm_results")
        await api.act("chair", topic_id, "to_evaluation")
        for evaluator in ("澄浪社区居务监督委员会", "第三方评估机构"):
            assert "至少须 2 份" in (await api.refused("chair", topic_id, "close", note="办结"))["message_zh"]
            await api.ok(await api.post("chair", f"/topics/{topic_id}/evaluation-reports",
                                        {"evaluator": evaluator, "summary": "已落实"}), 201)
        assert (await api.act("chair", topic_id, "close", note="办结"))["status"] == "closed"


async def test_a_plan_not_published_three_days_ahead_holds_up_the_vote(runtime, db, ningbo):
    # The tenant file sets it; the core refuses attendance and votes without it.
    assert await resolve_setting(db, runtime.plugins, CHENGLANG, "consultation.plan_notice_days") == 3
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic_id, late_meeting = await consulting(api, days_ahead=2)
        clock.advance(timedelta(days=2))
        shown = await api.ok(await api.get("chair", f"/meetings/{late_meeting}"))
        present = [{"member_id": p["member_id"]} for p in shown["participants"]]
        refused = await api.post("chair", f"/meetings/{late_meeting}/attendance", {"present": present})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "plan_not_published"
        assert "3 天" in refused.json()["error"]["message_zh"]
        voted = await api.post("chair", f"/meetings/{late_meeting}/votes",
                               {"topic_id": topic_id, "tallies": {"for": 7}})
        assert voted.status_code == 409 and voted.json()["error"]["code"] == "plan_not_published"
        assert "has not voted" in (await api.refused("chair", topic_id, "record_resolution",
                                                     **resolution()))["message_en"]

        # A meeting whose plan goes out exactly 3 days ahead may go ahead.
        again = await api.meeting("chair", CHENGLANG, clock.now() + timedelta(days=3), agenda=[topic_id])
        await api.ok(await api.post("chair", f"/meetings/{again['id']}/publish-plan", {}))
        clock.advance(timedelta(days=3))
        vote = await api.hold_vote("chair", again["id"], topic_id)
        assert vote["votes"][0]["passed"]
        assert (await api.act("chair", topic_id, "record_resolution", **resolution()))["step"]["key"] == "publicize"


async def test_consultation_can_refer_a_matter_to_the_residents_meeting_without_an_objection(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic_id, _ = await consulting(api)
        assert (await api.refused("chair", topic_id, "refer_to_assembly", status=400))["fields"][0]["field"] == "note"
        referred = await api.act("chair", topic_id, "refer_to_assembly", note="分歧较大，协商无法解决")
        assert referred["step"]["key"] == "assembly"
        missing = await api.refused("chair", topic_id, "record_assembly_decision", status=400, note="居民代表会议表决")
        assert [f["field"] for f in missing["fields"]] == ["text"]
        decided = await api.act("chair", topic_id, "record_assembly_decision", note="居民代表会议表决通过",
                                text="居民代表会议决定：增设临时车位 40 个")
        assert decided["step"]["key"] == "publicize"
        assert decided["notices"][0]["text"] == "居民代表会议决定：增设临时车位 40 个"
        [submitted] = decided["ningbo"]["assembly"]
        assert (submitted["reason"], submitted["reserved_matter"], submitted["adopted"]) == ("unsettled", False, True)

        # The meeting may also turn the matter down.
        other, _ = await consulting(api)
        await api.act("chair", other, "refer_to_assembly", note="涉及全体居民切身利益")
        assert (await api.act("chair", other, "assembly_rejects", note="表决未通过"))["status"] == "rejected"


async def test_a_contested_result_goes_to_the_residents_meeting_with_its_objections(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic_id, meeting_id = await consulting(api)
        clock.advance(timedelta(days=4))
        await api.hold_vote("chair", meeting_id, topic_id)
        await api.act("chair", topic_id, "record_resolution", **resolution())
        # Without an objection the notice step offers no referral.
        assert "no objection" in (await api.refused("chair", topic_id, "refer_to_assembly", note="x"))["message_en"]
        await api.act("resident", topic_id, "object", note="占用绿地，不同意")
        referred = await api.act("chair", topic_id, "refer_to_assembly", note="争议较大，提交居民代表会议")
        assert referred["step"]["key"] == "assembly"
        assert referred["notices"][0]["status"] == "withdrawn"
        assert [(a["reason"], a["objections"]) for a in referred["ningbo"]["assembly"]] == [("contested", 1)]
    statuses = (await db.scalars(select(Objection.status).where(Objection.topic_id == topic_id))).all()
    assert statuses == ["referred"]


async def test_a_topic_touching_two_communities_of_a_street_moves_to_the_streets_inbox(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        topic = await api.submit("chair", CHENGLANG, "两个社区共用的停车场", affected_regions=[CHENGLANG, LIUJIN])
        assert topic["region_code"] == CHENGLANG
        admitted = await api.act("chair", topic["id"], "admit")
        assert admitted["region_code"] == NANMEN and admitted["procedure"]["key"] == "ningbo"
        assert admitted["escalation"]["moves"][0]["trigger"] == "admit"
        assert "澄浪社区" in admitted["escalation"]["moves"][0]["reason"]
        assert "柳锦社区" in admitted["escalation"]["moves"][0]["reason"]
        inbox = await api.ok(await api.get("street", f"/regions/{NANMEN}/escalations"))
        assert [i["topic"]["id"] for i in inbox["items"]] == [topic["id"]]
        assert inbox["items"][0]["topic"]["step"]["key"] == "plan"
        # The street runs it now under the same procedure; the community reads it.
        street_view = await api.ok(await api.get("street", f"/topics/{topic['id']}"))
        assert [a["key"] for a in street_view["actions"]] == ["reject", "mark_reserved_matter"]
        assert [a["key"] for a in street_view["blocked_actions"]] == ["schedule_meeting", "unmark_reserved_matter"]
        assert (await api.ok(await api.get("chair", f"/topics/{topic['id']}")))["actions"] == []
        # 跨社区协商的协商程序，由乡镇(街道)党(工)委研究确定: the street fixes the plan and the
        # form, here a hearing of its own, and publishes it on the board of both communities.
        api.grants["street_chair"] = [("council_chair", NANMEN)]
        await api.act("street_chair", topic["id"], "record_research", **RESEARCH)
        scheduled = await api.act("street", topic["id"], "schedule_meeting", form="meeting", kind="hearing",
                                  place="南门街道议事厅", plan="两社区共商停车场划线与收费",
                                  starts_at=(clock.now() + timedelta(days=4)).isoformat())
        assert scheduled["meetings"][-1]["kind"]["title_zh"] == "民主听证会"
        assert (await api.act("street", topic["id"], "publish_plan"))["step"]["key"] == "consult"
        for community in (CHENGLANG, LIUJIN):
            board = (await api.client.get(f"/api/v1/public/regions/{community}/notices")).json()
            assert [(n["kind"], n["region_code"]) for n in board["items"]] == [("plan", NANMEN)]

        # One community only: it stays.
        local = await api.submit("chair", CHENGLANG, "楼道堆物")
        assert (await api.act("chair", local["id"], "admit"))["region_code"] == CHENGLANG
    assert (await db.get(Topic, topic["id"])).region_code == NANMEN


async def test_every_district_outside_jiangbei_starts_topics_under_ningbo(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        topic = await api.submit("beilun", HAIWAN, channel="assigned")
        assert topic["procedure"]["key"] == "ningbo" and topic["step"]["key"] == "screen"


async def test_a_special_session_is_offered_for_matters_of_wide_concern(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        meeting = await api.meeting("chair", CHENGLANG, clock.now() + timedelta(days=5), kind="special_session")
        assert meeting["kind"]["title_zh"] == "专题议事会"
        hearing = await api.meeting("chair", CHENGLANG, clock.now() + timedelta(days=5), kind="hearing")
        assert hearing["kind"]["title_zh"] == "民主听证会"
