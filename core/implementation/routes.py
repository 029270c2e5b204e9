"""Implementation and evaluation over HTTP. Thin: each handler calls the service.

No route carries ``{code}``: the guard only makes sure the caller is logged
in, and the service checks the topic's own region (404 if the caller cannot
read the topic, 403 if their roles may not do this, 409 if the topic's step
forbids it).
"""
from __future__ import annotations

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.guard import AUTHENTICATED
from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.implementation import evaluation, service
from core.implementation.schemas import (EvaluationReportForm, ProgressReport, RatingForm, SupervisionNoteForm,
                                         TaskCompletion, TaskForm)
from core.models import Topic
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime
from core.topics.service import READ


@get("/topics/{topic_id:int}/implementation", opt={"action": READ},
     summary="A topic's tasks and progress, supervision notes, ratings and evaluation reports")
async def implementation(topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                         principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> dict:
    return await service.topic_implementation(db, principal, topic_id, authorizer=await get_authorizer(runtime))


@post("/topics/{topic_id:int}/tasks", opt={"action": service.MANAGE}, status_code=201,
      summary="Set an implementation task: responsible party, measures, deadline")
async def create_task(topic_id: FromPath[int], db: NamedDependency[AsyncSession], principal: NamedDependency[Principal],
                      runtime: NamedDependency[Runtime], data: JSONBody[TaskForm | None] = None) -> dict:
    task = await service.create_task(db, principal, topic_id, msgspec.to_builtins(data), plugins=runtime.plugins,
                                     authorizer=await get_authorizer(runtime))
    return service.task_view(task, [])


# The responsible party may hold no role at the topic's region: any logged-in
# caller gets through the guard and the service decides.
@post("/tasks/{task_id:int}/progress", opt={"action": AUTHENTICATED}, status_code=201,
      summary="Report progress on a task (percent, text, photo attachment ids)")
async def add_progress(task_id: FromPath[int], db: NamedDependency[AsyncSession], principal: NamedDependency[Principal],
                       runtime: NamedDependency[Runtime], data: JSONBody[ProgressReport | None] = None) -> dict:
    update = await service.add_progress(db, principal, task_id, msgspec.to_builtins(data),
                                        authorizer=await get_authorizer(runtime))
    return {"task_id": task_id, "percent": update.percent, "text": update.text,
            "attachment_ids": update.attachment_ids, "at": update.created_at.isoformat()}


@post("/tasks/{task_id:int}/complete", opt={"action": AUTHENTICATED}, status_code=200,
      summary="Complete a task; with close_topic, close the topic when no task is left open")
async def complete_task(task_id: FromPath[int], db: NamedDependency[AsyncSession],
                        principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                        data: JSONBody[TaskCompletion | None] = None) -> dict:
    authorizer = await get_authorizer(runtime)
    task = await service.complete_task(db, principal, task_id, msgspec.to_builtins(data), plugins=runtime.plugins,
                                       authorizer=authorizer)
    topic = await db.get(Topic, task.topic_id)
    return {"task": service.task_view(task, []), "topic_status": topic.status}


@post("/topics/{topic_id:int}/supervision-notes", opt={"action": service.SUPERVISE}, status_code=201,
      summary="A supervisory committee member's note")
async def add_supervision_note(topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                               principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                               data: JSONBody[SupervisionNoteForm | None] = None) -> dict:
    note = await service.add_supervision_note(db, principal, topic_id, msgspec.to_builtins(data),
                                              authorizer=await get_authorizer(runtime))
    return {"id": note.id, "topic_id": topic_id, "task_id": note.task_id, "text": note.text,
            "author": note.author_name, "at": note.created_at.isoformat()}


@post("/topics/{topic_id:int}/ratings", opt={"action": service.RATE}, status_code=201,
      summary="Rate a completed topic's result (1-5, with a comment)")
async def rate(topic_id: FromPath[int], db: NamedDependency[AsyncSession], principal: NamedDependency[Principal],
               runtime: NamedDependency[Runtime], data: JSONBody[RatingForm | None] = None) -> dict:
    rating = await service.rate(db, principal, topic_id, msgspec.to_builtins(data),
                                authorizer=await get_authorizer(runtime))
    return {"id": rating.id, "topic_id": topic_id, "score": rating.score, "comment": rating.comment,
            "rater_kind": rating.rater_kind}


@post("/topics/{topic_id:int}/evaluation-reports", opt={"action": service.REPORT}, status_code=201,
      summary="Attach an evaluation report by the supervisory committee or a third party")
async def attach_report(topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                        principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                        data: JSONBody[EvaluationReportForm | None] = None) -> dict:
    report = await service.attach_report(db, principal, topic_id, msgspec.to_builtins(data), plugins=runtime.plugins,
                                         authorizer=await get_authorizer(runtime))
    return evaluation.report_dict(report)


@get("/notifications", opt={"action": AUTHENTICATED}, summary="The caller's notifications, newest first")
async def notifications(db: NamedDependency[AsyncSession], principal: NamedDependency[Principal],
                        unread: FromQuery[bool] = False, page: FromQuery[int] = 1,
                        page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    return await service.my_notifications(db, principal, Paging.checked(page, page_size), unread=unread)


@post("/notifications/{notification_id:int}/read", opt={"action": AUTHENTICATED}, status_code=200,
      summary="Mark one of the caller's notifications read")
async def mark_read(notification_id: FromPath[int], db: NamedDependency[AsyncSession],
                    principal: NamedDependency[Principal]) -> dict:
    return await service.mark_read(db, principal, notification_id)


ROUTES = [implementation, create_task, add_progress, complete_task, add_supervision_note, rate, attach_report,
          notifications, mark_read]
