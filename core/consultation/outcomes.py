"""A topic's way to a decision: the meeting its ``schedule_meeting`` action puts it
on, and the outcome (成果) of its ``record_resolution`` action, resting on a
passed vote with quorum taken after the research."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.principal import Principal
from core.clock import CHINA_TZ, today
from core.consultation.fields import MAX_TEXT, MAX_TITLE, choice_field, day_field
from core.consultation.meetings import attach_topic, create_meeting
from core.consultation.research import NOT_ALLOWED, require_research
from core.consultation.views import outcome_dict
from core.errors import FieldError, conflict, validation_failed
from core.fields import text_field
from core.models import Topic, TopicEvent
from core.models.consultation import OUTCOME_FORMS, Meeting, MeetingTopic, Outcome, Vote
from core.procedures.guards import NO_RESEARCH
from core.region_context import RegionContext


async def schedule_for_topic(session: AsyncSession, principal: Principal | None, topic: Topic,
                             payload: Mapping[str, Any], *, context: RegionContext | None = None) -> Meeting:
    """The meeting of a ``schedule_meeting`` action: ``meeting_id`` of an open meeting
    of the topic's council, or the fields of :func:`create_meeting` for a new one."""
    meeting_id = payload.get("meeting_id")
    if meeting_id is not None:
        meeting = await session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
        if meeting is None or meeting.region_code != topic.region_code:
            raise validation_failed(FieldError("meeting_id", f"本议事会没有会议 {meeting_id}",
                                               f"this council has no meeting {meeting_id}"))
        await attach_topic(session, principal, meeting, topic)
        return meeting
    if not any(key in payload for key in ("form", "kind", "starts_at")):
        raise validation_failed(
            FieldError("meeting_id", "请选择已安排的会议（meeting_id），或填写新会议的形式、类型、时间和地点",
                       "give meeting_id of a scheduled meeting, or form, kind, starts_at and place for a new one"))
    return await create_meeting(session, principal, topic.region_code, payload, context=context, topics=[topic])


async def _resolution_vote(session: AsyncSession, topic: Topic) -> Vote:
    """The vote a resolution rests on: the latest on this topic not yet used by an outcome; 409 if none fits."""
    meetings = (await session.execute(
        select(Meeting.id, Meeting.title, Meeting.starts_at).join(MeetingTopic, MeetingTopic.meeting_id == Meeting.id)
        .where(MeetingTopic.topic_id == topic.id).order_by(Meeting.starts_at.desc(), Meeting.id.desc()))).all()
    if not meetings:
        raise conflict(NOT_ALLOWED, "现在不能形成议事决议：本议题尚未安排协商会议",
                       "no resolution yet: no meeting has this topic on its agenda")
    used = select(Outcome.vote_id).where(Outcome.vote_id.is_not(None))
    vote = await session.scalar(select(Vote).where(Vote.topic_id == topic.id, Vote.id.not_in(used))
                                .order_by(Vote.recorded_at.desc(), Vote.id.desc()).limit(1))
    if vote is None:
        shown = meetings[0].starts_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        raise conflict(NOT_ALLOWED, f"现在不能形成议事决议：{shown} 的协商会议尚未对本议题表决",
                       f"no resolution yet: the meeting of {shown} (China time) has not voted on this topic")
    if not vote.quorum_met:
        raise conflict(NOT_ALLOWED,
                       f"现在不能形成议事决议：表决未达法定人数（固定成员 {vote.fixed_members} 人，"
                       f"出席 {vote.fixed_present} 人，至少须 {vote.quorum_required} 人）",
                       f"no resolution: the vote lacked quorum ({vote.fixed_present} of {vote.fixed_members} "
                       f"fixed members present, {vote.quorum_required} needed)")
    if not vote.passed:
        raise conflict(NOT_ALLOWED,
                       f"现在不能形成议事决议：表决未通过（赞成 {vote.votes_for}，反对 {vote.votes_against}，"
                       f"弃权 {vote.votes_abstain}）",
                       f"no resolution: the vote did not pass (for {vote.votes_for}, against "
                       f"{vote.votes_against}, abstain {vote.votes_abstain})")
    researched = await require_research(session, topic)
    if vote.recorded_at < researched:
        # Research recorded after the vote does not make that vote a consultation on researched ground.
        raise conflict(NOT_ALLOWED, f"现在不能形成议事决议：该表决早于议前调研。{NO_RESEARCH.zh}",
                       f"no resolution: that vote was taken before the research. {NO_RESEARCH.en}")
    return vote


async def record_outcome(session: AsyncSession, principal: Principal | None, topic: Topic,
                         event: TopicEvent | None, payload: Mapping[str, Any]) -> Outcome:
    """The outcome of a ``record_resolution`` action, resting on a passed vote with quorum.

    ``payload``: form (village_rules / residents_convention / resolution /
    plan), text (defaults to the vote's resolution), responsible_party,
    measures, deadline (a date, today or later, China time).
    """
    vote = await _resolution_vote(session, topic)
    errors: list[FieldError] = []
    form = choice_field(payload.get("form"), OUTCOME_FORMS, "form", "成果形式", "form", errors)
    text = text_field(payload, "text", MAX_TEXT, errors, zh="成果内容", en="text") or vote.resolution
    if not text and not any(e.field == "text" for e in errors):
        errors.append(FieldError("text", "请填写成果内容", "text is required"))
    responsible = text_field(payload, "responsible_party", MAX_TITLE, errors, required=True, zh="责任主体",
                             en="responsible_party")
    measures = text_field(payload, "measures", MAX_TEXT, errors, zh="落实措施", en="measures")
    deadline = day_field(payload.get("deadline"), "deadline", "完成时限", "deadline", errors)
    if deadline is not None and deadline < today():
        errors.append(FieldError("deadline", f"完成时限 {deadline.isoformat()} 已过，应不早于今天",
                                 f"the deadline {deadline.isoformat()} is in the past"))
    if errors:
        raise validation_failed(*errors)
    outcome = Outcome(topic_id=topic.id, vote_id=vote.id, meeting_id=vote.meeting_id,
                      event_id=event.id if event else None, form=form, text=text, responsible_party=responsible,
                      measures=measures, deadline=deadline,
                      created_by_user_id=principal.user_id if principal else None, created_at=clock.now())
    session.add(outcome)
    await session.flush()
    await record(session, actor=principal, action="outcome.create", object_type="outcome", object_id=outcome.id,
                 region_code=topic.region_code, before=None, after=outcome_dict(outcome))
    return outcome
