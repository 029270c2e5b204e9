"""Concurrent writers on both backends get the answers PostgreSQL's row locks
give: one of several racing actions on a topic wins and the rest are told
409; two runs of a job at once do its work once. On SQLite this rests on
BEGIN IMMEDIATE (core.db.make_engine); SELECT … FOR UPDATE does nothing there.

The app runs on the test's own event loop behind httpx's ASGI transport, so
the racing requests really overlap, each on a connection of its own."""
from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from core import clock
from core.app import create_app
from core.implementation import jobs as implementation_jobs
from core.implementation import service as implementation
from core.models import AuditEntry, ScreeningDecision, TopicEvent, TopicFeedback
from core.models.implementation import Notification
from core.models.notice import Notice
from core.notices import jobs as notice_jobs
from core.runtime import Runtime
from tests.auth_helpers import bearer, login
from tests.test_implementation import confirmed
from tests.test_notices import COMMUNITY, world  # noqa: F401  (fixture)

RACERS = 10


@asynccontextmanager
async def served(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the app on this loop; requests sent together run together."""
    app = create_app(Runtime.build(runtime.config, plugins=runtime.plugins))
    async with app.lifespan():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            yield client


async def count(db, model, *conditions) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*conditions))


async def test_ten_concurrent_admits_one_wins_nine_conflict(world):
    topic = await world.create("resident", {"title": "小区路灯不亮", "channel": "resident",
                                            "category": "generic.yi.6", "proposer_contact": "13900000000"},
                               COMMUNITY)
    await world.db.commit()
    topic_id = topic.id
    db = world.db

    async def traces() -> dict[str, int]:
        return {
            "events": await count(db, TopicEvent, TopicEvent.topic_id == topic_id, TopicEvent.action == "admit"),
            "decisions": await count(db, ScreeningDecision, ScreeningDecision.topic_id == topic_id),
            "feedback": await count(db, TopicFeedback, TopicFeedback.topic_id == topic_id),
            "audit": await count(db, AuditEntry, AuditEntry.object_type == "topic",
                                 AuditEntry.object_id == str(topic_id)),
        }

    before = await traces()
    async with served(world.runtime) as client:
        secretary = bearer(await login(client, "secretary"))
        responses = await asyncio.gather(*(
            client.post(f"/api/v1/topics/{topic_id}/actions/admit", headers=secretary)
            for _ in range(RACERS)))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: RACERS - 1}, [r.text for r in responses]
    [winner] = [r for r in responses if r.status_code == 200]
    assert [h["action"] for h in winner.json()["history"]] == ["submit", "admit"]
    # The losers are told why: they found the topic already at the next step.
    assert all("当前步骤“确定议题”不能执行“admit”" in r.json()["error"]["message_zh"]
               for r in responses if r.status_code == 409)
    after = await traces()
    assert {k: after[k] - before[k] for k in after} == {"events": 1, "decisions": 1, "feedback": 1, "audit": 1}


async def test_two_overdue_reminder_runs_at_once_remind_each_task_once(world):
    topic_id = await confirmed(world)
    task_ids = []
    for title in ("更换路灯", "修补路面", "清理楼道"):
        task = await implementation.create_task(
            world.db, world["secretary"], topic_id,
            {"title": title, "responsible_name": "议事会成员 member", "responsible_user_id": world["member"].user_id,
             "deadline": (clock.now() + timedelta(days=2)).isoformat()}, plugins=world.plugins,
            authorizer=world.authorizer)
        task_ids.append(task.id)
    await world.db.commit()
    clock.advance(timedelta(days=3))

    runs = await asyncio.gather(implementation_jobs.remind_overdue_tasks(world.runtime),
                                implementation_jobs.remind_overdue_tasks(world.runtime))

    assert sorted(runs) == [0, len(task_ids)]
    rows = (await world.db.execute(select(Notification.task_id, Notification.user_id)
                                   .where(Notification.kind == "task_overdue"))).all()
    recipients = {world["member"].user_id, world["chair"].user_id, world["secretary"].user_id}
    # Every (task, person) pair once: no reminder written twice.
    assert Counter(rows) == Counter({(task_id, user_id): 1 for task_id in task_ids for user_id in recipients})


async def test_two_notice_expiry_runs_at_once_close_each_notice_once(world):
    first = await world.published()
    second = await world.published(text="楼道加装照明，下月完成")
    clock.advance(timedelta(days=8))

    runs = await asyncio.gather(notice_jobs.close_expired(world.runtime), notice_jobs.close_expired(world.runtime))

    assert sum(runs) == 2
    notices = (await world.db.scalars(select(Notice).where(Notice.topic_id.in_([first, second])))).all()
    assert {n.status for n in notices} == {"closed"}
    for topic_id in (first, second):
        assert await count(world.db, TopicEvent, TopicEvent.topic_id == topic_id,
                           TopicEvent.action == "notice_closed") == 1
        assert await count(world.db, AuditEntry, AuditEntry.action == "topic.notice_closed",
                           AuditEntry.object_id == str(topic_id)) == 1
