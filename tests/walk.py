"""Walking a topic along the real default procedure, written once for the tests.

With the consultation plugin on, research needs its method and findings, a
meeting its form, kind, time and place, and a resolution a vote that passed
with quorum of a council that has fixed members (无表决不决议). These
helpers supply exactly that, at the service level (a test's own session)
and over HTTP (a test client), so a test that is about something later in
the procedure (notices, tasks, escalation) gets there the way users do.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.region_context import region_context
from core import clock
from core.authz.principal import Principal
from core.consultation import service as consultation
from core.councils.categories import is_fixed
from core.councils import service as councils
from core.councils.service import MemberData
from core.models import Topic
from core.models.consultation import Meeting, MeetingTopic, Vote
from core.plugins import PluginHost
from core.tenants.settings import resolve_setting

# The fixed members (固定成员) a council is seated with: three, so a quorum
# at the default ratio (0.5) needs two of them.
FIXED_MEMBERS = (("党组织书记", "party_secretary"), ("居委会主任", "residents_committee"),
                 ("监委会主任", "supervisory_committee"))

FEASIBILITY = "更换费用由社区公益金承担，施工一天可完成"
RESEARCH = {"note": "实地查看", "method": ["site_visit", "interviews"], "findings": "夜间照明不足，居民反映强烈",
            "draft_plan": "更换灯具并加装遮光罩"}


def meeting(**extra: Any) -> dict[str, Any]:
    """A ``schedule_meeting`` payload for a meeting in person starting now (by ``core.clock``)."""
    return {"form": "meeting", "kind": "deliberation", "place": "社区议事厅",
            "starts_at": clock.now().replace(microsecond=0).isoformat(), **extra}


def resolution(note: str = "议事会表决通过", **extra: Any) -> dict[str, Any]:
    """A ``record_resolution`` payload: the outcome's form, responsible party and a deadline a month out."""
    return {"note": note, "form": "resolution", "responsible_party": "社区居委会",
            "deadline": (clock.today() + timedelta(days=30)).isoformat(), **extra}


async def seat_council(db: AsyncSession, plugins: PluginHost, region_code: str,
                       members=FIXED_MEMBERS, *, joined_on: date | None = None) -> dict[str, int]:
    """Give the council of ``region_code`` its fixed members (named people
    without accounts); returns name → member id. Commits."""
    council = await councils.ensure_council(db, region_code)
    hooks = await region_context(db, plugins, region_code)
    joined_on = joined_on or clock.today() - timedelta(days=30)
    seated = {}
    for name, category in members:
        change = await councils.add_member(db, council, MemberData(name=name, category=category,
                                                                   joined_on=joined_on), context=hooks)
        seated[name] = change.member.id
    await db.commit()
    return seated


async def _meeting_to_vote_in(db: AsyncSession, principal: Principal, topic: Topic) -> Meeting:
    """The topic's latest meeting that has not voted on it yet; a new one if every meeting has."""
    voted = select(Vote.meeting_id).where(Vote.topic_id == topic.id)
    found = await db.scalar(
        select(Meeting).join(MeetingTopic, MeetingTopic.meeting_id == Meeting.id)
        .where(MeetingTopic.topic_id == topic.id, Meeting.status != "closed", Meeting.id.not_in(voted))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1))
    if found is not None:
        return found
    return await consultation.create_meeting(db, principal, topic.region_code, meeting(), topics=[topic])


async def hold_vote(db: AsyncSession, plugins: PluginHost, principal: Principal, topic_id: int, *,
                    resolution_text: str = "按议事方案实施") -> Vote:
    """Every fixed member attends the topic's meeting and votes for it (service level, not committed).

    The meeting must have started by ``core.clock``; the quorum ratio comes
    from the region's settings, as over HTTP.
    """
    topic = await db.get(Topic, topic_id)
    held = await _meeting_to_vote_in(db, principal, topic)
    serving = await consultation.serving_members(db, held)
    fixed = [m.id for m in serving.values() if is_fixed(m.category)]
    notice_days = int(await resolve_setting(db, plugins, held.region_code, consultation.PLAN_NOTICE_SETTING))
    await consultation.record_attendance(db, principal, held, {"present": [{"member_id": i} for i in fixed]},
                                         plan_notice_days=notice_days)
    ratio = float(await resolve_setting(db, plugins, held.region_code, consultation.QUORUM_SETTING))
    return await consultation.record_vote(db, principal, held,
                                          {"topic_id": topic_id, "tallies": {"for": len(fixed)},
                                           "resolution": resolution_text},
                                          quorum_ratio=ratio, plan_notice_days=notice_days)


# -- over HTTP ---------------------------------------------------------------------------

async def http_act(client, headers, topic_id: int, action: str, **payload):
    response = await client.post(f"/api/v1/topics/{topic_id}/actions/{action}", json=payload, headers=headers)
    assert response.status_code == 200, f"{action}: {response.status_code} {response.text}"
    return response.json()


async def http_full_research(client, headers, topic: dict) -> dict:
    """Over HTTP: research with every part a region may require (consultation.research_parts):
    two fixed members of the topic's council on site today, the feasibility and the plan."""
    roster = await client.get(f"/api/v1/regions/{topic['region_code']}/council/members", headers=headers)
    assert roster.status_code == 200, roster.text
    fixed = [m["id"] for m in roster.json()["members"] if is_fixed(m["category"])][:2]
    return await http_act(client, headers, topic["id"], "record_research", **RESEARCH, feasibility=FEASIBILITY,
                          visitors=fixed, visited_on=clock.today().isoformat(), visited_place="小区现场")


async def http_hold_vote(client, headers, topic_id: int, *, resolution_text: str = "按议事方案实施") -> dict:
    """Over the meetings API: every invited fixed member of the topic's latest
    meeting attends and votes for it. Returns the vote as the meeting shows it."""
    topic = await client.get(f"/api/v1/topics/{topic_id}", headers=headers)
    assert topic.status_code == 200, topic.text
    meeting_id = topic.json()["meetings"][-1]["id"]
    shown = await client.get(f"/api/v1/meetings/{meeting_id}", headers=headers)
    assert shown.status_code == 200, shown.text
    present = [{"member_id": p["member_id"]} for p in shown.json()["participants"]
               if p["invited"] and p["member_id"] is not None]
    attended = await client.post(f"/api/v1/meetings/{meeting_id}/attendance", json={"present": present},
                                 headers=headers)
    assert attended.status_code == 200, attended.text
    voted = await client.post(f"/api/v1/meetings/{meeting_id}/votes", headers=headers, json={
        "topic_id": topic_id, "tallies": {"for": len(present)}, "resolution": resolution_text})
    assert voted.status_code == 200, voted.text
    [vote] = [v for v in voted.json()["votes"] if v["topic_id"] == topic_id]
    assert vote["quorum_met"] and vote["passed"], vote
    return vote
