"""The implementation (落实) of a topic's outcome: its tasks with their progress and photos,
supervision notes, ratings and evaluation reports, and the forms that add to them.

Each form posts to its own page route, which calls the service the implementation API calls.
Photos and report files are kept by :func:`core.attachments.service.store` at the topic's
region, as the attachment API keeps them, and their ids go to the service; they are shown
through ``/api/v1/attachments/{id}``, only those the page's reader may download.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.forms import (NOT_THE_FORMS_FAULT, Form, FormErrors, earlier_answer, new_once_token, read_form,
                            submit_form)
from admin_ui.i18n import N_
from admin_ui.pages.meetings import Failed, errors_of
from admin_ui.web import language, render
from core.attachments import service as attachments
from core.auth.guard import AUTHENTICATED
from core.authz.enforcer import Authorizer, get_authorizer
from core.authz.principal import Principal
from core.consultation import service as consultation
from core.councils.service import current_term, get_council, roster
from core.errors import ApiError, FieldError, forbidden, typed
from core.implementation import evaluation, service
from core.implementation.access import load_task, load_topic, may_work_on
from core.implementation.phase import procedure_of
from core.implementation.schemas import (EvaluationReportForm, ProgressReport, RatingForm, SupervisionNoteForm,
                                         TaskCompletion, TaskForm)
from core.models.implementation import Rating, Task
from core.runtime import Runtime
from core.topics.service import READ as TOPIC_READ

# Satisfaction (1-5), as a rater chooses it and as ratings are shown.
SATISFACTION = {1: N_("Very dissatisfied"), 2: N_("Dissatisfied"), 3: N_("Neither satisfied nor dissatisfied"),
                4: N_("Satisfied"), 5: N_("Very satisfied")}
# Room for a few phone photos in one form (the attachment route takes one file of MAX_BYTES).
PHOTOS_REQUEST_BYTES = 4 * attachments.MAX_BYTES + 1024 * 1024


def _page(topic_id: int, anchor: str) -> str:
    return f"/topics/{topic_id}/implementation#{anchor}"


def _anchor_of(form: str) -> str:
    """Where on the page a form is: a task's forms are in its card."""
    kind, _, task_id = form.partition("-")
    return f"task-{task_id}" if task_id else {"task": "new-task", "note": "supervision", "rating": "ratings",
                                              "report": "reports"}.get(kind, kind)


async def _readable_files(db: AsyncSession, principal: Principal, authorizer: Authorizer, runtime: Runtime,
                          ids: set[int]) -> dict[int, dict[str, Any]]:
    """The attachments among ``ids`` that the reader may download, as the download route decides."""
    readable = {}
    for attachment_id in sorted(ids):
        try:
            attachment, _ = await attachments.load_for_download(db, principal, attachment_id, authorizer=authorizer,
                                                                upload_dir=runtime.config.upload_dir)
        except ApiError:
            continue
        readable[attachment_id] = {"id": attachment.id, "filename": attachment.filename,
                                   "image": attachment.content_type.startswith("image/"),
                                   "url": f"/api/v1/attachments/{attachment.id}"}
    return readable


async def _people_with_accounts(db: AsyncSession, region_code: str) -> list[tuple[int, str]]:
    """Council members with an account, who can be reminded of a task directly."""
    council = await get_council(db, region_code)
    term = await current_term(db, council) if council else None
    members = await roster(db, term) if term else []
    return [(m.user_id, m.name) for m in members if m.user_id is not None]


async def _implementation_page(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal,
                               topic_id: int, *, failed: Failed | None = None, status_code: int = 200) -> Template:
    authorizer = await get_authorizer(runtime)
    topic, affected = await load_topic(db, principal, topic_id, authorizer)
    view = await service.implementation_view(db, topic)
    sections = await consultation.topic_sections(db, topic)
    procedure = procedure_of(runtime.plugins, topic)
    step = procedure.step(topic.step) if procedure else None
    implementing = service.implementing(procedure, topic)
    codes = [topic.region_code, *affected]

    def allowed_anywhere(action: str) -> bool:
        return any(authorizer.allowed(principal, action, code) for code in codes)

    files = {i for t in view["tasks"] for u in t["progress"] for i in u["attachment_ids"]}
    files |= {i for r in view["evaluation_reports"] for i in r["attachment_ids"]}
    tasks = []
    for shown in view["tasks"]:
        task = await db.get(Task, shown["id"])
        is_open = task.status == "open"
        tasks.append({**shown, "may_progress": is_open and may_work_on(authorizer, principal, task, service.PROGRESS),
                      "may_complete": is_open and may_work_on(authorizer, principal, task, service.MANAGE)})
    may_set_tasks = (topic.status == "open" and implementing
                     and authorizer.allowed(principal, service.MANAGE, topic.region_code))
    may = {"task": may_set_tasks, "note": allowed_anywhere(service.SUPERVISE),
           # A topic is rated once per person (the service refuses a second): no form for one who has.
           "rating": topic.status == "closed" and allowed_anywhere(service.RATE)
           and await db.scalar(select(Rating.id).where(Rating.topic_id == topic.id,
                                                       Rating.user_id == principal.user_id)) is None,
           "report": implementing and authorizer.allowed(principal, service.REPORT, topic.region_code)}
    # The forms the page shows: a refusal of another one (a task completed meanwhile from
    # another screen) is shown on top.
    forms = [*(name for name, shown in may.items() if shown),
             *(f"progress-{t['id']}" for t in tasks if t["may_progress"]),
             *(f"complete-{t['id']}" for t in tasks if t["may_complete"])]
    once = {name: (failed.once if failed and failed.form == name and failed.once else new_once_token())
            for name in forms}
    return await render(
        request, db, "implementation/topic.html", status_code=status_code, topic=topic,
        step=step, outcome=sections["outcome"], meetings=sections["meetings"], tasks=tasks,
        notes=view["supervision_notes"], ratings=view["ratings"], reports=view["evaluation_reports"],
        files=await _readable_files(db, principal, authorizer, runtime, files),
        task_titles={t["id"]: t["title"] for t in tasks},
        accounts=await _people_with_accounts(db, topic.region_code) if may_set_tasks else [],
        may=may, may_upload=authorizer.allowed(principal, attachments.UPLOAD, topic.region_code),
        elsewhere=failed.errors if failed and failed.form not in forms else None,
        # On a long page the refused form may be far below: the top of the page leads to it.
        refused_at=_anchor_of(failed.form) if failed and failed.form in forms else "",
        satisfaction=list(SATISFACTION.items()), once=once, failed=failed or Failed("", FormErrors()),
        evaluator_kinds=[(key, en if language(request).english else zh)
                         for key, (zh, en) in evaluation.EVALUATOR_KINDS.items()],
        no_errors=FormErrors())


@get("/topics/{topic_id:int}/implementation", opt={"action": TOPIC_READ}, include_in_schema=False)
async def implementation_page(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                              principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> Template:
    return await _implementation_page(request, db, runtime, principal, topic_id)


# -- forms ----------------------------------------------------------------------------


async def _submit(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal, topic_id: int,
                  form: Form, name: str, record: Callable[[], Awaitable[Any]], flash: str,
                  anchor: str) -> Template | Redirect:
    """One form: ``record()`` (uploads and the service call) in a savepoint; the page again with
    the errors beside form ``name`` if it refuses; else back to ``anchor`` on the page."""
    async def work() -> str:
        await record()
        return _page(topic_id, anchor)

    async def refused(err: ApiError) -> Template:
        # The photos the service names as attachment ids came from the photos input.
        errors = errors_of(err, request, lambda field: "photos" if field == "attachment_ids" else None)
        return await _implementation_page(request, db, runtime, principal, topic_id, status_code=err.status_code,
                                          failed=Failed(name, errors, form.values(), form.once))

    # A 403 is not the form's fault either, and there may be no form to show it beside: the error page.
    return await submit_form(db, form, principal, work, refused, flash=flash, raised=(*NOT_THE_FORMS_FAULT, 403))


async def _stored_photos(db: AsyncSession, runtime: Runtime, principal: Principal, authorizer: Authorizer,
                         form: Form, region_code: str) -> list[int]:
    """Keep the form's photos (or files) at ``region_code`` as the attachment API would; their ids."""
    uploads = form.files("photos")
    if uploads and not authorizer.allowed(principal, attachments.UPLOAD, region_code):
        raise forbidden("您不能在此上传附件", "you may not upload attachments here")
    ids = []
    for upload in uploads:
        try:
            stored = await attachments.store(db, principal, region_code, await upload.read(), upload.filename,
                                             upload_dir=runtime.config.upload_dir)
        except ApiError as err:
            named = [FieldError("photos", f"{upload.filename}：{f.message_zh}", f"{upload.filename}: {f.message_en}")
                     for f in err.fields] or [FieldError("photos", err.message_zh, err.message_en)]
            raise ApiError(err.status_code, err.code, err.message_zh, err.message_en, named) from None
        ids.append(stored.id)
    return ids


@post("/topics/{topic_id:int}/tasks", opt={"action": service.MANAGE}, include_in_schema=False)
async def task_submit(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                      principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again

    async def record() -> None:
        payload = msgspec.to_builtins(typed(form.filled("title", "measures", "responsible_name",
                                                        "responsible_user_id", "deadline"), TaskForm))
        await service.create_task(db, principal, topic_id, payload, plugins=runtime.plugins,
                                  authorizer=await get_authorizer(runtime))

    return await _submit(request, db, runtime, principal, topic_id, form, "task", record, N_("Task set"), "tasks")


async def _task_form(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal, task_id: int,
                     kind: str, body: type, fields: tuple[str, ...], call: Callable[..., Awaitable[Any]],
                     flash: str) -> Template | Redirect:
    """Progress or completion of a task: its photos kept, then the service called with their ids."""
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    authorizer = await get_authorizer(runtime)
    task, _ = await load_task(db, principal, task_id, authorizer)
    topic_id = task.topic_id

    async def record() -> None:
        data: dict[str, Any] = form.filled(*fields)
        if photos := await _stored_photos(db, runtime, principal, authorizer, form, task.region_code):
            data["attachment_ids"] = photos
        await call(db, principal, task_id, msgspec.to_builtins(typed(data, body)), authorizer=authorizer)

    return await _submit(request, db, runtime, principal, topic_id, form, f"{kind}-{task_id}", record, flash,
                         f"task-{task_id}")


# The responsible party may hold no role at the topic's region: the service decides, as in the API.
@post("/tasks/{task_id:int}/progress", opt={"action": AUTHENTICATED}, include_in_schema=False,
      request_max_body_size=PHOTOS_REQUEST_BYTES)
async def progress_submit(request: Request, task_id: FromPath[int], db: NamedDependency[AsyncSession],
                          principal: NamedDependency[Principal],
                          runtime: NamedDependency[Runtime]) -> Template | Redirect:
    return await _task_form(request, db, runtime, principal, task_id, "progress", ProgressReport, ("percent", "text"),
                            service.add_progress, N_("Progress reported"))


@post("/tasks/{task_id:int}/complete", opt={"action": AUTHENTICATED}, include_in_schema=False,
      request_max_body_size=PHOTOS_REQUEST_BYTES)
async def complete_submit(request: Request, task_id: FromPath[int], db: NamedDependency[AsyncSession],
                          principal: NamedDependency[Principal],
                          runtime: NamedDependency[Runtime]) -> Template | Redirect:
    async def complete(db, principal, task_id, payload, *, authorizer):
        return await service.complete_task(db, principal, task_id, payload, plugins=runtime.plugins,
                                           authorizer=authorizer)

    return await _task_form(request, db, runtime, principal, task_id, "complete", TaskCompletion,
                            ("note", "close_topic"), complete, N_("Task completed"))


@post("/topics/{topic_id:int}/supervision-notes", opt={"action": service.SUPERVISE}, include_in_schema=False)
async def note_submit(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                      principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again

    async def record() -> None:
        payload = msgspec.to_builtins(typed(form.filled("text", "task_id"), SupervisionNoteForm))
        await service.add_supervision_note(db, principal, topic_id, payload, authorizer=await get_authorizer(runtime))

    return await _submit(request, db, runtime, principal, topic_id, form, "note", record,
                         N_("Supervision note recorded"), "supervision")


@post("/topics/{topic_id:int}/ratings", opt={"action": service.RATE}, include_in_schema=False)
async def rating_submit(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                        principal: NamedDependency[Principal],
                        runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again

    async def record() -> None:
        payload = msgspec.to_builtins(typed(form.filled("score", "comment"), RatingForm))
        await service.rate(db, principal, topic_id, payload, authorizer=await get_authorizer(runtime))

    return await _submit(request, db, runtime, principal, topic_id, form, "rating", record, N_("Thank you for rating"),
                         "ratings")


@post("/topics/{topic_id:int}/evaluation-reports", opt={"action": service.REPORT}, include_in_schema=False,
      request_max_body_size=PHOTOS_REQUEST_BYTES)
async def report_submit(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                        principal: NamedDependency[Principal],
                        runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    authorizer = await get_authorizer(runtime)
    topic, _ = await load_topic(db, principal, topic_id, authorizer)

    async def record() -> None:
        data: dict[str, Any] = form.filled("evaluator_kind", "evaluator", "summary", "score")
        if files := await _stored_photos(db, runtime, principal, authorizer, form, topic.region_code):
            data["attachment_ids"] = files
        await service.attach_report(db, principal, topic_id, msgspec.to_builtins(typed(data, EvaluationReportForm)),
                                    plugins=runtime.plugins, authorizer=authorizer)

    return await _submit(request, db, runtime, principal, topic_id, form, "report", record,
                         N_("Evaluation report attached"), "reports")


PAGES = [implementation_page, task_submit, progress_submit, complete_submit, note_submit, rating_submit,
         report_submit]
