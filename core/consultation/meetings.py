"""Meetings of a council: scheduling one (with its agenda and invitees), adding a
topic to its agenda, publishing its plan, closing it, and counting those held."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.principal import Principal
from core.consultation.access import require_open
from core.consultation.fields import (MAX_PLACE, MAX_TEXT, MAX_TITLE, check_members, choice_field, id_list_field,
                                      moment_field, participant_entries)
from core.consultation.queries import agenda_ids, serving_at
from core.fields import request_body
from core.consultation.region_kinds import meeting_kinds
from core.consultation.research import first_research_at, require_research
from core.councils.categories import is_fixed
from core.councils.service import ensure_council
from core.errors import FieldError, validation_failed
from core.fields import text_field
from core.models import Topic
from core.models.consultation import MEETING_FORMS, Meeting, MeetingParticipant, MeetingTopic
from core.models.region import subtree_upper_bound
from core.procedures.guards import NO_RESEARCH, missing_research_parts, research_incomplete
from core.region_context import RegionContext


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    """What the audit log keeps of a meeting."""
    return {"title": meeting.title, "region_code": meeting.region_code, "form": meeting.form,
            "kind": meeting.kind, "starts_at": meeting.starts_at, "place": meeting.place,
            "status": meeting.status, "plan_published_at": meeting.plan_published_at}


async def _agenda_topics(session: AsyncSession, region_code: str, ids: list[int],
                         errors: list[FieldError], field: str = "agenda",
                         settings: Mapping[str, Any] | None = None) -> list[Topic]:
    if not ids:
        return []
    found = {t.id: t for t in await session.scalars(select(Topic).where(Topic.id.in_(ids)))}
    researched = await first_research_at(session, [t.id for t in found.values() if t.region_code == region_code])
    topics = []
    for topic_id in ids:
        topic = found.get(topic_id)
        # A topic of another council is reported like a missing one.
        if topic is None or topic.region_code != region_code:
            errors.append(FieldError(field, f"本议事会没有议题 {topic_id}", f"this council has no topic {topic_id}"))
        elif topic.status != "open":
            errors.append(FieldError(field, f"议题 {topic_id} 已结束，不能列入议程",
                                     f"topic {topic_id} has ended and cannot go on an agenda"))
        elif topic_id not in researched:
            errors.append(FieldError(field, f"议题 {topic_id}：{NO_RESEARCH.zh}",
                                     f"topic {topic_id}: {NO_RESEARCH.en}"))
        elif missing := missing_research_parts(topic.counters, settings):
            reason = research_incomplete(missing)
            errors.append(FieldError(field, f"议题 {topic_id}：{reason.zh}", f"topic {topic_id}: {reason.en}"))
        else:
            topics.append(topic)
    return topics


async def create_meeting(session: AsyncSession, principal: Principal | None, region_code: str,
                         data: Mapping[str, Any] | None, *, context: RegionContext | None = None,
                         topics: Iterable[Topic] = ()) -> Meeting:
    """Schedule a meeting of the council of ``region_code``.

    ``data``: form (meeting / online / written), kind (a key of
    :func:`meeting_kinds`), starts_at (ISO 8601; China time when no zone is
    given), place, title, plan, agenda (topic ids of this council),
    participants (X participants: ``{member_id}`` or ``{name, category}``;
    the fixed members serving on the meeting day are always invited).
    ``topics``: topics already checked by the caller, put first on the agenda.
    The caller has been allowed ``meeting.manage`` at the region.
    """
    data = request_body(data)
    errors: list[FieldError] = []
    form = choice_field(data.get("form"), MEETING_FORMS, "form", "会议形式", "form", errors)
    kinds = meeting_kinds(context)
    kind = choice_field(data.get("kind"), kinds, "kind", "会议类型", "kind", errors)
    starts_at = moment_field(data.get("starts_at"), "starts_at", "会议时间", "starts_at", errors)
    place = text_field(data, "place", MAX_PLACE, errors, zh="会议地点", en="place")
    title = text_field(data, "title", MAX_TITLE, errors, zh="会议名称", en="title")
    plan = text_field(data, "plan", MAX_TEXT, errors, zh="议事方案", en="plan")
    if form == "meeting" and not place and starts_at is not None:
        errors.append(FieldError("place", "现场会议须填写地点", "a meeting in person needs a place"))
    given = list(topics)
    for topic in given:
        await require_research(session, topic)
    agenda = [*given, *await _agenda_topics(
        session, region_code, [i for i in id_list_field(data.get("agenda"), "agenda", "议程", "agenda", errors)
                               if i not in {t.id for t in given}], errors,
        settings=context.settings if context is not None else None)]
    extra = participant_entries(data.get("participants"), "participants", errors)
    serving = await serving_at(session, region_code, starts_at) if starts_at is not None else {}
    check_members(extra, serving, "participants", errors)
    if errors:
        raise validation_failed(*errors)

    council = await ensure_council(session, region_code, actor=principal)
    now = clock.now()
    meeting = Meeting(council_id=council.id, region_code=region_code,
                      title=title or (agenda[0].title if agenda else ""), form=form, kind=kind, starts_at=starts_at,
                      place=place, plan=plan, status="scheduled",
                      created_by_user_id=principal.user_id if principal else None, created_at=now, updated_at=now)
    session.add(meeting)
    await session.flush()
    session.add_all(MeetingTopic(meeting_id=meeting.id, topic_id=t.id, position=i, added_at=now)
                    for i, t in enumerate(agenda))
    invited = [m for m in serving.values() if is_fixed(m.category)]
    seen = {m.id for m in invited}
    people = [MeetingParticipant(meeting_id=meeting.id, member_id=m.id, name=m.name, category=m.category,
                                 invited=True) for m in invited]
    for member_id, name, category in extra:
        if member_id is not None:
            if member_id in seen:
                continue
            seen.add(member_id)
            member = serving[member_id]
            people.append(MeetingParticipant(meeting_id=meeting.id, member_id=member_id, name=member.name,
                                             category=member.category, invited=True))
        else:
            people.append(MeetingParticipant(meeting_id=meeting.id, member_id=None, name=name, category=category,
                                             invited=True))
    session.add_all(people)
    await session.flush()
    await record(session, actor=principal, action="meeting.create", object_type="meeting", object_id=meeting.id,
                 region_code=region_code, before=None,
                 after={**meeting_snapshot(meeting), "agenda": [t.id for t in agenda],
                        "participants": [p.name for p in people]})
    return meeting


async def attach_topic(session: AsyncSession, principal: Principal | None, meeting: Meeting, topic: Topic) -> None:
    """Put ``topic`` on the agenda of ``meeting`` (no-op if already there)."""
    if meeting.region_code != topic.region_code:
        raise validation_failed(FieldError("meeting_id", "该会议不属于本议题的议事会",
                                           "the meeting is not held by this topic's council"))
    require_open(meeting)
    present = await agenda_ids(session, meeting)
    if topic.id in present:
        return
    await require_research(session, topic)
    session.add(MeetingTopic(meeting_id=meeting.id, topic_id=topic.id, position=len(present), added_at=clock.now()))
    meeting.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="meeting.agenda.add", object_type="meeting",
                 object_id=meeting.id, region_code=meeting.region_code, before={"agenda": present},
                 after={"agenda": [*present, topic.id]})


async def publish_plan(session: AsyncSession, principal: Principal, meeting: Meeting,
                       data: Mapping[str, Any] | None) -> Meeting:
    """Publish the meeting's plan (议事方案) to participants and residents, with the time it went out.

    ``data``: plan (optional; replaces the stored plan). Publishing again
    (a revised plan) moves the time: the notice runs from the last version.
    """
    data = request_body(data)
    require_open(meeting)
    errors: list[FieldError] = []
    plan = text_field(data, "plan", MAX_TEXT, errors, zh="议事方案", en="plan")
    if not plan and not meeting.plan:
        errors.append(FieldError("plan", "请填写议事方案", "the plan is required"))
    if errors:
        raise validation_failed(*errors)
    before = {**meeting_snapshot(meeting), "plan": meeting.plan}
    if plan:
        meeting.plan = plan
    meeting.plan_published_at = clock.now()
    meeting.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="meeting.publish_plan", object_type="meeting",
                 object_id=meeting.id, region_code=meeting.region_code, before=before,
                 after={**meeting_snapshot(meeting), "plan": meeting.plan})
    return meeting


async def close_meeting(session: AsyncSession, principal: Principal, meeting: Meeting) -> Meeting:
    """End the meeting: its record (attendance, minutes, votes) is final from now on."""
    require_open(meeting)
    before = meeting_snapshot(meeting)
    meeting.status = "closed"
    meeting.closed_at = clock.now()
    meeting.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="meeting.close", object_type="meeting", object_id=meeting.id,
                 region_code=meeting.region_code, before=before, after=meeting_snapshot(meeting))
    return meeting


async def meetings_held(session: AsyncSession, start: datetime, end: datetime, *,
                        within: str) -> dict[str, int]:
    """Meetings held in ``[start, end)`` by each council in ``within``'s subtree, by region code.

    A meeting counts as held once its start time has passed (by the
    platform clock): regional standards (每季度一次, 常态议事) count what
    happened, not what is planned.
    """
    until = min(end, clock.now())
    rows = await session.execute(
        select(Meeting.region_code, func.count()).where(
            Meeting.region_code >= within, Meeting.region_code < subtree_upper_bound(within),
            Meeting.starts_at >= start, Meeting.starts_at < until)
        .group_by(Meeting.region_code))
    return {code: count for code, count in rows.all()}
