"""What clients see of a topic's implementation: its tasks with their progress,
supervision notes, ratings and evaluation reports."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.implementation.access import load_topic
from core.implementation.evaluation import report_dict
from core.models import Topic
from core.models.implementation import EvaluationReport, ProgressUpdate, Rating, SupervisionNote, Task
from core.topics.presence import has_rows, watch

watch(Task.__table__)
watch(SupervisionNote.__table__)
watch(Rating.__table__)
watch(EvaluationReport.__table__)


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
    tasks, notes, ratings, reports = [], [], [], []
    if await has_rows(session, topic.id, Task.__table__):
        tasks = (await session.scalars(select(Task).where(Task.topic_id == topic.id).order_by(Task.id))).all()
    updates: dict[int, list[ProgressUpdate]] = {t.id: [] for t in tasks}
    if tasks:
        for u in (await session.scalars(select(ProgressUpdate).where(ProgressUpdate.task_id.in_(list(updates)))
                                        .order_by(ProgressUpdate.id))).all():
            updates[u.task_id].append(u)
    if await has_rows(session, topic.id, SupervisionNote.__table__):
        notes = (await session.scalars(select(SupervisionNote).where(SupervisionNote.topic_id == topic.id)
                                       .order_by(SupervisionNote.id))).all()
    if await has_rows(session, topic.id, Rating.__table__):
        ratings = (await session.scalars(select(Rating).where(Rating.topic_id == topic.id)
                                         .order_by(Rating.id))).all()
    if await has_rows(session, topic.id, EvaluationReport.__table__):
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
        "evaluation_reports": [report_dict(r) for r in reports],
    }


async def topic_implementation(session: AsyncSession, principal: Principal, topic_id: int, *,
                               authorizer: Authorizer) -> dict[str, Any]:
    topic, _ = await load_topic(session, principal, topic_id, authorizer)
    return {"topic_id": topic.id, **await implementation_view(session, topic)}
