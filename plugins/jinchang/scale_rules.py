"""大事大议、小事小议、急事快议、难事众议: what a topic's scale changes (seed 002).

* major (大事大议): "事关全局和涉及群众切身利益、关注度高、涉及面广的重要事项,
  严格按照“六步议事”程序进行会议协商": its meeting must be held in person
  (会议协商), not online or in writing; it cannot take the fast track.
* minor (小事小议): the flexible forms the report lists (会议、网络、书面协商,
  "不固定场所、人员"); nothing more is required, the view says so.
* urgent (急事快议): the fast track and the shorter notice period
  (``plugins.jinchang.procedure``); research is still required. The seed
  names 急事快议 and says no more: how it works is our inference, and its
  text says so (``platform_default``).
* hard (难事众议): "将政协委员、群众代表、相关部门负责人、利益攸关方汇聚在一起":
  its meeting must invite at least ``jinchang.hard_min_stakeholders``
  stakeholder representatives (the X).

The checks run when a meeting is scheduled for the topic, before the
consultation built-in records it, and refuse with field errors (400) so
nothing is written.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import FieldError, validation_failed
from core.models import CouncilMember, Topic
from core.models.consultation import Meeting, MeetingParticipant
from core.procedures.model import TopicContext
from core.region_context import RegionContext
from core.seeds import platform_default, quote
from core import clock

from plugins.jinchang.procedure import FAST_TRACK, notice_timer
from plugins.jinchang.settings import HARD_MIN_STAKEHOLDERS

MAJOR, MINOR, URGENT, HARD = "major", "minor", "urgent", "hard"
IN_PERSON = "meeting"
STAKEHOLDER = "stakeholder"
SCHEDULE_KIND = "schedule_meeting"

RULES: dict[str, dict[str, str]] = {
    MAJOR: {"title_zh": quote("002", "大事大议"), "title_en": "major matters, full consultation",
            "text_zh": quote("002", "事关全局和涉及群众切身利益、关注度高、涉及面广的重要事项,严格按照“六步议事”程序进行会议协商"),
            "text_en": "important matters of wide concern follow all six steps strictly, with a consultation "
                       "meeting in person",
            "form_zh": "会议协商（不采用网络协商、书面协商）", "form_en": "a meeting in person (not online or written)"},
    MINOR: {"title_zh": quote("002", "小事小议"), "title_en": "minor matters, light consultation",
            "text_zh": quote("002", "以方便群众为原则,采用会议协商、网络协商、书面协商等灵活多样的形式,不固定场所、人员,"
                                    "在田间地头、农户庭院、楼宇门前、项目现场开展协商"),
            "text_en": "for the residents' convenience, any form (meeting, online, written), at no fixed place "
                       "and with no fixed people: in the fields, a courtyard, in front of a building, on site",
            "form_zh": "会议、网络或书面协商均可", "form_en": "meeting, online or written"},
    URGENT: {"title_zh": quote("002", "急事快议"), "title_en": "urgent matters, fast consultation",
             "text_zh": platform_default("急事可经“急事快议”受理后直接进入议前调研（不经确定议题），公示期缩短；仍须先调研后协商"),
             "text_en": "an urgent matter may be admitted straight to research (skipping confirmation) and is "
                        "on public notice for a shorter period; research still comes before the meeting",
             "form_zh": "会议、网络或书面协商均可", "form_en": "meeting, online or written"},
    HARD: {"title_zh": quote("002", "难事众议"), "title_en": "hard matters, consultation by many",
           "text_zh": quote("002", "将政协委员、群众代表、相关部门负责人、利益攸关方汇聚在一起,多方参与、交流观点、碰撞思想"),
           "text_en": "CPPCC members, residents' representatives, department heads and stakeholders are brought "
                      "together to consult",
           "form_zh": "协商会议须邀请利益相关方代表（X）", "form_en": "the meeting invites stakeholder representatives "
                                                           "(the X)"},
}


# -- checks when a meeting is scheduled --------------------------------------------

async def _stakeholders_named(session: AsyncSession, participants: Any) -> int:
    if not isinstance(participants, list):
        return 0
    named = sum(1 for p in participants if isinstance(p, Mapping) and p.get("member_id") is None
                and p.get("category") == STAKEHOLDER and isinstance(p.get("name"), str) and p["name"].strip())
    ids = [p["member_id"] for p in participants if isinstance(p, Mapping)
           and isinstance(p.get("member_id"), int) and not isinstance(p.get("member_id"), bool)]
    seated = 0
    if ids:
        seated = await session.scalar(select(func.count()).select_from(CouncilMember).where(
            CouncilMember.id.in_(set(ids)), CouncilMember.category == STAKEHOLDER)) or 0
    return named + seated


async def _meeting_facts(session: AsyncSession, topic: Topic, payload: Mapping[str, Any]
                         ) -> tuple[str | None, int, str] | None:
    """(form, stakeholders invited, field to blame) of the meeting the action names, or None
    when the payload names no meeting we can read (the consultation built-in reports that)."""
    meeting_id = payload.get("meeting_id")
    if meeting_id is not None:
        meeting = await session.get(Meeting, meeting_id) if isinstance(meeting_id, int) \
            and not isinstance(meeting_id, bool) else None
        if meeting is None or meeting.region_code != topic.region_code:
            return None
        invited = await session.scalar(select(func.count()).select_from(MeetingParticipant).where(
            MeetingParticipant.meeting_id == meeting.id, MeetingParticipant.invited.is_(True),
            MeetingParticipant.category == STAKEHOLDER)) or 0
        return meeting.form, invited, "meeting_id"
    form = payload.get("form") if isinstance(payload.get("form"), str) else None
    return form, await _stakeholders_named(session, payload.get("participants")), "participants"


async def check_meeting(context: RegionContext, topic: Topic, payload: Mapping[str, Any]) -> None:
    """Refuse a meeting that does not suit the topic's scale (400, nothing written)."""
    if topic.scale not in (MAJOR, HARD):
        return
    facts = await _meeting_facts(context.session, topic, payload or {})
    if facts is None:
        return
    form, stakeholders, where = facts
    errors: list[FieldError] = []
    if topic.scale == MAJOR and form is not None and form != IN_PERSON:
        errors.append(FieldError(
            "form" if where == "participants" else where,
            "大事大议：大事须严格按照“六步议事”程序进行会议协商，不能采用网络或书面协商",
            "major matters (大事大议) are consulted at a meeting in person, not online or in writing"))
    if topic.scale == HARD:
        needed = int(context.setting(HARD_MIN_STAKEHOLDERS))
        if stakeholders < needed:
            errors.append(FieldError(
                where,
                f"难事众议：难事协商须邀请至少 {needed} 名利益相关方代表（X），现有 {stakeholders} 名；"
                "请在 participants 中列出（category 为 stakeholder）",
                f"hard matters (难事众议) need at least {needed} stakeholder representative(s) (the X) invited, "
                f"{stakeholders} given; list them in participants with category 'stakeholder'"))
    if errors:
        raise validation_failed(*errors, zh="议题规模对应的协商要求未满足", en="the topic's scale asks for more")


# -- the topic view section -------------------------------------------------------------

async def view_section(context: RegionContext, topic: Topic) -> dict[str, Any]:
    """What the topic's scale means here: the rule, the form, the checks enforced, the notice period."""
    settings = context.settings
    try:
        procedure = context.procedures.get(topic.procedure_key, topic.procedure_version)
    except LookupError:
        procedure = None
    timer = notice_timer(procedure) if procedure else None
    context = TopicContext(now=clock.now(), settings=settings, region_code=topic.region_code,
                           channel=topic.channel, scale=topic.scale)
    rule = RULES.get(topic.scale or "")
    enforced: list[dict[str, str]] = [{"zh": "不调研不协商：议前调研记录后方可安排协商会议",
                                       "en": "no research, no consultation: a meeting is scheduled only after "
                                             "research is recorded"}]
    if topic.scale == MAJOR:
        enforced.append({"zh": "协商会议须为会议协商", "en": "the meeting is held in person"})
    elif topic.scale == URGENT:
        enforced.append({"zh": "可“急事快议”：受理后直接进入议前调研", "en": "may take the fast track to research"})
    elif topic.scale == HARD:
        needed = settings.get(HARD_MIN_STAKEHOLDERS)
        enforced.append({"zh": f"协商会议须邀请至少 {needed} 名利益相关方代表",
                         "en": f"the meeting invites at least {needed} stakeholder representative(s)"})
    has_fast_track = procedure is not None and any(a.key == FAST_TRACK for s in procedure.steps for a in s.actions)
    return {
        "scale": topic.scale,
        "rule": ({"key": topic.scale, **rule} if rule else
                 {"key": None, "title_zh": "未标明规模", "title_en": "no scale given",
                  "text_zh": "按六步议事法常规办理", "text_en": "the six steps as usual",
                  "form_zh": "会议、网络或书面协商均可", "form_en": "meeting, online or written"}),
        "enforced": enforced,
        "fast_track": has_fast_track and topic.scale == URGENT,
        "notice_days": timer.days(context) if timer else None,
    }
