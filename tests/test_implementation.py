"""Implementation and evaluation on both backends: tasks, progress, supervision,
completion with feedback to the proposer, ratings, reports, and the overdue
reminder job on the embedded broker and on Redis."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from core.errors import ApiError
from core.implementation import jobs as implementation_jobs
from core.implementation import service as implementation
from core.models import Topic, TopicFeedback
from core.models.implementation import Notification, Task
from tests.auth_helpers import bearer, login
from tests.test_notices import (  # noqa: F401  (fixtures)
    broker_kind,
    client,
    job_runner,
    world,
)


async def confirmed(world) -> int:
    """A topic whose results were published, stood their notice and were confirmed."""
    topic_id = await world.published()
    clock.advance(timedelta(days=7))
    await world.act("chair", topic_id, "confirm_results")
    await world.db.commit()
    return topic_id


async def test_tasks_progress_supervision_completion_with_feedback_and_rating(world, client):
    topic_id = await confirmed(world)
    secretary = bearer(await login(client, "secretary"))
    member = bearer(await login(client, "member"))
    supervisor = bearer(await login(client, "supervisor"))
    resident = bearer(await login(client, "resident"))
    outsider = bearer(await login(client, "outsider"))
    chair = bearer(await login(client, "chair"))
    tasks_url = f"/api/v1/topics/{topic_id}/tasks"
    task = {"title": "更换路灯", "measures": "更换 LED 灯具两盏", "responsible_name": "青石物业公司",
            "deadline": (clock.now() + timedelta(days=30)).date().isoformat()}

    past = await client.post(tasks_url, json={**task, "deadline": "2020-01-01"}, headers=secretary)
    assert past.status_code == 400
    assert past.json()["error"]["fields"][0]["message_en"] == "the deadline must be in the future"
    missing = await client.post(tasks_url, json={"title": "x"}, headers=secretary)
    assert {f["field"] for f in missing.json()["error"]["fields"]} == {"responsible_name", "deadline"}
    assert (await client.post(tasks_url, json=task, headers=resident)).status_code == 403
    assert (await client.post(tasks_url, json=task, headers=outsider)).status_code == 404
    assert await world.db.scalar(select(func.count()).select_from(Task)) == 0

    created = await client.post(tasks_url, json=task, headers=secretary)
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    assert created.json()["deadline"].startswith((clock.now() + timedelta(days=30)).date().isoformat())

    progress = await client.post(f"/api/v1/tasks/{task_id}/progress", headers=member,
                                 json={"percent": 50, "text": "已更换一盏"})
    assert progress.status_code == 201, progress.text
    bad = await client.post(f"/api/v1/tasks/{task_id}/progress", headers=member,
                            json={"percent": 150, "text": "x", "attachment_ids": "photo.jpg"})
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"percent", "attachment_ids"}
    assert (await client.post(f"/api/v1/tasks/{task_id}/progress", headers=resident,
                              json={"percent": 60, "text": "x"})).status_code == 403

    note = await client.post(f"/api/v1/topics/{topic_id}/supervision-notes", headers=supervisor,
                             json={"text": "现场查看，第二盏灯具尚未到货", "task_id": task_id})
    assert note.status_code == 201, note.text
    assert (await client.post(f"/api/v1/topics/{topic_id}/supervision-notes", headers=member,
                              json={"text": "x"})).status_code == 403

    # The topic cannot be closed while a task is open.
    early = await client.post(f"/api/v1/topics/{topic_id}/actions/close", headers=secretary, json={"note": "办结"})
    assert early.status_code == 409 and "1 implementation task(s)" in early.json()["error"]["message_en"]
    # Nor rated before it is completed.
    assert (await client.post(f"/api/v1/topics/{topic_id}/ratings", headers=resident,
                              json={"score": 5})).status_code == 409

    done = await client.post(f"/api/v1/tasks/{task_id}/complete", headers=secretary,
                             json={"note": "两盏路灯均已更换并通电", "close_topic": True})
    assert done.status_code == 200, done.text
    assert done.json()["topic_status"] == "closed" and done.json()["task"]["percent"] == 100
    world.db.expire_all()
    topic = await world.db.get(Topic, topic_id)
    assert topic.status == "closed"
    feedback = (await world.db.scalars(select(TopicFeedback.text_zh).where(TopicFeedback.topic_id == topic_id)
                                       .order_by(TopicFeedback.id))).all()
    assert "办结" in feedback[-1] and "两盏路灯均已更换并通电" in feedback[-1]

    rated = await client.post(f"/api/v1/topics/{topic_id}/ratings", headers=resident,
                              json={"score": 5, "comment": "晚上亮堂了"})
    assert rated.status_code == 201 and rated.json()["rater_kind"] == "resident"
    assert (await client.post(f"/api/v1/topics/{topic_id}/ratings", headers=resident,
                              json={"score": 4})).status_code == 409
    assert (await client.post(f"/api/v1/topics/{topic_id}/ratings", headers=member,
                              json={"score": 0})).status_code == 400
    member_rating = await client.post(f"/api/v1/topics/{topic_id}/ratings", headers=member, json={"score": 4})
    assert member_rating.json()["rater_kind"] == "member"
    assert (await client.post(f"/api/v1/topics/{topic_id}/ratings", headers=outsider,
                              json={"score": 1})).status_code == 404
    report = await client.post(f"/api/v1/topics/{topic_id}/evaluation-reports", headers=chair,
                               json={"evaluator": "某高校社会工作系", "summary": "群众满意度 95%", "score": 92})
    assert report.status_code == 201, report.text
    # 001 §二(五): the residents' supervisory committee evaluates too; its member files the
    # committee's report, not a third party's.
    as_third = await client.post(f"/api/v1/topics/{topic_id}/evaluation-reports", headers=supervisor,
                                 json={"evaluator": "某评估公司", "summary": "x", "evaluator_kind": "third_party"})
    assert as_third.status_code == 400 and as_third.json()["error"]["fields"][0]["field"] == "evaluator_kind"
    unknown = await client.post(f"/api/v1/topics/{topic_id}/evaluation-reports", headers=chair,
                                json={"evaluator": "x", "summary": "x", "evaluator_kind": "mayor"})
    assert unknown.status_code == 400 and unknown.json()["error"]["fields"][0]["field"] == "evaluator_kind"
    committee = await client.post(f"/api/v1/topics/{topic_id}/evaluation-reports", headers=supervisor, json={
        "evaluator": "青石社区居务监督委员会", "summary": "路灯已全部修复，程序规范",
        "evaluator_kind": "supervisory_committee"})
    assert committee.status_code == 201, committee.text
    assert committee.json()["evaluator_kind_zh"] == "居务监督委员会"

    view = (await client.get(f"/api/v1/topics/{topic_id}/implementation", headers=resident)).json()
    [shown] = view["tasks"]
    assert (shown["status"], shown["percent"], [p["percent"] for p in shown["progress"]]) == ("done", 100, [50, 100])
    assert view["supervision_notes"][0]["text"] == "现场查看，第二盏灯具尚未到货"
    assert view["ratings"]["count"] == 2 and view["ratings"]["average"] == 4.5
    assert [(r["evaluator"], r["evaluator_kind"]) for r in view["evaluation_reports"]] == [
        ("某高校社会工作系", "third_party"), ("青石社区居务监督委员会", "supervisory_committee")]
    detail = (await client.get(f"/api/v1/topics/{topic_id}", headers=resident)).json()
    assert detail["implementation"]["tasks"][0]["id"] == task_id
    assert [h["action"] for h in detail["history"]][-2:] == ["confirm_results", "close"]


async def test_overdue_task_reminds_the_responsible_party_and_the_council(world, job_runner):
    topic_id = await confirmed(world)
    task = await implementation.create_task(
        world.db, world["secretary"], topic_id,
        {"title": "更换路灯", "responsible_name": "议事会成员 member", "responsible_user_id": world["member"].user_id,
         "deadline": (clock.now() + timedelta(days=2)).isoformat()}, plugins=world.plugins,
            authorizer=world.authorizer)
    await world.db.commit()
    task_id = task.id
    await job_runner.baseline(implementation_jobs.REMIND_OVERDUE)

    async def reminded() -> list[int]:
        world.db.expire_all()
        return sorted((await world.db.scalars(select(Notification.user_id).where(
            Notification.kind == "task_overdue", Notification.task_id == task_id))).all())

    clock.advance(timedelta(days=1, hours=1))  # not due yet
    await job_runner(implementation_jobs.REMIND_OVERDUE)
    assert await reminded() == []

    clock.advance(timedelta(days=2))  # a day past the deadline
    await job_runner(implementation_jobs.REMIND_OVERDUE)
    everyone = sorted([world["member"].user_id, world["chair"].user_id, world["secretary"].user_id])
    assert await reminded() == everyone
    text = await world.db.scalar(select(Notification.text_zh).where(Notification.user_id == world["member"].user_id))
    assert "更换路灯" in text and "逾期 1 天" in text

    clock.advance(timedelta(hours=1))  # reminded once a day, not every hour
    await job_runner(implementation_jobs.REMIND_OVERDUE)
    assert await reminded() == everyone
    clock.advance(timedelta(days=1))
    await job_runner(implementation_jobs.REMIND_OVERDUE)
    assert await reminded() == sorted(everyone * 2)

    # The responsible party reads them; a completed task is reminded no more.
    page = await implementation.my_notifications(world.db, world["member"], implementation.Paging(1, 50))
    assert page["total"] == 2 and page["items"][0]["kind"] == "task_overdue"
    await implementation.complete_task(world.db, world["member"], task_id, {"note": "已完成"},
                                       plugins=world.plugins, authorizer=world.authorizer)
    await world.db.commit()
    clock.advance(timedelta(days=1))
    await job_runner(implementation_jobs.REMIND_OVERDUE)
    assert len(await reminded()) == 6


async def test_tasks_only_while_implementing(world):
    topic_id = await world.published()
    try:
        await implementation.create_task(world.db, world["secretary"], topic_id,
                                         {"title": "x", "responsible_name": "y", "deadline": "2031-01-01"},
                                         plugins=world.plugins, authorizer=world.authorizer)
    except ApiError as err:
        assert err.status_code == 409 and "implement and track" in err.message_en
    else:
        raise AssertionError("a task was set before the results were confirmed")
    assert (await world.db.get(Topic, topic_id)).counters.get("tasks_open", 0) == 0


def test_the_implementation_phase_starts_where_the_procedure_waits_for_tasks():
    """Tasks and reports belong from the first step that waits for tasks on,
    whatever a regional procedure calls its steps (e.g. an evaluation step after it)."""
    from dataclasses import replace

    from core.authz.roles import Role
    from core.implementation.guards import tasks_done
    from core.implementation.service import implementing
    from core.models import Topic
    from core.procedures.generic import GENERIC
    from core.procedures.model import Action, Procedure, Stage, Step

    chair = frozenset({Role.council_chair})
    regional = Procedure("regional", 1, "地方程序", "regional", (Stage("s", "阶段", "stage"),), (
        Step("consult", "协商", "consult", "s", (Action("go", "通过", "go", chair, to_step="carry_out"),)),
        Step("carry_out", "组织实施", "carry out", "s",
             (Action("evaluate", "转评估", "to evaluation", chair, to_step="assess", guards=(tasks_done,)),)),
        Step("assess", "评估评议", "assess", "s", (Action("close", "办结", "close", chair, to_status="closed"),)),
    ))

    def topic(step, status="open"):
        return Topic(step=step, status=status)

    assert [implementing(regional, topic(s)) for s in ("consult", "carry_out", "assess")] == [False, True, True]
    assert implementing(regional, topic("assess", "closed"))
    assert [implementing(GENERIC, topic(s)) for s in ("consult", "publicize", "implement")] == [False, False, True]
    # Without the guard anywhere (or the procedure gone), the generic step key decides.
    plain = replace(regional, steps=tuple(replace(s, actions=tuple(replace(a, guards=()) for a in s.actions))
                                          for s in regional.steps))
    assert not implementing(plain, topic("carry_out")) and implementing(None, topic("implement"))
