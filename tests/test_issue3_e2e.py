"""Issue 3, done when: over HTTP on SQLite and PostgreSQL, one topic goes
through the whole default procedure; a resident's objection sends it back
to the council, whose answer is public; topics spanning communities land in
the street's or the district's inbox and their source communities see the
outcome. Time moves by core.clock; the notice expiry runs as a job."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest_asyncio
from sqlalchemy import select

from core import clock
from core.audit.service import verify
from core.jobs.runtime import JobRuntime
from core.jobs.scheduler import Scheduler, collect_scheduled_jobs
from core.models import AuditEntry
from core.models.notice import Notice
from core.notices import jobs as notice_jobs
from core.runtime import Runtime
from tests import walk
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.jobs_fixtures import FAST, wait_finished

COMMUNITY = "330203001001"               # 青石社区
SIBLING = "330203001002"                 # 天一社区, same street
STREET = "330203001"                     # 月湖街道
OTHER_STREET_COMMUNITY = "330203002001"  # 鼓楼街道's community
DISTRICT = "330203"                      # 海曙区
T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)  # 09:00 in Beijing
PHONE = "13812345678"

PEOPLE = {
    "chair": [("council_chair", COMMUNITY)],
    "secretary": [("council_secretary", COMMUNITY)],
    "member": [("council_member", COMMUNITY)],
    "resident": [("resident", COMMUNITY)],
    "sibling_member": [("council_member", SIBLING)],
    "street": [("street_staff", STREET)],
    "street_chair": [("council_chair", STREET)],
    "district": [("district_admin", DISTRICT)],
}
TOPIC = {"title": "小区路灯不亮", "description": "3 号楼前路灯坏了两个月", "channel": "resident", "scale": "minor",
         "category": "generic.yi.6", "proposer_contact": "13900000000"}


@pytest_asyncio.fixture
async def world(db, runtime):
    clock.set_now(T0)
    await add_regions(db, *SMALL_TREE)
    for name, grants in PEOPLE.items():
        await make_user(db, name, *grants)
    for council in (COMMUNITY, STREET):
        await walk.seat_council(db, runtime.plugins, council)


@pytest_asyncio.fixture
async def jobs(runtime, world):
    """A worker on the embedded broker beside the app, for the jobs the test fires."""
    job_runtime = Runtime.build(runtime.config, plugins=runtime.plugins)
    runner = JobRuntime(job_runtime, **FAST, worker=True, scheduler=False, dispatch=True,
                        namespace=f"yishi-e2e-{uuid.uuid4().hex[:12]}")
    await runner.start()
    # The schedule's first tick only records where it starts; a later slot fires.
    await Scheduler(job_runtime, [s for s in collect_scheduled_jobs(job_runtime)
                                  if s.name == notice_jobs.CLOSE_EXPIRED]).tick()
    yield job_runtime
    await runner.stop()
    await job_runtime.close()


class Api:
    """The app over HTTP, with everyone logged in."""

    def __init__(self, client):
        self.client = client
        self.headers: dict[str, dict[str, str]] = {}

    async def login_all(self) -> None:
        # Sessions last hours: after the clock moves days, everyone logs in again.
        self.headers = {name: bearer(await login(self.client, name)) for name in PEOPLE}

    async def get(self, who: str | None, path: str):
        return await self.client.get(f"/api/v1{path}", headers=self.headers[who] if who else None)

    async def post(self, who: str | None, path: str, body=None):
        return await self.client.post(f"/api/v1{path}", json=body, headers=self.headers[who] if who else None)

    async def act(self, who: str, topic_id: int, action: str, **payload) -> dict:
        return await walk.http_act(self.client, self.headers[who], topic_id, action, **payload)

    async def view(self, who: str, topic_id: int) -> dict:
        response = await self.get(who, f"/topics/{topic_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def submit(self, who: str, body: dict, region: str = COMMUNITY) -> int:
        created = await self.post(who, f"/regions/{region}/topics", body)
        assert created.status_code == 201, created.text
        return created.json()["id"]

    async def publish(self, topic_id: int, *, lead: str, member: str, text: str) -> dict:
        """From research to the outcome on notice: research, a meeting that votes, the resolution."""
        await self.act(member, topic_id, "record_research", **walk.RESEARCH)
        scheduled = await self.act(lead, topic_id, "schedule_meeting", **walk.meeting())
        assert scheduled["step"]["key"] == "consult"
        await walk.http_hold_vote(self.client, self.headers[lead], topic_id, resolution_text=text)
        return await self.act(lead, topic_id, "record_resolution", **walk.resolution(text=text))


@pytest_asyncio.fixture
async def api(runtime, world):
    async with app_client(runtime) as client:
        api = Api(client)
        await api.login_all()
        yield api


async def board(api: Api, code: str) -> list[dict]:
    """A region's public notice board, read without logging in."""
    response = await api.client.get(f"/api/v1/public/regions/{code}/notices")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def expire_notices(api: Api, job_runtime: Runtime, notice_id: int) -> None:
    """Move the clock past the notice's period and run the expiry job through the scheduler."""
    async with job_runtime.sessions() as session:
        closes_at = (await session.get(Notice, notice_id)).closes_at
    clock.set_now(closes_at + timedelta(minutes=10))
    scheduled = [s for s in collect_scheduled_jobs(job_runtime) if s.name == notice_jobs.CLOSE_EXPIRED]
    fires = await Scheduler(job_runtime, scheduled).tick()
    if fires:
        row = await wait_finished(job_runtime, fires[0].outbox_id)
        assert row.status == "done", row.error
    # Else the app's own embedded scheduler won this slot; its worker closes the notice.
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        async with job_runtime.sessions() as session:
            if (await session.get(Notice, notice_id)).status == "closed":
                break
        assert asyncio.get_running_loop().time() < deadline, "the notice was not closed"
        await asyncio.sleep(0.05)
    await api.login_all()


async def notice_of(api: Api, topic_id: int) -> dict:
    [notice] = [n for n in (await api.view("chair", topic_id))["notices"] if n["status"] == "open"]
    return notice


async def test_one_topic_through_the_whole_default_procedure(api, jobs, runtime, db):
    topic_id = await api.submit("resident", TOPIC)
    admitted = await api.act("secretary", topic_id, "admit", catalogue_item="generic.yi.6")
    assert admitted["screening"][0]["catalogue_item"] == "generic.yi.6"
    await api.act("chair", topic_id, "confirm")
    published = await api.publish(topic_id, lead="secretary", member="member", text="物业月底前更换路灯两盏")
    assert published["step"]["key"] == "publicize"
    assert published["outcome"]["text"] == "物业月底前更换路灯两盏"
    assert published["meetings"][0]["vote"]["passed"] is True

    notice = await notice_of(api, topic_id)
    assert [n["id"] for n in await board(api, COMMUNITY)] == [notice["id"]]
    early = await api.post("chair", f"/topics/{topic_id}/actions/confirm_results")
    assert early.status_code == 409 and "notice period" in early.json()["error"]["message_en"]

    await expire_notices(api, jobs, notice["id"])
    closed = (await api.view("chair", topic_id))["history"][-1]
    assert (closed["action"], closed["data"]["next"]) == ("notice_closed", "confirm_results")
    await api.act("chair", topic_id, "confirm_results")

    deadline = (clock.now() + timedelta(days=20)).date().isoformat()
    task = await api.post("secretary", f"/topics/{topic_id}/tasks", {
        "title": "更换路灯", "measures": "更换 LED 灯具两盏", "responsible_name": "青石物业公司", "deadline": deadline})
    assert task.status_code == 201, task.text
    task_id = task.json()["id"]
    progress = await api.post("member", f"/tasks/{task_id}/progress", {"percent": 50, "text": "已更换一盏"})
    assert progress.status_code == 201, progress.text
    done = await api.post("secretary", f"/tasks/{task_id}/complete",
                          {"note": "两盏路灯均已更换并通电", "close_topic": True})
    assert done.status_code == 200 and done.json()["topic_status"] == "closed", done.text
    rated = await api.post("resident", f"/topics/{topic_id}/ratings", {"score": 5, "comment": "晚上亮堂了"})
    assert rated.status_code == 201, rated.text

    view = await api.view("resident", topic_id)
    assert view["status"] == "closed"
    history = [h["action"] for h in view["history"]]
    assert history == ["submit", "admit", "confirm", "record_research", "schedule_meeting", "record_resolution",
                       "notice_closed", "confirm_results", "close"]
    assert view["implementation"]["ratings"]["count"] == 1

    # Every step of the history is in the audit trail, and the chain holds.
    db.expire_all()
    audited = (await db.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "topic", AuditEntry.object_id == str(topic_id)).order_by(AuditEntry.id))).all()
    assert audited == ["topic.create", *[f"topic.{action}" for action in history[1:]], "evaluation.rate"]
    others = set(await db.scalars(select(AuditEntry.action)))
    assert {"research.create", "meeting.create", "meeting.attendance", "meeting.vote", "outcome.create",
            "notice.open", "task.create", "task.progress", "task.complete"} <= others
    report = await verify(db)
    assert report.ok, report.describe()
    assert report.checked == await db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))


async def test_an_objection_returns_the_topic_to_the_council_whose_answer_is_public(api, jobs):
    topic_id = await api.submit("resident", TOPIC)
    await api.act("secretary", topic_id, "admit")
    await api.act("chair", topic_id, "confirm")
    await api.publish(topic_id, lead="secretary", member="member", text="3 号楼前加装路灯两盏")
    notice = await notice_of(api, topic_id)

    objected = await api.post(None, f"/public/notices/{notice['id']}/objections",
                              {"name": "李大爷", "contact": PHONE, "text": "路灯正对卧室，影响休息"})
    assert objected.status_code == 201, objected.text

    await expire_notices(api, jobs, notice["id"])
    view = await api.view("chair", topic_id)
    closed = view["history"][-1]
    assert (closed["action"], closed["data"]["next"]) == ("notice_closed", "answer_objections")
    assert {"dismiss_objection", "uphold_objection"} <= {a["key"] for a in view["actions"]}
    blocked = await api.post("chair", f"/topics/{topic_id}/actions/confirm_results")
    assert blocked.status_code == 409
    assert "1 objection(s) not yet dealt with" in blocked.json()["error"]["message_en"]

    await api.act("secretary", topic_id, "dismiss_objection", note="灯具加装遮光罩，不影响休息")
    [shown] = await board(api, COMMUNITY)
    [objection] = shown["objections"]
    assert (objection["name"], objection["contact"]) == ("李大爷", "138****5678")
    assert objection["status"] == "answered" and objection["answer"] == "灯具加装遮光罩，不影响休息"
    assert PHONE not in str(shown)
    confirmed = await api.act("chair", topic_id, "confirm_results")
    assert confirmed["step"]["key"] == "implement"


async def test_topics_spanning_communities_go_to_the_street_or_district_and_sources_see_the_outcome(api):
    street_topic = await api.submit("chair", {"title": "两社区共用停车场管理", "channel": "member",
                                              "category": "generic.yi.6", "affected_regions": [COMMUNITY, SIBLING]})
    moved = await api.act("secretary", street_topic, "admit")
    assert moved["region_code"] == STREET and moved["origin_region_code"] == COMMUNITY
    inbox = await api.get("street", f"/regions/{STREET}/escalations")
    assert inbox.status_code == 200 and [i["topic"]["id"] for i in inbox.json()["items"]] == [street_topic]

    district_topic = await api.submit("chair", {"title": "跨街道断头路打通", "channel": "member",
                                                "category": "generic.yi.6",
                                                "affected_regions": [COMMUNITY, OTHER_STREET_COMMUNITY]})
    assert (await api.act("secretary", district_topic, "admit"))["region_code"] == DISTRICT
    inbox = await api.get("district", f"/regions/{DISTRICT}/escalations")
    assert inbox.status_code == 200 and [i["topic"]["id"] for i in inbox.json()["items"]] == [district_topic]
    assert [i["topic"]["id"] for i in (await api.get("street", f"/regions/{STREET}/escalations")).json()["items"]] \
        == [street_topic]

    # The street's council runs the topic now; the source communities' members still read it.
    await api.act("street_chair", street_topic, "confirm")
    assert await board(api, COMMUNITY) == []
    published = await api.publish(street_topic, lead="street_chair", member="street_chair",
                                  text="两社区错时共享停车场，物业统一管理")
    assert published["region_code"] == STREET and published["step"]["key"] == "publicize"
    for reader in ("member", "sibling_member"):
        view = await api.view(reader, street_topic)
        assert view["outcome"]["text"] == "两社区错时共享停车场，物业统一管理" and view["actions"] == []
    for source in (COMMUNITY, SIBLING):
        [notice] = await board(api, source)
        assert (notice["topic_id"], notice["text"]) == (street_topic, "两社区错时共享停车场，物业统一管理")
    assert await board(api, OTHER_STREET_COMMUNITY) == []
