"""Implementation and evaluation (跟踪落实, 评议).

Once the results are confirmed, the council sets tasks: who is responsible,
what they do, by when ("谁负责、谁执行"). Progress is reported against a
task (percent, text, photos); supervisory committee members (监委会成员)
leave supervision notes; overdue tasks remind the responsible party and the
council (:func:`remind_overdue`, run by a job). When the last task is
completed the topic may be closed in the same request, through the
procedure's ``close`` action, which gives the proposer feedback
(件件有回音). A closed topic is rated by residents and members (1–5) and a
third-party evaluation report can be attached.

The topic's ``tasks_open`` counter mirrors the open tasks so the
procedure's ``close`` guard can see them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.clock import CHINA_TZ
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role, covers
from core.db import Base
from core.errors import ApiError, FieldError, conflict, forbidden, validation_failed
from core.fields import text_field as _text
from core.implementation.guards import TASKS_OPEN, tasks_done
from core.implementation.notify import notify
from core.models import Topic, TopicRegion, User
from core.models.implementation import (EvaluationReport, Notification, ProgressUpdate, Rating, SupervisionNote,
                                        Task)
from core.plugins import PluginHost
from core.procedures.model import Procedure
from core.procedures.registry import procedure_registry
from core.regions.queries import Paging
from core.topics import service as topics
from core.topics.service import actor_name, can_read, topic_not_found

MANAGE = "task.manage"
PROGRESS = "task.progress"
SUPERVISE = "supervision.write"
RATE = "evaluation.rate"
REPORT = "evaluation.report"
# The generic procedure's step where tasks are set and worked on.
IMPLEMENT_STEP = "implement"
CLOSE = "close"
MAX_TITLE = 200
MAX_TEXT = 5000
MAX_NAME = 200
MAX_ATTACHMENTS = 20
# Deadlines given as a day mean the end of that day in China (UTC+8, no DST).
REMIND_EVERY = timedelta(days=1)
MEMBER_ROLES = frozenset({Role.council_chair, Role.council_secretary, Role.council_member, Role.cppcc_member,
                          Role.supervisor})


def implementing(procedure: Procedure | None, topic: Topic) -> bool:
    """Whether the topic has reached its procedure's implementation phase (a
    topic closed there stays in it, so evaluation reports may follow).

    The phase starts at the first step that waits for tasks (an action
    guarded by ``tasks_done``), so a regional procedure with its own step
    keys, or with an evaluation step after implementation (Ningbo's
    追踪监督、评估评议), gets tasks and reports where they belong. A topic
    whose procedure is not installed falls back to the generic step key.
    """
    if procedure is None:
        return topic.step == IMPLEMENT_STEP
    keys = [step.key for step in procedure.steps]
    starts = next((i for i, step in enumerate(procedure.steps)
                   if any(tasks_done in action.guards for action in step.actions)), None)
    if starts is None or topic.step not in keys:
        return topic.step == IMPLEMENT_STEP
    return keys.index(topic.step) >= starts


def _procedure_of(session: AsyncSession, topic: Topic) -> Procedure | None:
    from core.escalation.service import plugin_host_of

    try:
        return procedure_registry(plugin_host_of(session)).get(topic.procedure_key, topic.procedure_version)
    except LookupError:
        return None


def task_not_found() -> ApiError:
    return ApiError(404, "not_found", "落实任务不存在", "task not found")


# -- access --------------------------------------------------------------------

async def _affected(session: AsyncSession, topic: Topic) -> list[str]:
    return list((await session.scalars(select(TopicRegion.region_code)
                                       .where(TopicRegion.topic_id == topic.id))).all())


async def _load_topic(session: AsyncSession, principal: Principal, topic_id: int, authorizer: Authorizer, *,
                      for_update: bool = False) -> tuple[Topic, list[str]]:
    """The topic if the caller reads it at its council's region or at a community it affects."""
    query = select(Topic).where(Topic.id == topic_id)
    if for_update:
        query = query.with_for_update()
    topic = await session.scalar(query) if isinstance(topic_id, int) else None
    if topic is None:
        raise topic_not_found()
    affected = await _affected(session, topic)
    if not (can_read(authorizer, principal, topic)
            or any(authorizer.allowed(principal, topics.READ, code) for code in affected)):
        raise topic_not_found()
    return topic, affected


def _allowed_any(authorizer: Authorizer, principal: Principal, action: str, codes: Iterable[str]) -> bool:
    return any(authorizer.allowed(principal, action, code) for code in codes)


def _require(authorizer: Authorizer, principal: Principal, action: str, codes: Iterable[str], zh: str,
             en: str) -> None:
    if not _allowed_any(authorizer, principal, action, codes):
        raise forbidden(zh, en)


# -- input ------------------------------------------------------------------------

def _body(data: Any) -> Mapping[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise validation_failed(FieldError("body", "请求内容应为对象", "the request body must be an object"))
    return data




def _int(data: Mapping[str, Any], name: str, low: int, high: int, errors: list[FieldError], *, zh: str, en: str,
         required: bool = True) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors.append(FieldError(name, f"{zh}应为 {low} 到 {high} 之间的整数",
                                 f"{en} must be a whole number from {low} to {high}"))
        return None
    return value


def _deadline(raw: Any, errors: list[FieldError]) -> datetime | None:
    """An ISO date (end of that day, China time) or an ISO datetime with a zone, in the future."""
    field = "deadline"
    if not isinstance(raw, str) or not raw.strip():
        errors.append(FieldError(field, "请填写完成期限", "deadline is required"))
        return None
    raw = raw.strip()
    try:
        if len(raw) == 10:
            when = datetime.combine(date.fromisoformat(raw), time(23, 59, 59), CHINA_TZ)
        else:
            when = datetime.fromisoformat(raw)
            if when.tzinfo is None:
                when = when.replace(tzinfo=CHINA_TZ)
    except ValueError:
        errors.append(FieldError(field, f"完成期限“{raw[:40]}”不是有效日期（如 2030-06-30）",
                                 f"deadline '{raw[:40]}' is not a valid date (e.g. 2030-06-30)"))
        return None
    when = when.astimezone(timezone.utc)
    if when <= clock.now():
        errors.append(FieldError(field, "完成期限不能早于现在", "the deadline must be in the future"))
        return None
    return when


async def _attachment_ids(session: AsyncSession, data: Mapping[str, Any], errors: list[FieldError]) -> list[int]:
    raw = data.get("attachment_ids")
    if raw is None:
        return []
    if (not isinstance(raw, list) or len(raw) > MAX_ATTACHMENTS
            or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in raw)):
        errors.append(FieldError("attachment_ids", f"附件应为至多 {MAX_ATTACHMENTS} 个附件编号的列表",
                                 f"attachment_ids must be a list of at most {MAX_ATTACHMENTS} attachment ids"))
        return []
    ids = list(dict.fromkeys(raw))
    table = Base.metadata.tables.get("attachments")
    if table is not None and ids:
        found = set((await session.scalars(select(table.c.id).where(table.c.id.in_(ids)))).all())
        missing = [i for i in ids if i not in found]
        if missing:
            errors.append(FieldError("attachment_ids", f"附件不存在：{missing}", f"no such attachments: {missing}"))
    return ids


def _bump_open_tasks(topic: Topic, delta: int) -> None:
    counters = dict(topic.counters or {})
    counters[TASKS_OPEN] = max(int(counters.get(TASKS_OPEN, 0)) + delta, 0)
    # A new dict, so the JSON column is seen as changed.
    topic.counters = counters
    topic.updated_at = clock.now()


# -- tasks ---------------------------------------------------------------------------

async def create_task(session: AsyncSession, principal: Principal, topic_id: int, data: Any, *,
                      authorizer: Authorizer) -> Task:
    """Set a task on a topic being implemented.

    ``data``: title, measures, responsible_name, responsible_user_id
    (optional: a user who is then reminded directly), deadline (ISO date or
    datetime, in the future).
    """
    data = _body(data)
    topic, _ = await _load_topic(session, principal, topic_id, authorizer, for_update=True)
    _require(authorizer, principal, MANAGE, [topic.region_code], "您不能为此议题安排落实任务",
             "you may not set tasks on this topic")
    if topic.status != "open" or not implementing(_procedure_of(session, topic), topic):
        raise conflict("not_implementing", "议题尚未进入“跟踪落实”步骤（或已结束），不能安排落实任务",
                       "tasks are set while the topic is at the 'implement and track' step")
    errors: list[FieldError] = []
    title = _text(data, "title", MAX_TITLE, errors, zh="任务名称", en="title", required=True)
    measures = _text(data, "measures", MAX_TEXT, errors, zh="具体措施", en="measures")
    responsible = _text(data, "responsible_name", MAX_NAME, errors, zh="责任方", en="responsible_name",
                        required=True)
    deadline = _deadline(data.get("deadline"), errors)
    responsible_user_id = data.get("responsible_user_id")
    if responsible_user_id is not None and (
            not isinstance(responsible_user_id, int) or await session.get(User, responsible_user_id) is None):
        errors.append(FieldError("responsible_user_id", "责任人账号不存在", "no such user"))
    if errors:
        raise validation_failed(*errors)
    now = clock.now()
    task = Task(topic_id=topic.id, region_code=topic.region_code, title=title, measures=measures,
                responsible_name=responsible, responsible_user_id=responsible_user_id, deadline=deadline,
                percent=0, status="open", created_by_user_id=principal.user_id, created_at=now, updated_at=now)
    session.add(task)
    _bump_open_tasks(topic, +1)
    await session.flush()
    await record(session, actor=principal, action="task.create", object_type="task", object_id=task.id,
                 region_code=topic.region_code, before=None,
                 after={"topic_id": topic.id, "title": title, "responsible_name": responsible,
                        "responsible_user_id": responsible_user_id, "deadline": deadline.isoformat()})
    return task


async def _load_task(session: AsyncSession, principal: Principal, task_id: int,
                     authorizer: Authorizer) -> tuple[Task, Topic]:
    task = await session.get(Task, task_id) if isinstance(task_id, int) else None
    if task is None:
        raise task_not_found()
    try:
        topic, _ = await _load_topic(session, principal, task.topic_id, authorizer, for_update=True)
    except ApiError:
        # The responsible party follows their own task even without a role there.
        if task.responsible_user_id != principal.user_id:
            raise task_not_found() from None
        topic = await session.scalar(select(Topic).where(Topic.id == task.topic_id).with_for_update())
    return task, topic


def _may_work_on(authorizer: Authorizer, principal: Principal, task: Task, action: str) -> bool:
    return task.responsible_user_id == principal.user_id or authorizer.allowed(principal, action, task.region_code)


async def add_progress(session: AsyncSession, principal: Principal, task_id: int, data: Any, *,
                       authorizer: Authorizer) -> ProgressUpdate:
    """Report progress: ``percent`` (0–100), ``text``, ``attachment_ids`` (photos)."""
    data = _body(data)
    task, topic = await _load_task(session, principal, task_id, authorizer)
    if not _may_work_on(authorizer, principal, task, PROGRESS):
        raise forbidden("您不能报告此任务的进展", "you may not report progress on this task")
    if task.status != "open":
        raise conflict("task_done", "任务已完成，不能再报告进展", "the task is completed; no more progress reports")
    errors: list[FieldError] = []
    percent = _int(data, "percent", 0, 100, errors, zh="完成进度", en="percent")
    text = _text(data, "text", MAX_TEXT, errors, zh="进展说明", en="text", required=True)
    attachments = await _attachment_ids(session, data, errors)
    if errors:
        raise validation_failed(*errors)
    update = ProgressUpdate(task_id=task.id, percent=percent, text=text, attachment_ids=attachments,
                            author_user_id=principal.user_id, author_name=actor_name(principal),
                            created_at=clock.now())
    session.add(update)
    before = task.percent
    task.percent = percent
    task.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="task.progress", object_type="task", object_id=task.id,
                 region_code=task.region_code, before={"percent": before},
                 after={"percent": percent, "text": text, "attachment_ids": attachments})
    return update


async def complete_task(session: AsyncSession, principal: Principal, task_id: int, data: Any, *,
                        plugins: PluginHost, authorizer: Authorizer) -> Task:
    """Mark a task completed (``note`` says how). With ``close_topic`` true and
    no task left open, the topic moves on with the same note through the
    action its step was waiting on the tasks for: the generic procedure's
    ``close``, which tells the proposer (件件有回音), or a regional
    procedure's move to its evaluation step (Ningbo's 追踪监督、评估评议)."""
    data = _body(data)
    task, topic = await _load_task(session, principal, task_id, authorizer)
    if not _may_work_on(authorizer, principal, task, MANAGE):
        raise forbidden("您不能办结此任务", "you may not complete this task")
    if task.status != "open":
        raise conflict("task_done", "任务已完成", "the task is already completed")
    errors: list[FieldError] = []
    note = _text(data, "note", MAX_TEXT, errors, zh="完成情况", en="note", required=True)
    attachments = await _attachment_ids(session, data, errors)
    close_topic = data.get("close_topic", False)
    if not isinstance(close_topic, bool):
        errors.append(FieldError("close_topic", "close_topic 应为 true 或 false", "close_topic must be true or false"))
    if errors:
        raise validation_failed(*errors)
    now = clock.now()
    session.add(ProgressUpdate(task_id=task.id, percent=100, text=note, attachment_ids=attachments,
                               author_user_id=principal.user_id, author_name=actor_name(principal), created_at=now))
    task.status = "done"
    task.percent = 100
    task.completed_at = now
    task.updated_at = now
    _bump_open_tasks(topic, -1)
    await session.flush()
    await record(session, actor=principal, action="task.complete", object_type="task", object_id=task.id,
                 region_code=task.region_code, before={"status": "open"}, after={"status": "done", "note": note})
    if close_topic and not topic.counters.get(TASKS_OPEN):
        onward = _waiting_on_tasks(_procedure_of(session, topic), topic)
        if onward is not None:
            await topics.perform_action(session, principal, topic.id, onward, {"note": note}, plugins=plugins,
                                        authorizer=authorizer)
    return task


def _waiting_on_tasks(procedure: Procedure | None, topic: Topic) -> str | None:
    """The action of the topic's step that waits for its tasks (``close`` first), if any."""
    step = procedure.step(topic.step) if procedure is not None else None
    if step is None:
        return CLOSE if topic.step == IMPLEMENT_STEP else None
    waiting = [a.key for a in step.actions if tasks_done in a.guards]
    return CLOSE if CLOSE in waiting else (waiting[0] if waiting else None)


# -- supervision and evaluation -------------------------------------------------------

async def add_supervision_note(session: AsyncSession, principal: Principal, topic_id: int, data: Any, *,
                               authorizer: Authorizer) -> SupervisionNote:
    """A supervisory committee member's note on the topic (``text``, optional ``task_id``)."""
    data = _body(data)
    topic, affected = await _load_topic(session, principal, topic_id, authorizer)
    _require(authorizer, principal, SUPERVISE, [topic.region_code, *affected],
             "只有监委会成员可以记录监督意见", "only supervisory committee members record supervision notes")
    errors: list[FieldError] = []
    text = _text(data, "text", MAX_TEXT, errors, zh="监督意见", en="text", required=True)
    task_id = data.get("task_id")
    if task_id is not None:
        task = await session.get(Task, task_id) if isinstance(task_id, int) else None
        if task is None or task.topic_id != topic.id:
            errors.append(FieldError("task_id", "本议题没有此落实任务", "no such task on this topic"))
    if errors:
        raise validation_failed(*errors)
    note = SupervisionNote(topic_id=topic.id, task_id=task_id, text=text, author_user_id=principal.user_id,
                           author_name=actor_name(principal), created_at=clock.now())
    session.add(note)
    await session.flush()
    await record(session, actor=principal, action="supervision.note", object_type="topic", object_id=topic.id,
                 region_code=topic.region_code, before=None, after={"note_id": note.id, "text": text,
                                                                    "task_id": task_id})
    return note


def _rater_kind(principal: Principal, codes: list[str]) -> str:
    member = any(role in MEMBER_ROLES and any(covers(role, where, c) for c in codes)
                 for role, where in principal.grants)
    return "member" if member else "resident"


async def rate(session: AsyncSession, principal: Principal, topic_id: int, data: Any, *,
               authorizer: Authorizer) -> Rating:
    """Rate a completed topic's result: ``score`` 1–5 and ``comment``; once per person."""
    data = _body(data)
    topic, affected = await _load_topic(session, principal, topic_id, authorizer)
    codes = [topic.region_code, *affected]
    _require(authorizer, principal, RATE, codes, "您不能评议此议题", "you may not rate this topic")
    if topic.status != "closed":
        raise conflict("not_completed", "议题办结后才能评议", "a topic is rated once it is completed")
    errors: list[FieldError] = []
    score = _int(data, "score", 1, 5, errors, zh="评分", en="score")
    comment = _text(data, "comment", MAX_TEXT, errors, zh="评议意见", en="comment")
    if errors:
        raise validation_failed(*errors)
    if await session.scalar(select(Rating.id).where(Rating.topic_id == topic.id,
                                                    Rating.user_id == principal.user_id)) is not None:
        raise conflict("already_rated", "您已评议过此议题", "you have already rated this topic")
    rating = Rating(topic_id=topic.id, user_id=principal.user_id, rater_name=actor_name(principal),
                    rater_kind=_rater_kind(principal, codes), score=score, comment=comment,
                    created_at=clock.now())
    session.add(rating)
    await session.flush()
    await record(session, actor=principal, action="evaluation.rate", object_type="topic", object_id=topic.id,
                 region_code=topic.region_code, before=None,
                 after={"rating_id": rating.id, "score": score, "comment": comment})
    return rating


async def attach_report(session: AsyncSession, principal: Principal, topic_id: int, data: Any, *,
                        authorizer: Authorizer) -> EvaluationReport:
    """Attach a third-party evaluation: ``evaluator``, ``summary``, optional
    ``score`` (1–100) and ``attachment_ids`` (the report itself)."""
    data = _body(data)
    topic, _ = await _load_topic(session, principal, topic_id, authorizer)
    _require(authorizer, principal, REPORT, [topic.region_code], "您不能为此议题附加评估报告",
             "you may not attach evaluation reports to this topic")
    if not implementing(_procedure_of(session, topic), topic):
        raise conflict("not_implementing", "议题进入落实阶段后才能附加评估报告",
                       "evaluation reports are attached once the topic is being implemented")
    errors: list[FieldError] = []
    evaluator = _text(data, "evaluator", MAX_NAME, errors, zh="评估机构", en="evaluator", required=True)
    summary = _text(data, "summary", MAX_TEXT, errors, zh="评估结论", en="summary", required=True)
    score = _int(data, "score", 1, 100, errors, zh="评估得分", en="score", required=False)
    attachments = await _attachment_ids(session, data, errors)
    if errors:
        raise validation_failed(*errors)
    report = EvaluationReport(topic_id=topic.id, evaluator=evaluator, summary=summary, score=score,
                              attachment_ids=attachments, uploaded_by_user_id=principal.user_id,
                              created_at=clock.now())
    session.add(report)
    await session.flush()
    await record(session, actor=principal, action="evaluation.report", object_type="topic", object_id=topic.id,
                 region_code=topic.region_code, before=None,
                 after={"report_id": report.id, "evaluator": evaluator, "score": score})
    return report


# -- overdue reminders -----------------------------------------------------------------

async def remind_overdue(session: AsyncSession, *, every: timedelta = REMIND_EVERY, limit: int = 1000) -> int:
    """Remind the responsible party and the council of every open task past its
    deadline, at most once per ``every``; returns how many tasks were reminded."""
    now = clock.now()
    tasks = (await session.scalars(
        select(Task).where(Task.status == "open", Task.deadline < now,
                           (Task.last_reminded_at.is_(None)) | (Task.last_reminded_at <= now - every))
        .order_by(Task.deadline, Task.id).limit(limit).with_for_update())).all()
    for task in tasks:
        topic = await session.get(Topic, task.topic_id)
        days = (now - task.deadline).days
        shown = task.deadline.astimezone(CHINA_TZ).strftime("%Y-%m-%d")
        await notify(session, region_code=task.region_code, kind="task_overdue", council=True,
                     user_ids=[task.responsible_user_id], topic_id=task.topic_id, task_id=task.id,
                     text_zh=f"落实任务“{task.title}”（议题“{topic.title}”，责任方：{task.responsible_name}）"
                             f"已超过完成期限 {shown}，逾期 {days} 天，当前进度 {task.percent}%",
                     text_en=f"Task \"{task.title}\" (topic \"{topic.title}\", responsible: {task.responsible_name}) "
                             f"passed its deadline {shown}, {days} day(s) overdue, {task.percent}% done",
                     data={"deadline": task.deadline.isoformat(), "days_overdue": days})
        task.last_reminded_at = now
    await session.flush()
    return len(tasks)


async def my_notifications(session: AsyncSession, principal: Principal, paging: Paging, *,
                           unread: bool = False) -> dict[str, Any]:
    conditions = [Notification.user_id == principal.user_id]
    if unread:
        conditions.append(Notification.read_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(Notification).where(*conditions))
    rows = (await session.scalars(select(Notification).where(*conditions).order_by(Notification.id.desc())
                                  .offset(paging.offset).limit(paging.page_size))).all()
    return {"items": [notification_view(n) for n in rows], "total": total or 0, "page": paging.page,
            "page_size": paging.page_size}


async def mark_read(session: AsyncSession, principal: Principal, notification_id: int) -> dict[str, Any]:
    row = await session.get(Notification, notification_id)
    if row is None or row.user_id != principal.user_id:
        raise ApiError(404, "not_found", "通知不存在", "notification not found")
    if row.read_at is None:
        row.read_at = clock.now()
        await session.flush()
    return notification_view(row)


def notification_view(row: Notification) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "topic_id": row.topic_id, "task_id": row.task_id,
            "region_code": row.region_code, "text_zh": row.text_zh, "text_en": row.text_en, "data": row.data or {},
            "created_at": row.created_at.isoformat(), "read_at": row.read_at.isoformat() if row.read_at else None}


# -- reading ---------------------------------------------------------------------------

def task_view(task: Task, updates: list[ProgressUpdate]) -> dict[str, Any]:
    return {"id": task.id, "topic_id": task.topic_id, "title": task.title, "measures": task.measures,
            "responsible_name": task.responsible_name, "responsible_user_id": task.responsible_user_id,
            "deadline": task.deadline.isoformat(), "percent": task.percent, "status": task.status,
            "overdue": task.status == "open" and task.deadline < clock.now(),
            "completed_at": task.completed_at.isoformat() if task.completed_at else None,
            "progress": [{"percent": u.percent, "text": u.text, "attachment_ids": list(u.attachment_ids or []),
                          "author": u.author_name, "at": u.created_at.isoformat()} for u in updates]}


async def implementation_view(session: AsyncSession, topic: Topic) -> dict[str, Any]:
    """Tasks with their progress, supervision notes, ratings and reports of a topic."""
    tasks = (await session.scalars(select(Task).where(Task.topic_id == topic.id).order_by(Task.id))).all()
    updates: dict[int, list[ProgressUpdate]] = {t.id: [] for t in tasks}
    if tasks:
        for u in (await session.scalars(select(ProgressUpdate).where(ProgressUpdate.task_id.in_(list(updates)))
                                        .order_by(ProgressUpdate.id))).all():
            updates[u.task_id].append(u)
    notes = (await session.scalars(select(SupervisionNote).where(SupervisionNote.topic_id == topic.id)
                                   .order_by(SupervisionNote.id))).all()
    ratings = (await session.scalars(select(Rating).where(Rating.topic_id == topic.id).order_by(Rating.id))).all()
    reports = (await session.scalars(select(EvaluationReport).where(EvaluationReport.topic_id == topic.id)
                                     .order_by(EvaluationReport.id))).all()
    scores = [r.score for r in ratings]
    return {
        "tasks": [task_view(t, updates[t.id]) for t in tasks],
        "supervision_notes": [{"id": n.id, "task_id": n.task_id, "text": n.text, "author": n.author_name,
                               "at": n.created_at.isoformat()} for n in notes],
        "ratings": {"count": len(scores), "average": round(sum(scores) / len(scores), 2) if scores else None,
                    "items": [{"score": r.score, "comment": r.comment, "rater": r.rater_name,
                               "rater_kind": r.rater_kind, "at": r.created_at.isoformat()} for r in ratings]},
        "evaluation_reports": [{"id": r.id, "evaluator": r.evaluator, "summary": r.summary, "score": r.score,
                                "attachment_ids": list(r.attachment_ids or []), "at": r.created_at.isoformat()}
                               for r in reports],
    }


async def topic_implementation(session: AsyncSession, principal: Principal, topic_id: int, *,
                               authorizer: Authorizer) -> dict[str, Any]:
    topic, _ = await _load_topic(session, principal, topic_id, authorizer)
    return {"topic_id": topic.id, **await implementation_view(session, topic)}
