"""Public notices (公示) and objections, on both backends; the expiry job on
the embedded broker and on Redis. Time moves by core.clock, never by sleeping."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.models import AuditEntry, Topic, TopicEvent, User
from core.models.implementation import Notification
from core.models.notice import Notice, Objection
from core.notices import jobs as notice_jobs
from core.notices.service import mask_contact, public_board, submit_objection
from core.regions.queries import Paging
from core.topics import service as topics
from tests import walk
from tests.auth_helpers import app_client, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.jobs_fixtures import broker_kind, job_runner  # noqa: F401  (fixtures)

COMMUNITY = "330203001001"  # 青石社区
SIBLING = "330203001002"    # 天一社区
STREET = "330203001"        # 月湖街道
OTHER_STREET_COMMUNITY = "330203002001"
T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)
PHONE = "13812345678"


class World:
    def __init__(self, db, runtime, authorizer, people):
        self.db = db
        self.runtime = runtime
        self.plugins = runtime.plugins
        self.authorizer = authorizer
        self.people = people

    def __getitem__(self, name):
        return self.people[name]

    async def create(self, who, data, region):
        return await topics.create_topic(self.db, self.people[who], region, data, plugins=self.plugins,
                                         authorizer=self.authorizer)

    async def act(self, who, topic_id, action, **payload):
        return await topics.perform_action(self.db, self.people[who], topic_id, action, payload,
                                           plugins=self.plugins, authorizer=self.authorizer)

    async def view(self, who, topic_id):
        return await topics.topic_view(self.db, self.people[who], topic_id, plugins=self.plugins,
                                       authorizer=self.authorizer)

    async def hold_vote(self, who, topic_id):
        return await walk.hold_vote(self.db, self.plugins, self.people[who], topic_id)

    async def published(self, *, street: bool = False, text: str = "3 号楼前更换路灯两盏，物业月底前完成") -> int:
        """A topic walked up to its public notice; returns its id, committed."""
        if street:
            topic = await self.create("street_chair", {"title": "两社区之间的道路停车", "channel": "member", "category": "generic.yi.6",
                                                       "affected_regions": [COMMUNITY, SIBLING]}, STREET)
            lead = member = "street_chair"
        else:
            topic = await self.create("resident", {"title": "小区路灯不亮", "channel": "resident", "category": "generic.yi.6",
                                                   "proposer_contact": "13900000000"}, COMMUNITY)
            lead, member = "secretary", "member"
        await self.act(lead, topic.id, "admit")
        await self.act("chair" if not street else lead, topic.id, "confirm")
        await self.act(member, topic.id, "record_research", **walk.RESEARCH)
        await self.act(lead, topic.id, "schedule_meeting", **walk.meeting())
        await self.hold_vote(lead, topic.id)
        await self.act(lead, topic.id, "record_resolution", **walk.resolution("议事会表决通过", text=text))
        await self.db.commit()
        return topic.id


@pytest_asyncio.fixture
async def world(db, runtime):
    clock.set_now(T0)
    await add_regions(db, *SMALL_TREE)
    grants = {
        "chair": [("council_chair", COMMUNITY)],
        "secretary": [("council_secretary", COMMUNITY)],
        "member": [("council_member", COMMUNITY)],
        "resident": [("resident", COMMUNITY)],
        "street_chair": [("council_chair", STREET)],
        "street": [("street_staff", STREET)],
        "supervisor": [("supervisor", COMMUNITY)],
        "neighbour": [("resident", SIBLING)],
        "outsider": [("resident", OTHER_STREET_COMMUNITY)],
    }
    people = {}
    for name, pairs in grants.items():
        user = await make_user(db, name, *pairs)
        user = await db.scalar(select(User).where(User.id == user.id).execution_options(populate_existing=True))
        people[name] = principal_of(user)
    for council in (COMMUNITY, STREET):
        await walk.seat_council(db, runtime.plugins, council)
    authorizer = Authorizer()
    await authorizer.load(db)
    # End the read transaction, so the app in the HTTP tests can write.
    await db.commit()
    return World(db, runtime, authorizer, people)


@pytest_asyncio.fixture
async def client(runtime, world):
    async with app_client(runtime) as test_client:
        yield test_client


# -- running the expiry job through the scheduler and a broker ------------------------

# -- tests ---------------------------------------------------------------------------

def test_contacts_are_masked():
    assert mask_contact(PHONE) == "138****5678"
    assert mask_contact("zhang.san@example.com") == "z***@example.com"
    assert PHONE not in mask_contact(PHONE)


async def test_notice_is_public_without_login_with_contacts_masked_and_reaches_affected_communities(world, client):
    topic_id = await world.published(street=True)
    notice = await world.db.scalar(select(Notice).where(Notice.topic_id == topic_id))
    assert notice.region_code == STREET and notice.closes_at == T0 + timedelta(days=7)

    # The street's board and the boards of both communities the topic affects show it; others do not.
    for code in (STREET, COMMUNITY, SIBLING):
        board = await client.get(f"/api/v1/public/regions/{code}/notices")
        assert board.status_code == 200, board.text
        assert [n["id"] for n in board.json()["items"]] == [notice.id]
    item = board.json()["items"][0]
    assert item["text"] == "3 号楼前更换路灯两盏，物业月底前完成" and item["accepting_objections"] is True
    other = await client.get(f"/api/v1/public/regions/{OTHER_STREET_COMMUNITY}/notices")
    assert other.json()["items"] == [] and other.json()["total"] == 0
    assert (await client.get("/api/v1/public/regions/999999999999/notices")).status_code == 404

    objected = await client.post(f"/api/v1/public/notices/{notice.id}/objections",
                                 json={"name": "李大爷", "contact": PHONE, "text": "占用了消防通道"})
    assert objected.status_code == 201, objected.text
    assert objected.json()["contact"] == "138****5678"
    board = await client.get(f"/api/v1/public/regions/{SIBLING}/notices")
    assert PHONE not in board.text
    shown = board.json()["items"][0]["objections"]
    assert [(o["name"], o["contact"], o["text"]) for o in shown] == [("李大爷", "138****5678", "占用了消防通道")]
    assert PHONE not in (await client.get(f"/api/v1/public/notices/{notice.id}")).text

    # A missing contact is refused field by field, and nothing is stored.
    missing = await client.post(f"/api/v1/public/notices/{notice.id}/objections",
                                json={"name": "王", "text": "不同意"})
    assert missing.status_code == 400
    assert [f["field"] for f in missing.json()["error"]["fields"]] == ["contact"]
    assert await world.db.scalar(select(func.count()).select_from(Objection)) == 1
    # The objection counts in the topic's procedure: confirmation waits for an answer.
    topic = await world.db.get(Topic, topic_id, populate_existing=True)
    assert topic.counters["objections_open"] == 1


async def test_objection_after_the_period_is_refused_and_nothing_is_stored(world, client):
    topic_id = await world.published()
    notice = await world.db.scalar(select(Notice).where(Notice.topic_id == topic_id))
    audit_before = await world.db.scalar(select(func.count()).select_from(AuditEntry))
    clock.set_now(notice.closes_at + timedelta(seconds=1))
    late = await client.post(f"/api/v1/public/notices/{notice.id}/objections",
                             json={"name": "李大爷", "contact": PHONE, "text": "太晚了吗"})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "notice_closed"
    assert "公示期已于" in late.json()["error"]["message_zh"]
    assert await world.db.scalar(select(func.count()).select_from(Objection)) == 0
    assert await world.db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    topic = await world.db.get(Topic, topic_id, populate_existing=True)
    assert topic.counters.get("objections_open", 0) == 0
    # A logged-in resident meets the same wall through the procedure's own action.
    with pytest.raises(Exception) as err:
        await world.act("resident", topic_id, "object", note="太晚了")
    assert err.value.status_code == 409 and "objections are no longer accepted" in err.value.message_en
    assert (await client.post("/api/v1/public/notices/999999/objections",
                              json={"name": "a", "contact": PHONE, "text": "x"})).status_code == 404


async def test_objections_are_rate_limited_per_client(world, client):
    topic_id = await world.published()
    notice = await world.db.scalar(select(Notice).where(Notice.topic_id == topic_id))
    for n in range(5):
        ok = await client.post(f"/api/v1/public/notices/{notice.id}/objections",
                               json={"name": f"居民{n}", "contact": PHONE, "text": "异议"})
        assert ok.status_code == 201
    refused = await client.post(f"/api/v1/public/notices/{notice.id}/objections",
                                json={"name": "居民6", "contact": PHONE, "text": "异议"})
    assert refused.status_code == 429
    assert await world.db.scalar(select(func.count()).select_from(Objection)) == 5
    clock.advance(timedelta(hours=1, seconds=1))
    again = await client.post(f"/api/v1/public/notices/{notice.id}/objections",
                              json={"name": "居民6", "contact": PHONE, "text": "异议"})
    assert again.status_code == 201


# The job tests call the public services directly: an app started here would
# run its own embedded scheduler, racing the one the test ticks.

async def test_objection_returns_the_topic_to_the_council_whose_answer_is_public(world, job_runner):
    topic_id = await world.published()
    notice = await world.db.scalar(select(Notice).where(Notice.topic_id == topic_id))
    await job_runner.baseline(notice_jobs.CLOSE_EXPIRED)
    await submit_objection(world.db, world.plugins, notice.id,
                           {"name": "李大爷", "contact": PHONE, "text": "路灯太亮影响休息"}, client="10.0.0.7")
    await world.db.commit()

    clock.set_now(notice.closes_at + timedelta(minutes=5))
    await job_runner(notice_jobs.CLOSE_EXPIRED)

    world.db.expire_all()
    view = await world.view("chair", topic_id)
    closed = view["history"][-1]
    assert closed["action"] == "notice_closed" and closed["data"]["next"] == "answer_objections"
    assert closed["data"]["objections_open"] == 1
    blocked = {b["key"]: b["reason_en"] for b in view["blocked_actions"]}
    assert "1 objection(s) not yet dealt with" in blocked["confirm_results"]
    assert {"dismiss_objection", "uphold_objection", "refer_to_assembly"} <= {a["key"] for a in view["actions"]}
    assert view["notices"][0]["status"] == "closed" and view["notices"][0]["result"] == "objections"
    # The council's officers are told to answer.
    told = (await world.db.scalars(select(Notification.user_id).where(
        Notification.kind == "objections_to_answer"))).all()
    assert sorted(told) == sorted([world["chair"].user_id, world["secretary"].user_id])

    # The council answers; the answer is public on the board.
    await world.act("secretary", topic_id, "dismiss_objection", note="灯具加装遮光罩，不影响休息")
    await world.db.commit()
    board = await public_board(world.db, COMMUNITY, Paging(1, 50))
    answered = board["items"][0]["objections"][0]
    assert answered["status"] == "answered" and answered["answer"] == "灯具加装遮光罩，不影响休息"
    assert PHONE not in str(board)
    view = await world.view("chair", topic_id)
    assert "confirm_results" in [a["key"] for a in view["actions"]]


async def test_notice_expiry_without_objection_moves_the_topic_to_confirmation(world, job_runner):
    topic_id = await world.published()
    await job_runner.baseline(notice_jobs.CLOSE_EXPIRED)
    view = await world.view("chair", topic_id)
    assert "confirm_results" in {b["key"] for b in view["blocked_actions"]}

    clock.advance(timedelta(days=7, minutes=10))
    await job_runner(notice_jobs.CLOSE_EXPIRED)

    world.db.expire_all()
    view = await world.view("chair", topic_id)
    closed = view["history"][-1]
    assert (closed["action"], closed["actor_name"], closed["data"]["next"]) == (
        "notice_closed", "system", "confirm_results")
    assert "同级党组织确认" in closed["note"]
    assert "confirm_results" in [a["key"] for a in view["actions"]]
    notice = (await public_board(world.db, COMMUNITY, Paging(1, 50)))["items"][0]
    assert (notice["status"], notice["result"], notice["accepting_objections"]) == ("closed", "no_objection", False)
    # The audit trail follows the topic's history one for one.
    events = await world.db.scalar(select(func.count()).select_from(TopicEvent)
                                   .where(TopicEvent.topic_id == topic_id))
    audited = await world.db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "topic", AuditEntry.object_id == str(topic_id)))
    assert audited == events

    await world.act("chair", topic_id, "confirm_results")
    await world.db.commit()
    assert (await world.db.get(Topic, topic_id)).step == "implement"
    # Running the job again finds nothing more to close.
    clock.advance(timedelta(minutes=10))
    await job_runner(notice_jobs.CLOSE_EXPIRED)


async def test_upheld_objection_reopens_consultation_and_a_new_resolution_posts_a_new_notice(world, client):
    topic_id = await world.published()
    notice = await world.db.scalar(select(Notice).where(Notice.topic_id == topic_id))
    notice_id = notice.id
    for name in ("甲", "乙"):
        assert (await client.post(f"/api/v1/public/notices/{notice.id}/objections",
                                  json={"name": name, "contact": PHONE, "text": "不同意"})).status_code == 201
    await world.act("chair", topic_id, "refer_to_assembly", note="提请居民代表会议表决")
    await world.db.commit()
    world.db.expire_all()
    topic = await world.db.get(Topic, topic_id)
    assert topic.step == "consult" and topic.counters["objections_open"] == 0
    statuses = (await world.db.scalars(select(Objection.status).order_by(Objection.id))).all()
    assert statuses == ["referred", "referred"]
    assert (await world.db.get(Notice, notice_id)).status == "withdrawn"
    # The first vote made the first outcome; the new resolution rests on a new one.
    await world.hold_vote("secretary", topic_id)
    await world.act("secretary", topic_id, "record_resolution",
                    **walk.resolution("居民代表会议表决通过", text="维持原方案"))
    await world.db.commit()
    board = (await client.get(f"/api/v1/public/regions/{COMMUNITY}/notices")).json()["items"]
    assert [n["text"] for n in board] == ["维持原方案"]


async def test_a_misspelt_objection_field_is_named_and_nothing_is_stored(world, client):
    topic_id = await world.published()
    notice = await world.db.scalar(select(Notice).where(Notice.topic_id == topic_id))
    wrong = await client.post(f"/api/v1/public/notices/{notice.id}/objections",
                              json={"name": "李大爷", "phone": PHONE, "text": "占用了消防通道"})
    assert wrong.status_code == 400
    fields = {f["field"]: f for f in wrong.json()["error"]["fields"]}
    assert "unknown field 'phone'" in fields["phone"]["message_en"] and "contact" in fields
    assert await world.db.scalar(select(func.count()).select_from(Objection)) == 0
