"""What clients and the audit log see of research, meetings, votes and outcomes,
and the readings built from them (a meeting, a region's meetings, a topic's
sections)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.scope import RegionScope
from core.consultation.kinds import BUILTIN_KINDS, MeetingKind
from core.consultation.queries import agenda_ids, participants, votes_of
from core.consultation.quorum import QUORUM_SETTING, meeting_quorum
from core.consultation.region_kinds import meeting_kinds
from core.councils.categories import CATEGORY_LABELS
from core.models import Topic
from core.models.consultation import (Ballot, Meeting, MeetingParticipant, MeetingTopic, MinuteEntry, Outcome,
                                      Research, Vote)
from core.models.region import subtree_upper_bound
from core.region_context import RegionContext
from core.regions.queries import Paging
from core.topics.presence import has_rows, watch

watch(Research.__table__)
watch(MeetingTopic.__table__)
watch(Vote.__table__)
watch(Outcome.__table__)

FORM_LABELS = {"meeting": ("会议协商", "meeting"), "online": ("网络协商", "online"),
               "written": ("书面协商", "written")}
METHOD_LABELS = {"site_visit": ("实地调研", "site visit"), "survey": ("问卷调查", "survey"),
                 "interviews": ("走访座谈", "interviews")}
OUTCOME_LABELS = {"village_rules": ("村规民约", "village rules"),
                  "residents_convention": ("居民公约", "residents' convention"),
                  "resolution": ("会议决议", "meeting resolution"), "plan": ("计划方案", "plan")}
CHOICE_LABELS = {"for": ("赞成", "for"), "against": ("反对", "against"), "abstain": ("弃权", "abstain")}


def _labelled(key: str | None, labels: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    zh, en = labels.get(key, (key, key)) if key is not None else (None, None)
    return {"key": key, "title_zh": zh, "title_en": en}


def research_dict(research: Research) -> dict[str, Any]:
    return {"id": research.id, "topic_id": research.topic_id,
            "methods": [_labelled(m, METHOD_LABELS) for m in research.methods or []],
            "findings": research.findings, "draft_plan": research.draft_plan,
            "feasibility": research.feasibility or "",
            "site_visit": {"visitors": list(research.visitors or []),
                           "on": research.visited_on.isoformat() if research.visited_on else None,
                           "place": research.visited_place or ""},
            "attachments": list(research.attachments or []), "recorded_by_user_id": research.recorded_by_user_id,
            "recorded_by_name": research.recorded_by_name, "recorded_at": research.recorded_at.isoformat()}


def _kind_dict(key: str, kinds: Mapping[str, MeetingKind] | None) -> dict[str, Any]:
    kind = (kinds or {}).get(key) or next((k for k in BUILTIN_KINDS if k.key == key), None)
    return {"key": key, "title_zh": kind.title_zh if kind else key, "title_en": kind.title_en if kind else key}


def meeting_summary(meeting: Meeting, kinds: Mapping[str, MeetingKind] | None = None) -> dict[str, Any]:
    return {"id": meeting.id, "council_id": meeting.council_id, "region_code": meeting.region_code,
            "title": meeting.title, "form": _labelled(meeting.form, FORM_LABELS),
            "kind": _kind_dict(meeting.kind, kinds), "starts_at": meeting.starts_at.isoformat(),
            "place": meeting.place, "status": meeting.status,
            "plan_published_at": meeting.plan_published_at.isoformat() if meeting.plan_published_at else None,
            "closed_at": meeting.closed_at.isoformat() if meeting.closed_at else None}


def vote_dict(vote: Vote, ballots: list[Ballot] | None = None) -> dict[str, Any]:
    answer = {"id": vote.id, "meeting_id": vote.meeting_id, "topic_id": vote.topic_id,
              "for": vote.votes_for, "against": vote.votes_against, "abstain": vote.votes_abstain,
              "fixed_members": vote.fixed_members, "fixed_present": vote.fixed_present,
              "quorum_ratio": vote.quorum_ratio, "quorum_required": vote.quorum_required,
              "quorum_met": vote.quorum_met, "passed": vote.passed, "by_ballot": vote.by_ballot,
              "resolution": vote.resolution, "recorded_at": vote.recorded_at.isoformat()}
    if ballots is not None:
        answer["ballots"] = [{"member_id": b.member_id, "choice": b.choice} for b in ballots]
    return answer


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    return {"id": outcome.id, "topic_id": outcome.topic_id, "vote_id": outcome.vote_id,
            "meeting_id": outcome.meeting_id, "form": _labelled(outcome.form, OUTCOME_LABELS),
            "text": outcome.text, "responsible_party": outcome.responsible_party, "measures": outcome.measures,
            "deadline": outcome.deadline.isoformat(), "created_at": outcome.created_at.isoformat()}


def participant_dict(p: MeetingParticipant) -> dict[str, Any]:
    category = CATEGORY_LABELS.get(p.category, (p.category, p.category)) if p.category else ("", "")
    return {"id": p.id, "member_id": p.member_id, "name": p.name, "category": p.category,
            "category_zh": category[0], "category_en": category[1], "invited": p.invited, "attended": p.attended}


async def meeting_view(session: AsyncSession, meeting: Meeting, *,
                       context: RegionContext | None = None) -> dict[str, Any]:
    """Everything about a meeting: agenda, participants, plan, minutes and votes; with the
    region's ``context``, also the quorum as the attendance stands (what a vote now would be judged on)."""
    agenda = await agenda_ids(session, meeting)
    topics = {t.id: t for t in await session.scalars(select(Topic).where(Topic.id.in_(agenda)))} \
        if agenda else {}
    minutes = (await session.scalars(select(MinuteEntry).where(MinuteEntry.meeting_id == meeting.id)
                                     .order_by(MinuteEntry.id))).all()
    votes = await votes_of(session, meeting)
    ballots: dict[int, list[Ballot]] = {}
    if votes:
        for ballot in await session.scalars(select(Ballot).where(Ballot.vote_id.in_([v.id for v in votes]))
                                            .order_by(Ballot.member_id)):
            ballots.setdefault(ballot.vote_id, []).append(ballot)
    people = await participants(session, meeting)
    view = meeting_summary(meeting, meeting_kinds(context))
    view.update({
        "plan": meeting.plan,
        "agenda": [{"topic_id": i, "title": topics[i].title if i in topics else "",
                    "step": topics[i].step if i in topics else None} for i in agenda],
        "participants": [participant_dict(p) for p in people],
        "attendance_taken": any(p.attended is not None for p in people),
        "minutes": [{"id": m.id, "topic_id": m.topic_id, "member_id": m.speaker_member_id,
                     "speaker": m.speaker_name, "points": m.points, "recorded_at": m.recorded_at.isoformat()}
                    for m in minutes],
        "votes": [vote_dict(v, ballots.get(v.id, [])) for v in votes],
        "quorum": (await meeting_quorum(session, meeting, float(context.setting(QUORUM_SETTING)))).as_dict()
        if context is not None else None,
    })
    return view


async def list_meetings(session: AsyncSession, scope: RegionScope, region_code: str, paging: Paging, *,
                        status: str | None = None, context: RegionContext | None = None) -> dict[str, Any]:
    """Meetings of the councils in ``region_code``'s subtree that ``scope`` reaches, latest first."""
    conditions = [Meeting.region_code >= region_code, Meeting.region_code < subtree_upper_bound(region_code),
                  scope.where(Meeting.region_code)]
    if status is not None:
        conditions.append(Meeting.status == status)
    total = await session.scalar(select(func.count()).select_from(Meeting).where(*conditions))
    rows = (await session.scalars(select(Meeting).where(*conditions)
                                  .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
                                  .offset(paging.offset).limit(paging.page_size))).all()
    kinds = meeting_kinds(context)
    return {"items": [meeting_summary(m, kinds) for m in rows], "total": total or 0,
            "page": paging.page, "page_size": paging.page_size}


async def topic_sections(session: AsyncSession, topic: Topic) -> dict[str, Any]:
    """The research, meetings (with their vote on this topic) and latest outcome of a topic."""
    research, meetings, votes, outcome = [], [], {}, None
    if await has_rows(session, topic.id, Research.__table__):
        research = (await session.scalars(select(Research).where(Research.topic_id == topic.id)
                                          .order_by(Research.id))).all()
    if await has_rows(session, topic.id, MeetingTopic.__table__):
        meetings = (await session.scalars(
            select(Meeting).join(MeetingTopic, MeetingTopic.meeting_id == Meeting.id)
            .where(MeetingTopic.topic_id == topic.id).order_by(Meeting.starts_at, Meeting.id))).all()
    if await has_rows(session, topic.id, Vote.__table__):
        votes = {v.meeting_id: v for v in await session.scalars(select(Vote).where(Vote.topic_id == topic.id))}
    if await has_rows(session, topic.id, Outcome.__table__):
        outcome = await session.scalar(select(Outcome).where(Outcome.topic_id == topic.id)
                                       .order_by(Outcome.id.desc()).limit(1))
    return {
        "research": [research_dict(r) for r in research],
        "meetings": [{**meeting_summary(m), "vote": vote_dict(votes[m.id]) if m.id in votes else None}
                     for m in meetings],
        "outcome": outcome_dict(outcome) if outcome else None,
    }
