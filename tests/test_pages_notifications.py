"""The notifications page: the user's own, newest first and paged, unread marked; opening one
marks it read and goes to what it is about, and the bell counts one fewer."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from sqlalchemy import select

from admin_ui.pages.notifications import PAGE_SIZE, target_of
from core import clock
from core.implementation.notify import notify
from core.models import Topic
from core.models.implementation import Notification
from tests.auth_helpers import app_client, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.page_helpers import page_login, post_form

pytestmark = pytest.mark.asyncio

COMMUNITY = "620502001001"
NOW = datetime(2024, 6, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _fixed_now():
    clock.set_now(NOW)


@pytest_asyncio.fixture
async def world(db):
    await add_regions(db, *SMALL_TREE)
    chair = await make_user(db, "jinbu_chair", ("council_chair", COMMUNITY))
    other = await make_user(db, "jinbu_member", ("council_member", COMMUNITY))
    topic = Topic(region_code=COMMUNITY, origin_region_code=COMMUNITY, title="小区路灯维修", description="",
                  channel="member", procedure_key="generic", procedure_version=1, step="collect", status="open",
                  counters={}, timers={}, proposer_name="委员", created_at=NOW, updated_at=NOW)
    db.add(topic)
    await db.flush()
    older = await notify(db, region_code=COMMUNITY, kind="notice_closed", user_ids=[chair.id],
                         text_zh="议题“小区路灯维修”：公示期满，无异议", text_en='Topic "street lights": no objection')
    clock.set_now(NOW + timedelta(hours=1))
    newer = await notify(db, region_code=COMMUNITY, kind="objections_to_answer", user_ids=[chair.id],
                         topic_id=topic.id, text_zh="议题“小区路灯维修”：有 1 条异议待答复",
                         text_en='Topic "street lights": 1 objection to answer')
    theirs = await notify(db, region_code=COMMUNITY, kind="notice_closed", user_ids=[other.id], topic_id=topic.id,
                          text_zh="别人的通知", text_en="someone else's")
    await db.commit()
    return {"topic": topic.id, "older": older[0].id, "newer": newer[0].id, "theirs": theirs[0].id}


@pytest_asyncio.fixture
async def client(runtime, world):
    async with app_client(runtime) as c:
        c.follow_redirects = False  # a 303 is looked at, not followed
        await page_login(c, "jinbu_chair")
        yield c


def bell(html: str) -> str | None:
    found = re.search(r'class="bell"[^>]*>\s*<svg class="bell-icon"[^>]*>.*?</svg>(?:<span class="count">(\d+)</span>)?',
                      html)
    assert found, "no bell"
    return found.group(1)


async def test_the_list_shows_my_notifications_newest_first_with_unread_marked(client, world):
    answer = await client.get("/notifications")
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert html.index("有 1 条异议待答复") < html.index("公示期满，无异议")
    assert "别人的通知" not in html
    assert html.count('<span class="badge warn">未读</span>') == 2
    assert "2024-06-01 11:00" in html  # China time
    assert bell(html) == "2"


async def test_opening_one_marks_it_read_and_goes_to_its_topic(client, db, world):
    answer = await post_form(client, f"/notifications/{world['newer']}/open", {})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/topics/{world['topic']}"
    await db.rollback()
    assert (await db.get(Notification, world["newer"])).read_at == NOW + timedelta(hours=1)
    html = (await client.get("/notifications")).text
    assert html.count('<span class="badge warn">未读</span>') == 1 and bell(html) == "1"
    # One about no topic leads back to the list; then the bell is quiet.
    answer = await post_form(client, f"/notifications/{world['older']}/open", {})
    assert answer.headers["location"] == "/notifications"
    assert bell((await client.get("/notifications")).text) is None


async def test_someone_elses_notification_is_not_found(client, db, world):
    answer = await post_form(client, f"/notifications/{world['theirs']}/open", {})
    assert answer.status_code == 404 and "通知不存在" in answer.text
    await db.rollback()
    assert (await db.get(Notification, world["theirs"])).read_at is None


async def test_the_list_is_paged(client, db, world):
    chair = (await db.scalars(select(Notification.user_id).where(Notification.id == world["older"]))).one()
    await notify(db, region_code=COMMUNITY, kind="notice_closed", user_ids=[chair],
                 text_zh="第一页之外", text_en="beyond the first page")
    for n in range(PAGE_SIZE):
        await notify(db, region_code=COMMUNITY, kind="notice_closed", user_ids=[chair],
                     text_zh=f"提醒 {n}", text_en=f"reminder {n}")
    await db.commit()
    first = (await client.get("/notifications")).text
    assert f"提醒 {PAGE_SIZE - 1}" in first and "第一页之外" not in first
    assert 'href="/notifications?page=2"' in first and "第 1 页，共 2 页" in first
    second = (await client.get("/notifications?page=2")).text
    assert "第一页之外" in second and "有 1 条异议待答复" in second
    assert (await client.get("/notifications?page=0")).status_code == 400


async def test_a_task_reminder_leads_to_the_topics_implementation():
    assert target_of({"topic_id": 7, "task_id": 3}) == "/topics/7/implementation"
    assert target_of({"topic_id": 7, "task_id": None}) == "/topics/7"
    assert target_of({"topic_id": None, "task_id": None}) == "/notifications"
