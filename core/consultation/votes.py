"""Votes (表决) on a meeting's agenda topics, by ballot or by tallies.

Quorum (:mod:`~core.consultation.quorum`): a vote counts only when the fixed
members present reach ``core.quorum_ratio`` (``QUORUM_SETTING``) of the fixed
members serving on the meeting day (rounded up). It passes when, with quorum,
the votes for are more than half of the votes cast. Both figures are stored
with the vote.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.principal import Principal
from core.consultation.access import require_open, require_plan_notice, require_started
from core.consultation.fields import MAX_ITEMS, MAX_TEXT, choice_field
from core.fields import request_body
from core.consultation.queries import agenda_ids, serving_members
from core.consultation.quorum import attending_members, quorum_of
from core.consultation.research import require_research
from core.consultation.views import vote_dict
from core.errors import FieldError, conflict, validation_failed
from core.fields import text_field
from core.models import Topic
from core.models.consultation import VOTE_CHOICES, Ballot, Meeting, Vote


def _count(value: Any, field: str, errors: list[FieldError]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors.append(FieldError(field, "票数应为非负整数", "a count must be a non-negative integer"))
        return 0
    return value


async def record_vote(session: AsyncSession, principal: Principal, meeting: Meeting, data: Mapping[str, Any] | None,
                      *, quorum_ratio: float, plan_notice_days: int = 0) -> Vote:
    """Record the vote on one agenda topic.

    ``data``: topic_id; either ``votes`` (``[{member_id, choice}]``, each an
    attending member of the council, once) or ``tallies`` (``{for, against,
    abstain}``, at most the attending members); resolution (the text
    resolved). Quorum and the result are judged here and stored.
    """
    data = request_body(data)
    require_open(meeting)
    require_started(meeting)
    require_plan_notice(meeting, plan_notice_days)
    errors: list[FieldError] = []
    topic_id = data.get("topic_id")
    agenda = await agenda_ids(session, meeting)
    if topic_id is None or topic_id not in agenda:
        errors.append(FieldError("topic_id", f"议题 {topic_id} 不在本次会议议程中",
                                 f"topic {topic_id} is not on this meeting's agenda"))
    resolution = text_field(data, "resolution", MAX_TEXT, errors, zh="议事决议", en="resolution")
    serving = await serving_members(session, meeting)
    attending = await attending_members(session, meeting, serving)
    ballots: list[Ballot] = []
    votes, tallies = data.get("votes"), data.get("tallies")
    counts = {"for": 0, "against": 0, "abstain": 0}
    if (votes is None) == (tallies is None):
        errors.append(FieldError("votes", "请给出逐人表决（votes）或票数（tallies）之一",
                                 "give either each member's vote (votes) or the tallies"))
    elif votes is not None:
        if not isinstance(votes, list) or not votes or len(votes) > MAX_ITEMS:
            errors.append(FieldError("votes", "votes 应为表决列表", "votes must be a non-empty list"))
            votes = []
        seen: set[int] = set()
        for i, item in enumerate(votes):
            where = f"votes[{i}]"
            member_id = item.get("member_id") if isinstance(item, Mapping) else None
            choice = choice_field(item.get("choice") if isinstance(item, Mapping) else None, VOTE_CHOICES,
                                  f"{where}.choice", "表决意见", "choice", errors)
            if not isinstance(member_id, int) or isinstance(member_id, bool) or member_id not in serving:
                errors.append(FieldError(f"{where}.member_id", f"{member_id} 不是本议事会成员，不能表决",
                                         f"{member_id} is not a member of this council and cannot vote"))
                continue
            if member_id not in attending:
                errors.append(FieldError(f"{where}.member_id", f"{serving[member_id].name} 未出席会议，不能表决",
                                         f"{serving[member_id].name} did not attend and cannot vote"))
                continue
            if member_id in seen:
                errors.append(FieldError(f"{where}.member_id", f"{serving[member_id].name} 重复表决",
                                         f"{serving[member_id].name} voted twice"))
                continue
            seen.add(member_id)
            if choice is not None:
                counts[choice] += 1
                ballots.append(Ballot(member_id=member_id, choice=choice))
    else:
        if not isinstance(tallies, Mapping):
            errors.append(FieldError("tallies", "tallies 应为 {for, against, abstain}",
                                     "tallies must be {for, against, abstain}"))
        else:
            for choice in VOTE_CHOICES:
                counts[choice] = _count(tallies.get(choice, 0), f"tallies.{choice}", errors)
            if sum(counts.values()) > len(attending):
                errors.append(FieldError("tallies", f"票数合计 {sum(counts.values())} 超过出席成员 {len(attending)} 人",
                                         f"{sum(counts.values())} votes exceed the {len(attending)} "
                                         "attending members"))
            elif sum(counts.values()) == 0:
                errors.append(FieldError("tallies", "没有任何票数", "no votes were cast"))
    if errors:
        raise validation_failed(*errors)
    # A topic put on the agenda before its research (or by an older release) is not voted on either.
    await require_research(session, await session.get(Topic, topic_id))
    if await session.scalar(select(Vote.id).where(Vote.meeting_id == meeting.id, Vote.topic_id == topic_id)):
        raise conflict("vote_recorded", "本次会议已对该议题表决", "this meeting has already voted on this topic")

    quorum = quorum_of(serving, attending, quorum_ratio)
    cast = sum(counts.values())
    passed = quorum.met and counts["for"] * 2 > cast
    vote = Vote(meeting_id=meeting.id, topic_id=topic_id, votes_for=counts["for"], votes_against=counts["against"],
                votes_abstain=counts["abstain"], fixed_members=quorum.fixed_members,
                fixed_present=quorum.fixed_present, quorum_ratio=quorum.ratio, quorum_required=quorum.required,
                quorum_met=quorum.met, passed=passed,
                by_ballot=bool(ballots), resolution=resolution,
                recorded_by_user_id=principal.user_id if principal else None, recorded_at=clock.now())
    session.add(vote)
    await session.flush()
    for ballot in ballots:
        ballot.vote_id = vote.id
    session.add_all(ballots)
    meeting.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="meeting.vote", object_type="meeting", object_id=meeting.id,
                 region_code=meeting.region_code, before=None,
                 after={**vote_dict(vote, ballots), "recorded_at": vote.recorded_at})
    return vote
