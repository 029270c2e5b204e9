"""A council's meetings, and one meeting with its record: attendance, minutes, votes
(with the quorum as the attendance stands), the plan's publication and closing.

Each record form posts to its own page route, which calls the service the meeting API
calls with the same settings (quorum ratio, plan notice), then sends the browser back to
the meeting (post/redirect/get). A refusal shows the meeting again with the service's
words beside the form that was sent.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.forms import (NOT_THE_FORMS_FAULT, Form, FormErrors, earlier_answer, new_once_token, read_form,
                            submit_form)
from admin_ui.i18n import N_
from admin_ui.web import language, render, with_query
from core import clock
from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.consultation import service
from core.consultation.schemas import Attendance, Minutes, PlanPublication, VoteRecord
from core.councils.categories import CATEGORY_LABELS, TOPIC_CATEGORIES, is_fixed
from core.errors import ApiError, typed
from core.models import Region
from core.models.consultation import VOTE_CHOICES
from core.region_context import region_context
from core.regions.queries import Paging
from core.runtime import Runtime

READ = {"action": service.READ}
MANAGE = {"action": service.MANAGE}
PAGE_SIZE = 20
# Empty rows a form offers for what was not on the invitation: people present, speakers.
WALK_IN_ROWS = 2
MINUTE_ROWS = 3
_INDEXED = re.compile(r"^(\w+)\[(\d+)\](?:\.(\w+))?")


@dataclass
class Failed:
    """The record form the service refused: which one, what was typed, what was wrong."""

    form: str
    errors: FormErrors
    values: dict[str, Any] = field(default_factory=dict)
    once: str = ""


def errors_of(err: ApiError, request: Request, rename: Callable[[str], str | None] = lambda name: None) -> FormErrors:
    """The refusal as a form shows it, the service's field names mapped by ``rename`` onto the
    page's inputs (rows, ballots); a name ``rename`` does not know stays the service's."""
    fields = [replace(f, field=rename(f.field) or f.field) for f in err.fields]
    return FormErrors.of(replace(err, fields=fields), language(request))


def _row_renamer(collection: str, rows: list[Any], prefix: str, parts: dict[str, str]) -> Callable[[str], str | None]:
    """``collection[k].part`` → ``{prefix}{parts[part]}_{rows[k]}``: the k-th entry sent came from that row."""
    def rename(name: str) -> str | None:
        found = _INDEXED.match(name)
        if not found or found.group(1) != collection or int(found.group(2)) >= len(rows):
            return None
        part = parts.get(found.group(3) or "")
        return f"{prefix}{part}_{rows[int(found.group(2))]}" if part else None
    return rename


async def _managed(db: AsyncSession, runtime: Runtime, principal: Principal, meeting_id: int):
    authorizer = await get_authorizer(runtime)
    return await service.load_meeting(db, principal, meeting_id, authorizer=authorizer, action=service.MANAGE,
                                      for_update=True)


def _options(labels: dict[str, tuple[str, str]], english: bool) -> list[tuple[str, str]]:
    return [(key, en if english else zh) for key, (zh, en) in labels.items()]


async def _meeting_page(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal,
                        meeting_id: int, *, failed: Failed | None = None, status_code: int = 200) -> Template:
    authorizer = await get_authorizer(runtime)
    meeting = await service.load_meeting(db, principal, meeting_id, authorizer=authorizer)
    context = await region_context(db, runtime.plugins, meeting.region_code)
    view = await service.meeting_view(db, meeting, context=context)
    serving = await service.serving_members(db, meeting)
    english = language(request).english
    region_name = await db.scalar(select(Region.name).where(Region.code == meeting.region_code))
    people = view["participants"]
    on_list = {p["member_id"] for p in people if p["member_id"] is not None}

    def category_words(key: str) -> str:
        zh, en = CATEGORY_LABELS.get(key, (key, key))
        return en if english else zh

    names = {m.id: m.name for m in serving.values()}
    names.update({p["member_id"]: p["name"] for p in people if p["member_id"] is not None})
    votes = {v["topic_id"]: v for v in view["votes"]}
    manage = meeting.status != "closed" and authorizer.allowed(principal, service.MANAGE, meeting.region_code)
    notice_days = int(context.setting(service.PLAN_NOTICE_SETTING))
    # The record forms the page shows (as the template decides): a refusal of another one
    # (a vote recorded meanwhile from another screen, a record closed) is shown on top.
    forms = [*(["attendance", "minutes", "close"] if manage else []),
             *(["plan"] if manage and (meeting.plan or notice_days > 0) else []),
             *(f"vote-{a['topic_id']}" for a in view["agenda"] if manage and a["topic_id"] not in votes)]
    once = {name: (failed.once if failed and failed.form == name and failed.once else new_once_token())
            for name in forms}
    return await render(
        request, db, "meetings/detail.html", status_code=status_code, meeting=view, region_name=region_name or "",
        fixed=[p for p in people if p["category"] and is_fixed(p["category"])],
        others=[p for p in people if not (p["category"] and is_fixed(p["category"]))],
        # Council members serving that day who were not invited: they may still turn up.
        uninvited=[(m.id, f"{m.name}（{category_words(m.category)}）") for m in serving.values()
                   if m.id not in on_list],
        voters=[(p["member_id"], p["name"]) for p in people
                if p["attended"] and p["member_id"] is not None and p["member_id"] in serving],
        speakers=[(m.id, m.name) for m in serving.values()],
        names=names, votes=votes, choices=[(c, service.CHOICE_LABELS[c][1 if english else 0]) for c in VOTE_CHOICES],
        categories=_options(TOPIC_CATEGORIES, english),
        agenda_options=[(a["topic_id"], a["title"]) for a in view["agenda"]],
        titles={a["topic_id"]: a["title"] for a in view["agenda"]},
        title=view["title"] or language(request).bilingual(view["kind"], "title"),
        # The record's forms: for those who run the meeting, while it is open.
        manage=manage, started=clock.now() >= meeting.starts_at, plan_notice_days=notice_days,
        elsewhere=failed.errors if failed and failed.form not in forms else None,
        # On a long page the refused form may be far below: the top of the page leads to it.
        refused_at=failed.form if failed and failed.form in forms else "",
        walk_in_rows=range(WALK_IN_ROWS), minute_rows=range(MINUTE_ROWS), once=once,
        failed=failed or Failed("", FormErrors()), no_errors=FormErrors())


# -- pages ----------------------------------------------------------------------------


@get("/r/{code:str}/meetings", opt=READ, include_in_schema=False)
async def meetings_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                        region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime],
                        page: FromQuery[int] = 1) -> Template:
    context = await region_context(db, runtime.plugins, code)
    listed = await service.list_meetings(db, region_scope, code, Paging.checked(page, PAGE_SIZE), context=context)
    region_name = await db.scalar(select(Region.name).where(Region.code == code))
    now = clock.now().isoformat()
    items = listed["items"]
    # ISO strings of one zone (UTC) compare as the times do.
    upcoming = sorted((m for m in items if m["status"] != "closed" and m["starts_at"] >= now),
                      key=lambda m: (m["starts_at"], m["id"]))
    soon = {m["id"] for m in upcoming}
    past = [m for m in items if m["id"] not in soon]
    return await render(request, db, "meetings/list.html", code=code, region_name=region_name or code,
                        upcoming=upcoming, past=past, page=listed["page"], page_size=listed["page_size"],
                        total=listed["total"], page_url=lambda n: with_query(f"/r/{code}/meetings", page=n))


@get("/meetings/{meeting_id:int}", opt=READ, include_in_schema=False)
async def meeting_page(request: Request, meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                       principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> Template:
    return await _meeting_page(request, db, runtime, principal, meeting_id)


async def _submit(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal, meeting_id: int,
                  form: Form, name: str, record: Callable[[Any], Any], flash: str, *, section: str = "",
                  rename: Callable[[str], str | None] = lambda field: None) -> Template | Redirect:
    """One record form: the service call ``record(meeting)`` in a savepoint; the meeting again
    with the errors beside form ``name`` if it refuses; else back to its ``section`` of the page."""
    if (again := await earlier_answer(db, form)) is not None:
        return again

    async def work() -> str:
        await record(await _managed(db, runtime, principal, meeting_id))
        return f"/meetings/{meeting_id}#{section or name}"

    async def refused(err: ApiError) -> Template:
        return await _meeting_page(request, db, runtime, principal, meeting_id, status_code=err.status_code,
                                   failed=Failed(name, errors_of(err, request, rename), form.values(), form.once))

    # A 403 is not the form's fault either, and a reader has no record form to show it beside.
    return await submit_form(db, form, principal, work, refused, flash=flash, raised=(*NOT_THE_FORMS_FAULT, 403))


async def _settings(db: AsyncSession, runtime: Runtime, region_code: str) -> tuple[float, int]:
    context = await region_context(db, runtime.plugins, region_code)
    return float(context.setting(service.QUORUM_SETTING)), int(context.setting(service.PLAN_NOTICE_SETTING))


@post("/meetings/{meeting_id:int}/attendance", opt=MANAGE, include_in_schema=False)
async def attendance_submit(request: Request, meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                            principal: NamedDependency[Principal],
                            runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)

    async def record(meeting) -> None:
        present: list[dict[str, Any]] = [{"member_id": v} for v in form.texts("present_member")]
        present += [{"name": v} for v in form.texts("present_name")]
        for i in range(WALK_IN_ROWS):
            if walk_in := form.text(f"walkin_name_{i}"):
                present.append({"name": walk_in, **({"category": c} if (c := form.text(f"walkin_category_{i}"))
                                                    else {})})
        payload = msgspec.to_builtins(typed({"present": present}, Attendance))
        _, notice_days = await _settings(db, runtime, meeting.region_code)
        await service.record_attendance(db, principal, meeting, payload, plan_notice_days=notice_days)

    return await _submit(request, db, runtime, principal, meeting_id, form, "attendance", record,
                         N_("Attendance recorded"))


def _minute_rows(form: Form) -> list[int]:
    return [i for i in range(MINUTE_ROWS)
            if any(form.text(f"minute_{part}_{i}") for part in ("member", "speaker", "points"))]


@post("/meetings/{meeting_id:int}/minutes", opt=MANAGE, include_in_schema=False)
async def minutes_submit(request: Request, meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                         principal: NamedDependency[Principal],
                         runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    rows = _minute_rows(form)

    async def record(meeting) -> None:
        entries = []
        for i in rows:
            entry: dict[str, Any] = {"points": form.text(f"minute_points_{i}")}
            if member := form.text(f"minute_member_{i}"):
                entry["member_id"] = member
            elif speaker := form.text(f"minute_speaker_{i}"):
                entry["speaker"] = speaker
            if topic := form.text(f"minute_topic_{i}"):
                entry["topic_id"] = topic
            entries.append(entry)
        payload = msgspec.to_builtins(typed({"entries": entries}, Minutes))
        await service.add_minutes(db, principal, meeting, payload)

    rename = _row_renamer("entries", rows, "minute_",
                          {"points": "points", "member_id": "speaker", "speaker": "speaker", "topic_id": "topic"})
    return await _submit(request, db, runtime, principal, meeting_id, form, "minutes", record, N_("Minutes added"),
                         rename=rename)


@post("/meetings/{meeting_id:int}/votes", opt=MANAGE, include_in_schema=False)
async def vote_submit(request: Request, meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                      principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    # The members whose choice the ballot carries, in the order sent.
    members = [name.removeprefix("choice_") for name in form.fields if name.startswith("choice_") and form.text(name)]

    async def record(meeting) -> None:
        data: dict[str, Any] = form.filled("topic_id", "resolution")
        # Whichever way the recorder filled in is sent; both, or neither, is the service's to refuse.
        if members:
            data["votes"] = [{"member_id": m, "choice": form.text(f"choice_{m}")} for m in members]
        tallies = {choice: form.text(f"tally_{choice}") for choice in VOTE_CHOICES if form.text(f"tally_{choice}")}
        if tallies:
            data["tallies"] = tallies
        payload = msgspec.to_builtins(typed(data, VoteRecord))
        ratio, notice_days = await _settings(db, runtime, meeting.region_code)
        await service.record_vote(db, principal, meeting, payload, quorum_ratio=ratio, plan_notice_days=notice_days)

    # Each agenda topic has its own vote form: the one sent shows the errors.
    return await _submit(request, db, runtime, principal, meeting_id, form, f"vote-{form.text('topic_id')}", record,
                         N_("Vote recorded"), section="votes",
                         rename=_row_renamer("votes", members, "", {"member_id": "choice", "choice": "choice"}))


@post("/meetings/{meeting_id:int}/publish-plan", opt=MANAGE, include_in_schema=False)
async def publish_plan_submit(request: Request, meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                              principal: NamedDependency[Principal],
                              runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)

    async def record(meeting) -> None:
        payload = msgspec.to_builtins(typed(form.filled("plan"), PlanPublication))
        await service.publish_plan(db, principal, meeting, payload)

    return await _submit(request, db, runtime, principal, meeting_id, form, "plan", record, N_("Plan published"))


@post("/meetings/{meeting_id:int}/close", opt=MANAGE, include_in_schema=False)
async def close_submit(request: Request, meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                       principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)

    async def record(meeting) -> None:
        await service.close_meeting(db, principal, meeting)

    return await _submit(request, db, runtime, principal, meeting_id, form, "close", record,
                         N_("Meeting record closed"))


PAGES = [meetings_page, meeting_page, attendance_submit, minutes_submit, vote_submit, publish_plan_submit,
         close_submit]
