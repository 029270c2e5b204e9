"""不调研不协商 (004, 002) on every path to a decision, not only the
procedure's scheduling action: a meeting made under the region with an
unresearched topic on its agenda, adding such a topic to a meeting, voting
on it, and resting a resolution on a vote taken before the research."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.models.consultation import Meeting, MeetingTopic, Research, Vote
from tests.test_consultation import (COMMUNITY, MEETING, RESEARCH, START, act, client, move_clock,  # noqa: F401
                                     plugin_host, topic_at_research, world)

NO_RESEARCH_ZH = "不调研不协商"


async def test_a_meeting_under_the_region_refuses_an_unresearched_topic_on_its_agenda(client, db):
    topic_id = await topic_at_research(client)
    h = client.headers_for["secretary"]
    made = await client.post(f"/api/v1/regions/{COMMUNITY}/meetings", headers=h,
                             json={**MEETING, "agenda": [topic_id]})
    assert made.status_code == 400, made.text
    fields = {f["field"]: f for f in made.json()["error"]["fields"]}
    assert NO_RESEARCH_ZH in fields["agenda"]["message_zh"] and "no research" in fields["agenda"]["message_en"]
    assert await db.scalar(select(func.count()).select_from(Meeting)) == 0

    assert (await act(client, "member", topic_id, "record_research", **RESEARCH)).status_code == 200
    made = await client.post(f"/api/v1/regions/{COMMUNITY}/meetings", headers=h,
                             json={**MEETING, "agenda": [topic_id]})
    assert made.status_code == 201, made.text
    assert [a["topic_id"] for a in made.json()["agenda"]] == [topic_id]


async def test_adding_an_unresearched_topic_to_a_scheduled_meeting_is_refused(client, db):
    h = client.headers_for["secretary"]
    made = await client.post(f"/api/v1/regions/{COMMUNITY}/meetings", headers=h, json=MEETING)
    assert made.status_code == 201, made.text
    meeting_id = made.json()["id"]
    topic_id = await topic_at_research(client)
    # The procedure's own guard answers first on the scheduling action.
    refused = await act(client, "secretary", topic_id, "schedule_meeting", meeting_id=meeting_id)
    assert refused.status_code == 409 and NO_RESEARCH_ZH in refused.json()["error"]["message_zh"]
    assert await db.scalar(select(func.count()).select_from(MeetingTopic)) == 0


async def _on_agenda_as_an_older_release_left_it(client, runtime, *, research: bool) -> tuple[int, int, dict]:
    """A meeting, begun with its members present, whose agenda holds a topic put there
    without the research check (as an older release let happen); optionally a research
    record dated at the meeting's start. Returns meeting id, topic id and the secretary's headers."""
    made = await client.post(f"/api/v1/regions/{COMMUNITY}/meetings", headers=client.headers_for["secretary"],
                             json=MEETING)
    meeting_id = made.json()["id"]
    topic_id = await topic_at_research(client)
    async with runtime.sessions() as session, session.begin():
        session.add(MeetingTopic(meeting_id=meeting_id, topic_id=topic_id, position=0, added_at=START))
        if research:
            session.add(Research(topic_id=topic_id, methods=["site_visit"], findings="临时", draft_plan="",
                                 attachments=[], recorded_by_name="x", recorded_at=START))
    h = await move_clock(client, START + timedelta(minutes=30))
    present = (await client.get(f"/api/v1/meetings/{meeting_id}", headers=h)).json()["participants"]
    assert (await client.post(f"/api/v1/meetings/{meeting_id}/attendance", headers=h, json={
        "present": [{"member_id": p["member_id"]} for p in present if p["member_id"]]})).status_code == 200
    return meeting_id, topic_id, h


async def test_no_vote_on_a_topic_whose_research_is_missing(client, db, runtime):
    """A topic that reached an agenda without research (an older release let it) is not voted on."""
    meeting_id, topic_id, h = await _on_agenda_as_an_older_release_left_it(client, runtime, research=False)
    voted = await client.post(f"/api/v1/meetings/{meeting_id}/votes", headers=h,
                              json={"topic_id": topic_id, "tallies": {"for": 3}})
    assert voted.status_code == 409 and NO_RESEARCH_ZH in voted.json()["error"]["message_zh"]
    assert await db.scalar(select(func.count()).select_from(Vote)) == 0


async def test_a_resolution_does_not_rest_on_a_vote_taken_before_the_research(client, db, runtime):
    """The history must not read research → meeting → resolution when the vote came first."""
    # An earlier release let this happen: the topic on the agenda and voted on before any research.
    meeting_id, topic_id, h = await _on_agenda_as_an_older_release_left_it(client, runtime, research=True)
    voted = await client.post(f"/api/v1/meetings/{meeting_id}/votes", headers=h,
                              json={"topic_id": topic_id, "tallies": {"for": 3}, "resolution": "新增车位"})
    assert voted.status_code == 200, voted.text
    # Now make that research look as if it came after the vote (what the old path produced).
    async with runtime.sessions() as session, session.begin():
        research = await session.scalar(select(Research).where(Research.topic_id == topic_id))
        research.recorded_at = START + timedelta(hours=2)
    h = await move_clock(client, START + timedelta(hours=3))
    assert (await act(client, "member", topic_id, "record_research", **RESEARCH)).status_code == 200
    assert (await act(client, "secretary", topic_id, "schedule_meeting", meeting_id=meeting_id)).status_code == 200
    refused = await act(client, "secretary", topic_id, "record_resolution", note="决议", form="resolution",
                        responsible_party="社区居委会", deadline="2024-06-30")
    assert refused.status_code == 409, refused.text
    assert "before the research" in refused.json()["error"]["message_en"]
