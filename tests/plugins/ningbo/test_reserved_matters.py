"""Reserved matters (seed 001 §二(四) "现行政策规定应居民(代表)会议决定的事项,应当及时将相关事项及协商结果提交
居民(代表)会议决定") over HTTP on both backends, with the shipped tenant file: a matter staff
mark as reserved reaches the residents' (representatives') meeting with its results whether
or not anyone objected, its decision is recorded before implementation, and an ordinary
matter goes on to implementation as before."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from core.clock import CHINA_TZ
from core.models import Topic, TopicEvent
from core.models.notice import Notice, Objection
from plugins.ningbo.models import AssemblyReferral, ReservedMatter
from plugins.ningbo.procedure import ASSEMBLY_DECIDED, NINGBO, RESERVED, VERSION
from tests.plugins.ningbo.helpers import CHENGLANG, api_for, local, resolution

BASIS = "《中华人民共和国城市居民委员会组织法》第十九条：涉及全体居民利益的重要问题，须提请居民会议讨论决定"
DECISION = "居民代表会议决定：同意增设夜间临时车位 40 个"


def keys(actions: list[dict]) -> list[str]:
    return [a["key"] for a in actions]


def blocked(view: dict, key: str) -> dict:
    return next(a for a in view["blocked_actions"] if a["key"] == key)


async def on_notice(api, *, mark_at: str | None = "screen") -> int:
    """A topic whose consultation's results are on notice; marked reserved at ``mark_at``
    (``screen``: before admission; ``plan``: after it; None: an ordinary matter)."""
    topic = await api.submit("chair", CHENGLANG)
    if mark_at == "screen":
        await api.act("chair", topic["id"], "mark_reserved_matter", text=BASIS)
    topic_id, meeting_id = await consulting_from(api, topic["id"], mark_after_admit=mark_at == "plan")
    clock.advance(timedelta(days=4))
    await api.hold_vote("chair", meeting_id, topic_id)
    published = await api.act("chair", topic_id, "record_resolution", **resolution())
    assert published["step"]["key"] == "publicize"
    return topic_id


async def consulting_from(api, topic_id: int, *, mark_after_admit: bool) -> tuple[int, int]:
    await api.act("chair", topic_id, "admit")
    if mark_after_admit:
        # Later, by staff: the street's staff marks it at the plan step.
        marked = await api.act("street", topic_id, "mark_reserved_matter", text=BASIS, note="街道审核认定")
        assert marked["step"]["key"] == "plan"
    await api.act("chair", topic_id, "record_research", note="实地查看", method=["site_visit"],
                  findings="夜间车位缺口约 40 个", draft_plan="利用周边空地增设临时车位")
    scheduled = await api.act("chair", topic_id, "schedule_meeting", form="meeting", kind="deliberation",
                              place="澄浪社区议事厅", plan="增设夜间临时车位",
                              starts_at=(clock.now() + timedelta(days=4)).isoformat())
    await api.act("chair", topic_id, "publish_plan")
    return topic_id, scheduled["meetings"][-1]["id"]


async def test_a_ningbo_reserved_matter_reaches_the_residents_meeting_without_an_objection(runtime, db, ningbo):
    assert VERSION == 2 and NINGBO.version == 2
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        # Marked at admission (the screening step), citing the provision.
        topic = await api.submit("chair", CHENGLANG)
        assert topic["procedure"]["version"] == 2
        assert "mark_reserved_matter" in keys(topic["actions"])
        marked = await api.act("chair", topic["id"], "mark_reserved_matter", text=BASIS)
        assert marked["step"]["key"] == "screen" and marked["ningbo"]["reserved_matter"]["basis"] == BASIS
        assert marked["ningbo"]["reserved_matter"]["rule"].startswith("现行政策规定应居民(代表)会议决定的事项")
        assert "mark_reserved_matter" not in keys(marked["actions"])
        topic_id, meeting_id = await consulting_from(api, topic["id"], mark_after_admit=False)
        clock.advance(timedelta(days=4))
        await api.hold_vote("chair", meeting_id, topic_id)
        published = await api.act("chair", topic_id, "record_resolution", **resolution())
        assert published["ningbo"]["awaiting_assembly"] is True
        # While the results are on notice: no confirmation, and not yet to the meeting.
        assert "公示期未满" in blocked(published, "confirm_results")["reason_zh"]
        assert "公示期未满" in (await api.refused("chair", topic_id, "refer_reserved_matter"))["message_zh"]

        # The notice runs out with no objection: still no confirmation without the meeting.
        clock.advance(timedelta(days=5, minutes=1))
        refused = await api.refused("chair", topic_id, "confirm_results")
        assert "须先将协商结果提交居民（代表）会议决定" in refused["message_zh"]
        assert "residents' (representatives') meeting" in refused["message_en"]
        referred = await api.act("chair", topic_id, "refer_reserved_matter")
        assert referred["step"] == {"key": "assembly", "title_zh": "居民（代表）会议决定",
                                    "title_en": "residents' (representatives') meeting decides"}
        [submitted] = referred["ningbo"]["assembly"]
        assert (submitted["reason"], submitted["reserved_matter"], submitted["objections"], submitted["decided"]) == \
            ("reserved", True, 0, False)
        assert submitted["reason_zh"] == "依规应由居民（代表）会议决定的事项"

        # The meeting sat yesterday evening; its decision goes on notice as the results.
        clock.advance(timedelta(days=2))
        sat = clock.now() - timedelta(days=1)
        decided = await api.act("chair", topic_id, "record_assembly_decision", note="到会代表 45 人，赞成 41 人",
                                text=DECISION, starts_at=local(sat), place="澄浪社区居民活动中心")
        assert decided["step"]["key"] == "publicize" and decided["ningbo"]["awaiting_assembly"] is False
        [done] = decided["ningbo"]["assembly"]
        assert (done["decided"], done["adopted"], done["decision"], done["note"], done["place"]) == \
            (True, True, DECISION, "到会代表 45 人，赞成 41 人", "澄浪社区居民活动中心")
        assert done["held_on"] == sat.astimezone(CHINA_TZ).date().isoformat()
        assert decided["notices"][-1]["text"] == DECISION and decided["notices"][-1]["status"] == "open"
        assert "confirm_results" in keys(decided["blocked_actions"])  # the decision's own notice period

        clock.advance(timedelta(days=5, minutes=1))
        confirmed = await api.act("chair", topic_id, "confirm_results")
        assert confirmed["step"]["key"] == "implement"
        assert [h["action"] for h in confirmed["history"]] == [
            "submit", "mark_reserved_matter", "admit", "record_research", "schedule_meeting", "publish_plan",
            "record_resolution", "refer_reserved_matter", "record_assembly_decision", "confirm_results"]
        assert confirmed["history"][7]["data"]["reason"] == "reserved"
    row = await db.scalar(select(AssemblyReferral).where(AssemblyReferral.topic_id == topic_id))
    assert (row.adopted, row.held_at, row.reason) == (True, sat.replace(microsecond=0), "reserved")


async def test_a_ningbo_reserved_matter_reaches_the_residents_meeting_with_an_objection(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        # Marked after admission; a resident objects and the objection goes along to the meeting.
        contested = await on_notice(api, mark_at="plan")
        await api.act("resident", contested, "object", note="占用绿地，不同意")
        clock.advance(timedelta(days=5, minutes=1))
        shown = await api.ok(await api.get("chair", f"/topics/{contested}"))
        # The objection is what takes it there: with it, not around it.
        assert "1 objection" in blocked(shown, "refer_reserved_matter")["reason_en"]
        assert "refer_to_assembly" in keys(shown["actions"])
        referred = await api.act("chair", contested, "refer_to_assembly", note="连同异议提交居民代表会议")
        assert referred["step"]["key"] == "assembly"
        assert [(a["reason"], a["reserved_matter"], a["objections"]) for a in referred["ningbo"]["assembly"]] == \
            [("contested", True, 1)]
        # Not adopted: the topic ends, with the meeting's decision on record.
        rejected = await api.act("chair", contested, "assembly_rejects", note="居民代表会议表决未通过")
        assert rejected["status"] == "rejected"
        assert (rejected["ningbo"]["assembly"][0]["adopted"], rejected["ningbo"]["assembly"][0]["note"]) == \
            (False, "居民代表会议表决未通过")

        # An objection answered on notice: the reserved matter still goes to the meeting.
        answered = await on_notice(api)
        await api.act("resident", answered, "object", note="车位应优先分配给老人")
        await api.act("chair", answered, "dismiss_objection", note="分配办法另行公示")
        clock.advance(timedelta(days=5, minutes=1))
        assert "须先将协商结果提交" in (await api.refused("chair", answered, "confirm_results"))["message_zh"]
        referred = await api.act("chair", answered, "refer_reserved_matter", note="依规提交")
        assert referred["step"]["key"] == "assembly"
        # A new consultation after the meeting's decision goes back to the meeting.
        decided = await api.act("chair", answered, "record_assembly_decision", note="表决通过", text=DECISION)
        assert decided["ningbo"]["awaiting_assembly"] is False
        await api.act("resident", answered, "object", note="决定遗漏了电动车充电")
        again = await api.act("chair", answered, "uphold_objection", note="重新协商")
        assert again["step"]["key"] == "consult"
        meeting = await api.meeting("chair", CHENGLANG, clock.now() + timedelta(days=3), agenda=[answered])
        await api.ok(await api.post("chair", f"/meetings/{meeting['id']}/publish-plan", {}))
        clock.advance(timedelta(days=3))
        await api.hold_vote("chair", meeting["id"], answered)
        republished = await api.act("chair", answered, "record_resolution", **resolution())
        assert republished["ningbo"]["awaiting_assembly"] is True
        counters = await db.scalar(select(Topic.counters).where(Topic.id == answered))
        assert (counters[RESERVED], counters[ASSEMBLY_DECIDED]) == (1, 0)
        clock.advance(timedelta(days=5, minutes=1))
        assert "须先将协商结果提交" in (await api.refused("chair", answered, "confirm_results"))["message_zh"]
    statuses = (await db.scalars(select(Objection.status).where(Objection.topic_id == contested))).all()
    assert statuses == ["referred"]


async def test_an_ordinary_ningbo_matter_does_not_go_to_the_residents_meeting(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        ordinary = await on_notice(api, mark_at=None)
        shown = await api.ok(await api.get("chair", f"/topics/{ordinary}"))
        assert shown["ningbo"]["reserved_matter"] is None and shown["ningbo"]["awaiting_assembly"] is False
        clock.advance(timedelta(days=5, minutes=1))
        refused = await api.refused("chair", ordinary, "refer_reserved_matter")
        assert "未认定为依规应由居民（代表）会议决定的事项" in refused["message_zh"]
        confirmed = await api.act("chair", ordinary, "confirm_results")
        assert confirmed["step"]["key"] == "implement" and confirmed["ningbo"]["assembly"] == []

        # Marked by mistake and unmarked (with a note): ordinary again.
        mistaken = await on_notice(api)
        assert (await api.refused("chair", mistaken, "unmark_reserved_matter", status=400))["fields"][0]["field"] \
            == "note"
        unmarked = await api.act("chair", mistaken, "unmark_reserved_matter", note="经核实不属于须居民会议决定的事项")
        assert unmarked["ningbo"]["reserved_matter"] is None
        assert unmarked["history"][-1]["data"]["basis"] == BASIS
        clock.advance(timedelta(days=5, minutes=1))
        assert (await api.act("chair", mistaken, "confirm_results"))["step"]["key"] == "implement"
    assert await db.scalar(select(func.count()).select_from(AssemblyReferral)) == 0
    assert await db.scalar(select(func.count()).select_from(ReservedMatter)) == 0


async def test_marking_and_recording_the_decision_refuse_bad_input_with_nothing_written(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic = await api.submit("chair", CHENGLANG)

        async def written() -> tuple:
            events = await db.scalar(select(func.count()).select_from(TopicEvent)
                                     .where(TopicEvent.topic_id == topic["id"]))
            marks = await db.scalar(select(func.count()).select_from(ReservedMatter))
            referrals = await db.scalar(select(func.count()).select_from(AssemblyReferral)
                                        .where(AssemblyReferral.decided_at.is_not(None)))
            notices = await db.scalar(select(func.count()).select_from(Notice))
            row = (await db.execute(select(Topic.step, Topic.counters).where(Topic.id == topic["id"]))).one()
            return events, marks, referrals, notices, row.step, (row.counters or {}).get(RESERVED, 0)

        before = await written()
        for payload, problem_zh, problem_en in (({}, "请填写认定依据（法律法规或政策规定）", "text (the provision"),
                                                ({"text": "   "}, "请填写认定依据", "is required"),
                                                ({"text": "依" * 2001}, "不得超过 2000 字", "at most 2000")):
            error = await api.refused("chair", topic["id"], "mark_reserved_matter", status=400, **payload)
            [field] = error["fields"]
            assert field["field"] == "text"
            assert problem_zh in field["message_zh"] and problem_en in field["message_en"]
            assert await written() == before

        # Marked once (from a form with a note only, the note is the basis); a second mark is
        # refused by the procedure.
        marked = await api.act("chair", topic["id"], "mark_reserved_matter", note=BASIS)
        assert (marked["ningbo"]["reserved_matter"]["basis"], marked["ningbo"]["reserved_matter"]["note"]) == \
            (BASIS, None)
        assert "已认定" in (await api.refused("chair", topic["id"], "mark_reserved_matter", text=BASIS))["message_zh"]

        # The meeting's decision: when it sat must be a time, not in the future, not before the referral.
        await consulting_from(api, topic["id"], mark_after_admit=False)
        meeting_id = (await api.ok(await api.get("chair", f"/topics/{topic['id']}")))["meetings"][-1]["id"]
        clock.advance(timedelta(days=4))
        await api.hold_vote("chair", meeting_id, topic["id"])
        await api.act("chair", topic["id"], "record_resolution", **resolution())
        clock.advance(timedelta(days=5, minutes=1))
        referred_at = clock.now()
        await api.act("chair", topic["id"], "refer_reserved_matter")
        clock.advance(timedelta(days=3))
        before = await written()
        good = {"note": "表决通过", "text": DECISION}
        for payload, field, problem_zh, problem_en in (
                ({"starts_at": "下周一晚上"}, "starts_at", "居民（代表）会议召开时间应为日期时间", "starts_at must be a date"),
                ({"starts_at": local(clock.now() + timedelta(hours=2))}, "starts_at", "不能晚于现在", "in the future"),
                ({"starts_at": local(referred_at - timedelta(days=1))}, "starts_at", "不能早于提交时间",
                 "before the matter was submitted"),
                ({"place": "厅" * 201}, "place", "居民（代表）会议地点不得超过 200 字", "place must be at most 200"),
                ({"text": ""}, "text", "请填写居民（代表）会议的决定", "text is required")):
            error = await api.refused("chair", topic["id"], "record_assembly_decision", status=400,
                                      **{**good, **payload})
            assert [(f["field"], problem_zh in f["message_zh"], problem_en in f["message_en"])
                    for f in error["fields"]] == [(field, True, True)], error
            assert await written() == before
        shown = await api.ok(await api.get("chair", f"/topics/{topic['id']}"))
        assert shown["step"]["key"] == "assembly" and shown["ningbo"]["assembly"][0]["decided"] is False
