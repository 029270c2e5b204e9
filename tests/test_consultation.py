"""Research, meetings and outcomes on both backends, over HTTP where people
touch them: research before a meeting, attendance, minutes, a vote judged
for quorum, and the outcome a passed vote lets the council record."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.region_context import region_context
from core import clock
from core.consultation.service import MeetingKind, quorum_required
from core.councils import service as councils
from core.councils.service import MemberData
from core.models import AuditEntry, RegionSetting, Topic, TopicEvent
from core.models.consultation import Meeting, Outcome, Research, Vote
from core.plugins import hookimpl
from core.builtin import make_plugin_manager
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

COMMUNITY = "330203001001"  # 青石社区
STREET = "330203001"
OTHER_COMMUNITY = "330203002001"
# 2024-05-06 09:00 in Beijing.
START = datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc)


class RegionalKinds:
    """A regional plugin adding a meeting kind through the declared hook."""

    @hookimpl
    def yishi_manifest(self):
        from core.plugins import PluginManifest

        return PluginManifest(name="village_talk", title_zh="村民说事", title_en="village talk", builtin=True)

    @hookimpl
    def yishi_meeting_kinds(self, region_code):
        return [MeetingKind("village_talk", "村民说事", "village talk")]


@pytest.fixture
def plugin_host():
    return make_plugin_manager(extra_plugins=[RegionalKinds()])


FIXED = [("党支部书记", "party_secretary"), ("居委会主任", "residents_committee"),
         ("监委会主任", "supervisory_committee"), ("王律师", "legal_worker")]


@pytest.fixture
async def world(db, runtime):
    clock.set_now(START - timedelta(days=3))
    await add_regions(db, *SMALL_TREE)
    for name, grants in {"chair": [("council_chair", COMMUNITY)], "secretary": [("council_secretary", COMMUNITY)],
                         "member": [("council_member", COMMUNITY)], "resident": [("resident", COMMUNITY)],
                         "other_chair": [("council_chair", OTHER_COMMUNITY)],
                         "tianshui": [("city_admin", "6205")]}.items():
        await make_user(db, name, *grants)
    council = await councils.ensure_council(db, COMMUNITY)
    hooks = await region_context(db, runtime.plugins, COMMUNITY)
    members = {}
    for name, category in [*FIXED, ("物业代表", "stakeholder")]:
        change = await councils.add_member(db, council, MemberData(name=name, category=category,
                                                                   joined_on=START.date() - timedelta(days=30)),
                                           context=hooks)
        members[name] = change.member.id
    await db.commit()
    return members


@pytest.fixture
async def client(runtime, world):
    async with app_client(runtime) as test_client:
        await relogin(test_client)
        yield test_client


async def relogin(client) -> None:
    client.headers_for = {name: bearer(await login(client, name))
                          for name in ("chair", "secretary", "member", "resident", "other_chair", "tianshui")}


async def move_clock(client, moment: datetime) -> dict:
    """Set the clock; sessions last hours, so everyone logs in again. Returns the secretary's headers."""
    clock.set_now(moment)
    await relogin(client)
    return client.headers_for["secretary"]


TOPIC = {"title": "小区停车难", "description": "晚上车位不够", "channel": "resident", "scale": "major",
         "category": "generic.yi.6"}
RESEARCH = {"note": "走访 12 户", "method": ["site_visit", "interviews"], "findings": "夜间缺车位 30 个",
            "draft_plan": "利用闲置空地新增车位", "attachments": [7, 8]}
MEETING = {"form": "meeting", "kind": "deliberation", "starts_at": "2024-05-06T09:00", "place": "社区议事厅"}


async def act(client, who, topic_id, action, **payload):
    return await client.post(f"/api/v1/topics/{topic_id}/actions/{action}", json=payload,
                             headers=client.headers_for[who])


async def topic_at_research(client) -> int:
    created = await client.post(f"/api/v1/regions/{COMMUNITY}/topics", json=TOPIC,
                                headers=client.headers_for["resident"])
    assert created.status_code == 201, created.text
    topic_id = created.json()["id"]
    assert (await act(client, "secretary", topic_id, "admit")).status_code == 200
    assert (await act(client, "chair", topic_id, "confirm")).status_code == 200
    return topic_id


async def topic_in_meeting(client) -> tuple[int, int]:
    topic_id = await topic_at_research(client)
    assert (await act(client, "member", topic_id, "record_research", **RESEARCH)).status_code == 200
    scheduled = await act(client, "secretary", topic_id, "schedule_meeting", **MEETING)
    assert scheduled.status_code == 200, scheduled.text
    return topic_id, scheduled.json()["meetings"][0]["id"]


async def count(db, model, *where) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where))


async def test_research_is_recorded_then_a_meeting_is_scheduled(client, db, world):
    topic_id = await topic_at_research(client)
    bad = await act(client, "member", topic_id, "record_research", note="走访", method="seance", findings=" ",
                    attachments="x")
    assert bad.status_code == 400
    fields = {f["field"]: f for f in bad.json()["error"]["fields"]}
    assert set(fields) == {"method", "findings", "attachments"}
    assert "unknown method 'seance'" in fields["method"]["message_en"]
    # Nothing changed: no record, no history entry, the counter still blocks scheduling.
    assert await count(db, Research) == 0
    assert await count(db, TopicEvent, TopicEvent.action == "record_research") == 0
    early = await act(client, "secretary", topic_id, "schedule_meeting", **MEETING)
    assert early.status_code == 409 and "不调研不协商" in early.json()["error"]["message_zh"]

    recorded = await act(client, "member", topic_id, "record_research", **RESEARCH)
    assert recorded.status_code == 200, recorded.text
    research = recorded.json()["research"]
    assert len(research) == 1
    assert [m["title_zh"] for m in research[0]["methods"]] == ["实地调研", "走访座谈"]
    assert research[0]["draft_plan"] == "利用闲置空地新增车位" and research[0]["attachments"] == [7, 8]
    assert recorded.json()["meetings"] == [] and recorded.json()["outcome"] is None

    missing = await act(client, "secretary", topic_id, "schedule_meeting")
    assert missing.status_code == 400 and missing.json()["error"]["fields"][0]["field"] == "meeting_id"
    wrong = await act(client, "secretary", topic_id, "schedule_meeting", form="carrier_pigeon", kind="party",
                      starts_at="tomorrow")
    assert wrong.status_code == 400
    assert {f["field"] for f in wrong.json()["error"]["fields"]} == {"form", "kind", "starts_at"}
    assert await count(db, Meeting) == 0

    scheduled = await act(client, "secretary", topic_id, "schedule_meeting", **MEETING)
    assert scheduled.status_code == 200, scheduled.text
    view = scheduled.json()
    assert view["step"]["key"] == "consult"
    [meeting] = view["meetings"]
    assert meeting["kind"]["title_zh"] == "民主议事会" and meeting["form"]["title_zh"] == "会议协商"
    # China time in, UTC stored.
    assert meeting["starts_at"] == START.isoformat() and meeting["vote"] is None

    detail = await client.get(f"/api/v1/meetings/{meeting['id']}", headers=client.headers_for["member"])
    assert detail.status_code == 200
    body = detail.json()
    assert body["agenda"] == [{"topic_id": topic_id, "title": "小区停车难", "step": "consult"}]
    # The fixed members are invited; the X participant only when named.
    assert sorted(p["name"] for p in body["participants"]) == sorted(name for name, _ in FIXED)
    for outsider in ("tianshui", "other_chair"):
        hidden = await client.get(f"/api/v1/meetings/{meeting['id']}", headers=client.headers_for[outsider])
        assert hidden.status_code == 404
    # A member reads but does not manage.
    refused = await client.post(f"/api/v1/meetings/{meeting['id']}/close", headers=client.headers_for["member"])
    assert refused.status_code == 403


async def test_attendance_minutes_and_a_vote_with_quorum_let_the_resolution_make_the_outcome(client, db, world):
    topic_id, meeting_id = await topic_in_meeting(client)
    h = client.headers_for["secretary"]
    present = [{"member_id": world[name]} for name, _ in FIXED[:3]] + [{"member_id": world["物业代表"]},
                                                                       {"name": "街道城管科 李科长"}]
    early = await client.post(f"/api/v1/meetings/{meeting_id}/attendance", json={"present": present}, headers=h)
    assert early.status_code == 409 and early.json()["error"]["code"] == "meeting_not_started"

    h = await move_clock(client, START + timedelta(minutes=5))
    taken = await client.post(f"/api/v1/meetings/{meeting_id}/attendance", json={"present": present}, headers=h)
    assert taken.status_code == 200, taken.text
    attended = {p["name"]: p for p in taken.json()["participants"]}
    assert attended["王律师"]["attended"] is False and attended["党支部书记"]["attended"] is True
    assert attended["街道城管科 李科长"]["invited"] is False and attended["物业代表"]["invited"] is False

    noted = await client.post(f"/api/v1/meetings/{meeting_id}/minutes", headers=h, json={"entries": [
        {"member_id": world["居委会主任"], "points": "建议利用闲置空地", "topic_id": topic_id},
        {"speaker": "街道城管科 李科长", "points": "规划上可行"}]})
    assert noted.status_code == 200, noted.text
    assert [m["speaker"] for m in noted.json()["minutes"]] == ["居委会主任", "街道城管科 李科长"]

    # A vote naming someone who is not on the council: refused, nothing recorded.
    stranger = await client.post(f"/api/v1/meetings/{meeting_id}/votes", headers=h, json={
        "topic_id": topic_id, "votes": [{"member_id": world["党支部书记"], "choice": "for"},
                                        {"member_id": 999999, "choice": "for"}]})
    assert stranger.status_code == 400
    assert stranger.json()["error"]["fields"][0]["field"] == "votes[1].member_id"
    assert "not a member of this council" in stranger.json()["error"]["fields"][0]["message_en"]
    absent = await client.post(f"/api/v1/meetings/{meeting_id}/votes", headers=h, json={
        "topic_id": topic_id, "votes": [{"member_id": world["王律师"], "choice": "for"}]})
    assert absent.status_code == 400 and "did not attend" in absent.json()["error"]["fields"][0]["message_en"]
    assert await count(db, Vote) == 0

    voted = await client.post(f"/api/v1/meetings/{meeting_id}/votes", headers=h, json={
        "topic_id": topic_id, "resolution": "新增车位 30 个",
        "votes": [{"member_id": world["党支部书记"], "choice": "for"},
                  {"member_id": world["居委会主任"], "choice": "for"},
                  {"member_id": world["监委会主任"], "choice": "abstain"},
                  {"member_id": world["物业代表"], "choice": "against"}]})
    assert voted.status_code == 200, voted.text
    [vote] = voted.json()["votes"]
    assert (vote["for"], vote["against"], vote["abstain"]) == (2, 1, 1)
    # 3 of 4 fixed members present; ratio 0.5 needs 2.
    assert (vote["fixed_members"], vote["fixed_present"], vote["quorum_required"]) == (4, 3, 2)
    assert vote["quorum_met"] and not vote["passed"]  # 2 for out of 4 cast is not more than half
    again = await client.post(f"/api/v1/meetings/{meeting_id}/votes", headers=h,
                              json={"topic_id": topic_id, "tallies": {"for": 3}})
    assert again.status_code == 409

    refused = await act(client, "secretary", topic_id, "record_resolution", note="决议", form="resolution",
                        text="新增车位", responsible_party="社区居委会", deadline="2024-06-30")
    assert refused.status_code == 409 and "did not pass" in refused.json()["error"]["message_en"]

    # The council meets again on the topic and passes it.
    second = await client.post(f"/api/v1/regions/{COMMUNITY}/meetings", headers=h, json={
        **MEETING, "kind": "village_talk", "starts_at": "2024-05-08T19:00", "agenda": [topic_id]})
    assert second.status_code == 201, second.text
    assert second.json()["kind"]["title_zh"] == "村民说事"
    second_id = second.json()["id"]
    h = await move_clock(client, START + timedelta(days=2, hours=11))
    await client.post(f"/api/v1/meetings/{second_id}/attendance", headers=h,
                      json={"present": [{"member_id": world[name]} for name, _ in FIXED]})
    passed = await client.post(f"/api/v1/meetings/{second_id}/votes", headers=h, json={
        "topic_id": topic_id, "tallies": {"for": 3, "against": 1}, "resolution": "新增车位 30 个，物业负责"})
    assert passed.status_code == 200 and passed.json()["votes"][0]["passed"] is True

    past = await act(client, "secretary", topic_id, "record_resolution", note="决议", form="resolution",
                     responsible_party="社区居委会", deadline="2024-05-01")
    assert past.status_code == 400
    assert [f["field"] for f in past.json()["error"]["fields"]] == ["deadline"]
    assert "in the past" in past.json()["error"]["fields"][0]["message_en"]
    assert await count(db, Outcome) == 0
    assert (await db.get(Topic, topic_id, populate_existing=True)).step == "consult"

    done = await act(client, "secretary", topic_id, "record_resolution", note="决议", form="resolution",
                     responsible_party="社区居委会", measures="六月底前划线", deadline="2024-06-30")
    assert done.status_code == 200, done.text
    view = done.json()
    assert view["step"]["key"] == "publicize"
    outcome = view["outcome"]
    assert outcome["form"]["title_zh"] == "会议决议" and outcome["deadline"] == "2024-06-30"
    # The text defaults to what the meeting resolved.
    assert outcome["text"] == "新增车位 30 个，物业负责" and outcome["meeting_id"] == second_id
    assert [m["vote"]["passed"] for m in view["meetings"]] == [False, True]

    closed = await client.post(f"/api/v1/meetings/{second_id}/close", headers=h)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    late = await client.post(f"/api/v1/meetings/{second_id}/minutes", headers=h,
                             json={"entries": [{"speaker": "x", "points": "y"}]})
    assert late.status_code == 409

    audited = list(await db.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type.in_(["meeting", "outcome", "research"])).order_by(AuditEntry.id)))
    assert audited == ["research.create", "meeting.create", "meeting.attendance", "meeting.minutes",
                       "meeting.vote", "meeting.create", "meeting.attendance", "meeting.vote", "outcome.create",
                       "meeting.close"]


async def test_without_quorum_the_resolution_is_refused_with_the_reason(client, db, world):
    topic_id, meeting_id = await topic_in_meeting(client)
    await move_clock(client, START + timedelta(minutes=1))
    h = client.headers_for["chair"]
    await client.post(f"/api/v1/meetings/{meeting_id}/attendance", headers=h,
                      json={"present": [{"member_id": world["党支部书记"]}, {"member_id": world["物业代表"]}]})
    voted = await client.post(f"/api/v1/meetings/{meeting_id}/votes", headers=h, json={
        "topic_id": topic_id, "votes": [{"member_id": world["党支部书记"], "choice": "for"},
                                        {"member_id": world["物业代表"], "choice": "for"}]})
    assert voted.status_code == 200
    assert voted.json()["votes"][0]["quorum_met"] is False
    refused = await act(client, "chair", topic_id, "record_resolution", note="决议", form="plan", text="方案",
                        responsible_party="物业", deadline="2024-07-01")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert "法定人数" in error["message_zh"] and "1 of 4 fixed members present, 2 needed" in error["message_en"]
    assert (await db.get(Topic, topic_id, populate_existing=True)).step == "consult"
    assert await count(db, Outcome) == 0
    assert await count(db, TopicEvent, TopicEvent.action == "record_resolution") == 0


async def test_no_vote_no_resolution_and_a_plan_published_too_late_stops_the_meeting(client, db, world):
    topic_id, meeting_id = await topic_in_meeting(client)
    h = client.headers_for["secretary"]
    refused = await act(client, "secretary", topic_id, "record_resolution", note="决议", form="plan", text="方案",
                        responsible_party="物业", deadline="2024-07-01")
    assert refused.status_code == 409 and "has not voted on this topic" in refused.json()["error"]["message_en"]

    db.add(RegionSetting(region_code=STREET, key="consultation.plan_notice_days", value=2))
    await db.commit()
    h = await move_clock(client, START - timedelta(days=1))
    published = await client.post(f"/api/v1/meetings/{meeting_id}/publish-plan", headers=h,
                                  json={"plan": "新增车位方案"})
    assert published.status_code == 200 and published.json()["plan_published_at"] is not None
    h = await move_clock(client, START + timedelta(minutes=1))
    late = await client.post(f"/api/v1/meetings/{meeting_id}/attendance", headers=h,
                             json={"present": [{"member_id": world["党支部书记"]}]})
    assert late.status_code == 409 and late.json()["error"]["code"] == "plan_not_published"
    assert "2 day(s)" in late.json()["error"]["message_en"]


async def test_region_meetings_list_within_scope_and_refuse_bad_input(client, world):
    h = client.headers_for["secretary"]
    bad = await client.post(f"/api/v1/regions/{COMMUNITY}/meetings", headers=h, json={
        "form": "meeting", "kind": "hearing", "starts_at": "2024-05-06T09:00", "agenda": [424242],
        "participants": [{"member_id": 999999}, {"name": "专家", "category": "astrologer"}]})
    assert bad.status_code == 400
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {
        "place", "agenda", "participants[0].member_id", "participants[1].category"}
    made = await client.post(f"/api/v1/regions/{COMMUNITY}/meetings", headers=h, json={
        "form": "online", "kind": "hearing", "starts_at": "2024-05-10T10:00+08:00", "title": "听证会",
        "participants": [{"member_id": world["物业代表"]}, {"name": "张教授", "category": "expert"}]})
    assert made.status_code == 201, made.text
    names = {p["name"] for p in made.json()["participants"]}
    assert {"物业代表", "张教授", "党支部书记"} <= names

    listed = await client.get(f"/api/v1/regions/{STREET}/meetings", headers=client.headers_for["tianshui"])
    assert listed.status_code == 404
    mine = await client.get(f"/api/v1/regions/{COMMUNITY}/meetings", headers=client.headers_for["member"])
    assert mine.status_code == 200 and [m["title"] for m in mine.json()["items"]] == ["听证会"]
    other = await client.get(f"/api/v1/regions/{OTHER_COMMUNITY}/meetings",
                             headers=client.headers_for["other_chair"])
    assert other.status_code == 200 and other.json()["total"] == 0
    resident = await client.post(f"/api/v1/regions/{COMMUNITY}/meetings", headers=client.headers_for["resident"],
                                 json={})
    assert resident.status_code == 403


def test_quorum_rounds_up_and_never_reaches_zero():
    assert quorum_required(20, 0.5) == 10
    assert quorum_required(21, 0.5) == 11
    assert quorum_required(4, 2 / 3) == 3
    assert quorum_required(0, 0.5) == 1
    assert quorum_required(5, 0.0) == 1
