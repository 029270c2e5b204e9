"""The council's topic board, submitting a topic on a resident's behalf (代录), a topic's page
with its history in words, one form per action of its procedure, escalation and upward reports.

Every handler calls the services the JSON API calls (``core.topics.service``,
``core.escalation.service``), with the same typed bodies; the procedure, not the page, says
which action may be taken now and why not.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import zip_longest
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.forms import Form, FormErrors, earlier_answer, new_once_token, read_form, submit_form
from admin_ui.i18n import N_, Language
from admin_ui.web import language, local_time, render, with_query
from core import clock
from core.attachments import service as attachments
from core.authz.enforcer import Authorizer, get_authorizer
from core.authz.principal import Principal
from core.authz.roles import ROLE_LABELS, Role
from core.authz.scope import RegionScope
from core.catalogue import ADMISSIBLE, EXCLUDED, ROUTES as REJECTION_ROUTES
from core.consultation.queries import serving_at
from core.consultation.region_kinds import meeting_kinds
from core.consultation.views import FORM_LABELS, METHOD_LABELS, OUTCOME_LABELS
from core.councils.categories import TOPIC_CATEGORIES, is_fixed
from core.errors import ApiError, FieldError, typed, validation_failed
from core.escalation import service as escalation
from core.escalation.regions import region_names
from core.escalation.schemas import EscalationRequest, UpwardReportForm
from core.models import Region
from core.models.consultation import MEETING_FORMS, OUTCOME_FORMS, RESEARCH_METHODS, Meeting
from core.models.escalation import REPORT_KINDS
from core.models.region import RegionLevel
from core.models.topic import CHANNELS, SCALES
from core.notices.service import RETURNS
from core.public.service import ANONYMOUS, PUBLIC_ACTOR
from core.procedures import engine
from core.procedures.guards import OBJECTIONS_OPEN, RESEARCH_PARTS, required_research_parts
from core.procedures.model import STATUSES, Action, Procedure
from core.procedures.registry import procedure_registry
from core.region_context import RegionContext, region_context
from core.regions.queries import Paging
from core.runtime import Runtime
from core.topics import service as topics_service
from core.topics.schemas import TopicAction, TopicForm
from core.topics.service import CHANNEL_LABELS, SCALE_LABELS, TopicFilters
from core.topics.transitions import SYSTEM, engine_context, procedure_of, state_of

PAGE_SIZE = 20
# Empty rows for invited X participants on a new meeting's form.
PARTICIPANT_ROWS = 3
# Several phone photos in one research record.
UPLOAD_LIMIT = 4 * attachments.MAX_REQUEST_BYTES
OPEN_MEETINGS_SHOWN = 20

STATUS_WORDS = {"open": N_("In progress"), "rejected": N_("Not consulted"), "closed": N_("Closed"),
                "withdrawn": N_("Withdrawn")}
STATUS_BADGES = {"open": "warn", "rejected": "err", "closed": "ok", "withdrawn": ""}
ESCALATION_FIELDS = ("reason",)
REPORT_FIELDS = ("kind", "title", "body", "to_region")

# Which form an action gets: the declared kind, else the generic procedure's key (as the
# consultation built-in recognises them).
_KIND_BY_KEY = {"record_research": "research", "schedule_meeting": "schedule_meeting",
                "record_resolution": "resolution"}
_OWN_FORMS = ("screen_admit", "screen_reject", "research", "schedule_meeting", "resolution")
# The fields each form sends; anything else a browser posts is not read.
FORM_FIELDS = {
    "screen_admit": ("catalogue_item", "note", "feedback"),
    "screen_reject": ("catalogue_item", "route", "referred_to", "referral_channel", "note", "feedback"),
    "research": ("findings", "feasibility", "draft_plan", "visited_on", "visited_place", "note"),
    "schedule_meeting": ("meeting_id", "form", "kind", "starts_at", "place", "title", "plan", "note"),
    "resolution": ("form", "text", "responsible_party", "measures", "deadline", "note"),
    "objection": ("note", "contact"),
    "answer_objection": ("objection_id", "note"),
    "return_objections": ("note",),
    "publish_plan": ("plan", "note"),
    "decision_text": ("text", "note"),
    "note": ("note", "feedback"),
}
# Lianyungang's admit (plugins/lianyungang): whether the matter involves city departments.
CITY_DEPARTMENTS_FLAG = "involves_city_departments"
CITY_DEPARTMENTS_PLUGIN = "lianyungang"
# The county practice's admit (plugins/four_visits_six_steps, 004): its view section lists the
# criteria of 切口小、立意高、关联广 and the forms of 社会征, so the form asks for them.
SELECTION_SECTION = "four_visits_six_steps"


# -- words for values ------------------------------------------------------------------

def pick(lang: Language, pair: tuple[str, str]) -> str:
    return pair[1] if lang.english else pair[0]


def choices(lang: Language, labels: Mapping[str, tuple[str, str]], keys: Iterable[str] | None = None
            ) -> list[tuple[str, str]]:
    return [(key, pick(lang, labels[key]) if key in labels else key) for key in (keys or labels)]


def form_kind(action: Action) -> str:
    """The form an action is taken with (``FORM_FIELDS``)."""
    what = action.kind or _KIND_BY_KEY.get(action.key)
    if what in _OWN_FORMS:
        return what
    if action.key == "publish_plan":
        return "publish_plan"
    if action.key == "record_assembly_decision":
        return "decision_text"
    opened = sum(change for name, change in action.counts if name == OBJECTIONS_OPEN)
    if opened > 0:
        return "objection"
    if opened < 0:
        return "return_objections" if action.key in RETURNS else "answer_objection"
    return "note"


def declared_action(procedure: Procedure, step_key: str | None, key: str) -> Action | None:
    """The action as declared at ``step_key``, else its first declaration anywhere in the procedure."""
    step = procedure.step(step_key) if step_key else None
    found = step.action(key) if step else None
    return found or next((a for s in procedure.steps for a in s.actions if a.key == key), None)


def role_words(lang: Language, roles: Iterable[Role]) -> str:
    order = list(Role)
    return ("、" if not lang.english else ", ").join(
        pick(lang, ROLE_LABELS[r]) for r in sorted(roles, key=order.index) if r is not Role.platform_admin)


def _is_time(text: str) -> bool:
    if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _label(lang: Language, key: str) -> str:
    words = key.replace("_", " ").strip().capitalize()
    return lang.gettext(words)


def plain(value: Any, lang: Language) -> Any:
    """A section no page knows, in words: ``{"rows": [(label, value)]}``, ``{"items": [...]}`` or text.

    A pair ``x_zh`` / ``x_en`` is one row in the page's language; ids and empty values are left out.
    """
    if isinstance(value, Mapping):
        rows = []
        for key, item in value.items():
            key = str(key)
            if key.endswith("_en") and f"{key[:-3]}_zh" in value:
                continue
            if key.endswith("_zh"):
                key, item = key[:-3], lang.bilingual(value, key[:-3])
            if item in (None, "", [], {}) or key in ("id", "key") or key.endswith(("_id", "_ids")):
                continue
            rows.append((_label(lang, key), plain(item, lang)))
        return {"rows": rows}
    if isinstance(value, (list, tuple)):
        return {"items": [plain(item, lang) for item in value]}
    if isinstance(value, bool):
        return lang.gettext("Yes") if value else lang.gettext("No")
    if isinstance(value, str) and _is_time(value):
        return local_time(value)
    return str(value)


# -- the history in words ---------------------------------------------------------------

def _who(lang: Language, event: Mapping[str, Any]) -> str:
    if event["actor_user_id"] is None and event["actor_name"] in (SYSTEM, ""):
        return lang.gettext("The platform")
    if event["actor_user_id"] is None and event["actor_name"] == PUBLIC_ACTOR:
        return lang.gettext("A resident (public submission)")
    return event["actor_name"]


def proposer_words(lang: Language, name: str | None) -> str | None:
    """The proposer's name; the public door's stand-in for an anonymous resident is interface text."""
    return lang.gettext("Anonymous resident") if name == ANONYMOUS else name


def timeline(lang: Language, view: Mapping[str, Any], procedure: Procedure, catalogue,
             names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each history entry as a sentence: when, who, what, in the page's language."""
    entries = []
    for event in view["history"]:
        who, data, key = _who(lang, event), event["data"] or {}, event["action"]
        note = event["note"] or ""
        details: list[str] = []
        if key == topics_service.SUBMIT:
            channel = data.get("channel")
            text = lang.gettext("%(who)s submitted the topic (channel: %(channel)s)", who=who,
                                channel=pick(lang, CHANNEL_LABELS[channel]) if channel in CHANNEL_LABELS
                                else lang.gettext("another channel"))
        elif key == "notice_closed":
            note = ""
            received, waiting = data.get("objections", 0), data.get("objections_open", 0)
            text = (lang.gettext("The notice period ended with %(n)s objection(s), %(open)s awaiting an answer.",
                                 n=received, open=waiting) if received
                    else lang.gettext("The notice period ended with no objection."))
        elif key == escalation.ESCALATE:
            region = names.get(data.get("to_region", ""), data.get("to_region", ""))
            text = lang.gettext("%(who)s moved the topic up to %(region)s", who=who, region=region)
            if data.get("trigger") in escalation.TRIGGER_LABELS:
                details.append(pick(lang, escalation.TRIGGER_LABELS[data["trigger"]]))
        elif key == "upward_report":
            kind = data.get("kind")
            text = lang.gettext("%(who)s filed a %(kind)s with %(region)s", who=who,
                                kind=pick(lang, escalation.KIND_LABELS[kind]) if kind in escalation.KIND_LABELS
                                else lang.gettext("report"),
                                region=names.get(data.get("to_region", ""), data.get("to_region", "")))
        elif key in ("upward_report_accepted", "upward_report_answered"):
            region = names.get(data.get("to_region", ""), data.get("to_region", ""))
            msgid = (N_("%(region)s accepted the upward report (%(who)s)") if key == "upward_report_accepted"
                     else N_("%(region)s answered the upward report (%(who)s)"))
            text = lang.gettext(msgid, region=region, who=who)
        elif (action := declared_action(procedure, event["from_step"], key)) is not None:
            text = lang.gettext("%(who)s: %(action)s", who=who, action=lang.bilingual(action, "title"))
            item = catalogue.get(data.get("catalogue_item"))
            if item is not None:
                details.append(lang.gettext("citing item %(number)s of the catalogue, “%(text)s”",
                                            number=item.number,
                                            text=(item.text_en or item.text_zh) if lang.english else item.text_zh))
            if data.get("route") in REJECTION_ROUTES:
                details.append(pick(lang, REJECTION_ROUTES[data["route"]]))
            details.extend(data[key] for key in ("referred_to", "referral_channel") if data.get(key))
        else:
            text = lang.gettext("%(who)s made an entry in the history", who=who)
        moved = event["to_step"] if event["from_step"] and event["to_step"] != event["from_step"] else None
        if moved and (step := procedure.step(moved)) is not None:
            details.append(lang.gettext("now at “%(step)s”", step=lang.bilingual(step, "title")))
        if event["status"] != "open" and event["status"] in STATUS_WORDS:
            details.append(lang.gettext(STATUS_WORDS[event["status"]]))
        entries.append({"at": event["at"], "text": text, "details": details, "note": note})
    return entries


# -- the board ---------------------------------------------------------------------------

def _filters_of(step: str | None, status: str | None, channel: str | None, overdue: str | None) -> TopicFilters:
    return TopicFilters(step=step or None, status=status or None, channel=channel or None, overdue=bool(overdue))


@get("/r/{code:str}/topics", opt={"action": topics_service.READ}, include_in_schema=False)
async def topic_board(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                      region_scope: NamedDependency[RegionScope], principal: NamedDependency[Principal],
                      runtime: NamedDependency[Runtime], step: FromQuery[str | None] = None,
                      status: FromQuery[str | None] = None, channel: FromQuery[str | None] = None,
                      overdue: FromQuery[str | None] = None, page: FromQuery[int] = 1) -> Template:
    lang = language(request)
    region = await db.get(Region, code)
    context = await region_context(db, runtime.plugins, code)
    procedure = context.procedure_for_new_topic()
    filters = _filters_of(step, status, channel, overdue)
    listing = await topics_service.list_topics(db, region_scope, code, filters, Paging.checked(page, PAGE_SIZE),
                                               plugins=runtime.plugins)
    for item in listing["items"]:
        item["proposer_name"] = proposer_words(lang, item.get("proposer_name"))
    # The counts ignore the step chosen, so that every step's link keeps its number.
    counts = await topics_service.count_topics_by_step(
        db, region_scope, code, TopicFilters(None, filters.status, filters.channel, None, filters.overdue))
    own = {s.key for s in procedure.steps}
    groups = [{"key": s.key, "title": lang.bilingual(s, "title"),
               "items": [t for t in listing["items"] if t["step"]["key"] == s.key]} for s in procedure.steps]
    others = [t for t in listing["items"] if t["step"]["key"] not in own]
    if others:
        groups.append({"key": None, "title": lang.gettext("Other steps"), "items": others})
    stages = [{"title": lang.bilingual(stage, "title"),
               "steps": [{"key": s.key, "title": lang.bilingual(s, "title"), "count": counts.get(s.key, 0)}
                         for s in procedure.steps if s.stage == stage.key]} for stage in procedure.stages]
    authorizer = await get_authorizer(runtime)
    query = {"step": filters.step, "status": filters.status, "channel": filters.channel,
             "overdue": "1" if filters.overdue else None}

    def page_url(number: int) -> str:
        return with_query(f"/r/{code}/topics", **query, page=number)

    def step_url(key: str | None) -> str:
        return with_query(f"/r/{code}/topics", **{**query, "step": key})

    return await render(
        request, db, "topics/board.html", region=region, procedure=procedure, stages=stages, groups=groups,
        total=listing["total"], counted=sum(counts.values()), other_count=sum(n for k, n in counts.items()
                                                                            if k not in own),
        page=listing["page"], page_size=listing["page_size"], page_url=page_url, step_url=step_url,
        filters=query, step_options=[(s.key, lang.bilingual(s, "title")) for s in procedure.steps],
        status_options=[(s, lang.gettext(words)) for s, words in STATUS_WORDS.items() if s in STATUSES],
        channel_options=choices(lang, CHANNEL_LABELS, CHANNELS), channel_words=CHANNEL_LABELS,
        scale_words=SCALE_LABELS, status_words=STATUS_WORDS, status_badges=STATUS_BADGES, pick=pick,
        may_create=authorizer.allowed(principal, topics_service.CREATE, code))


# -- submitting on behalf ----------------------------------------------------------------

def _codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,，、;；]+", text) if c]


async def _new_topic_page(request: Request, db: AsyncSession, runtime: Runtime, code: str, *,
                          values: Mapping[str, Any], errors: FormErrors, once: str,
                          status_code: int = 200) -> Template:
    lang = language(request)
    region = await db.get(Region, code)
    context = await region_context(db, runtime.plugins, code)
    communities = []
    if region.level == RegionLevel.street.value:
        communities = (await db.scalars(select(Region).where(
            Region.parent_code == code, Region.level == RegionLevel.community.value, Region.active.is_(True))
            .order_by(Region.code))).all()
    return await render(
        request, db, "topics/new.html", status_code=status_code, region=region, values=values, errors=errors,
        once=once, community_level=region.level == RegionLevel.community.value,
        communities=[(r.code, r.name) for r in communities],
        category_options=[(i.code, _item_words(lang, i)) for i in context.catalogue.of_kind(ADMISSIBLE)],
        channel_options=choices(lang, CHANNEL_LABELS, CHANNELS), scale_options=choices(lang, SCALE_LABELS, SCALES))


def _item_words(lang: Language, item) -> str:
    text = (item.text_en or item.text_zh) if lang.english else item.text_zh
    return lang.gettext("Item %(number)s: %(text)s", number=item.number, text=text)


@get("/r/{code:str}/topics/new", opt={"action": topics_service.CREATE}, include_in_schema=False)
async def new_topic_form(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                         runtime: NamedDependency[Runtime]) -> Template:
    return await _new_topic_page(request, db, runtime, code, values={"channel": "on_behalf"}, errors=FormErrors(),
                                 once=new_once_token())


@post("/r/{code:str}/topics/new", opt={"action": topics_service.CREATE}, include_in_schema=False)
async def new_topic_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                           principal: NamedDependency[Principal],
                           runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    async def work() -> str:
        data = form.filled("title", "description", "category", "channel", "scale", "proposer_name",
                           "proposer_contact", lists=("affected_regions",))
        if more := _codes(form.text("affected_codes")):
            data["affected_regions"] = [*data.get("affected_regions", []), *more]
        topic = await topics_service.create_topic(db, principal, code, msgspec.to_builtins(typed(data, TopicForm)),
                                                  plugins=runtime.plugins, authorizer=await get_authorizer(runtime))
        return f"/topics/{topic.id}"

    async def refused(err: ApiError) -> Template:
        return await _new_topic_page(request, db, runtime, code, values=form.values(),
                                     errors=FormErrors.of(err, language(request)), once=form.once,
                                     status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The topic was submitted."))


# -- the topic page -----------------------------------------------------------------------

# What the topic page shows in its own blocks; any other section is shown generically.
_SHOWN = frozenset({
    "id", "region_code", "origin_region_code", "title", "category", "channel", "scale", "proposer_name",
    "procedure", "stage", "step", "status", "due_at", "created_at", "updated_at", "description",
    "affected_regions", "timers", "actions", "blocked_actions", "history", "screening", "proposer_contact",
    "research", "meetings", "outcome", "notices", "escalation", "similar", "implementation",
    "tianshui", "jinchang", "ningbo", "lianyungang",
})


def _procedure_of_view(runtime: Runtime, view: Mapping[str, Any]) -> Procedure:
    return procedure_registry(runtime.plugins).get(view["procedure"]["key"], view["procedure"]["version"])


@get("/topics/{topic_id:int}", opt={"action": topics_service.READ}, include_in_schema=False)
async def topic_page(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                     principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> Template:
    lang = language(request)
    authorizer = await get_authorizer(runtime)
    view = await topics_service.topic_view(db, principal, topic_id, plugins=runtime.plugins, authorizer=authorizer)
    view["proposer_name"] = proposer_words(lang, view.get("proposer_name"))
    procedure = _procedure_of_view(runtime, view)
    context = await region_context(db, runtime.plugins, view["region_code"])
    codes = {view["region_code"], view["origin_region_code"], *view["affected_regions"]}
    codes |= {e["data"].get("to_region") for e in view["history"] if isinstance(e["data"].get("to_region"), str)}
    moved = view.get("escalation") or {}
    codes |= {c for mv in moved.get("moves", []) for c in (mv["from_region_code"], mv["to_region_code"])}
    codes |= {r["to_region_code"] for r in moved.get("upward_reports", [])}
    names = await region_names(db, codes)
    step = procedure.step(view["step"]["key"])
    is_open = view["status"] == "open"
    timer_titles = {t.key: t for s in procedure.steps for a in s.actions for t in a.timers}
    now = clock.now()
    deadlines = [{"title": lang.bilingual(timer_titles[k], "title") if k in timer_titles else lang.gettext("Deadline"),
                  "at": at} for k, at in view["timers"].items()
                 if is_open and datetime.fromisoformat(at) > now]
    manifests = runtime.plugins.manifests()
    extra = [{"title": lang.bilingual(manifests[name], "title") if name in manifests else _label(lang, name),
              "body": plain(value, lang)} for name, value in view.items()
             if name not in _SHOWN and value not in (None, "", [], {})]
    category = context.catalogue.get(view["category"])
    return await render(
        request, db, "topics/topic.html", topic=view, procedure=procedure, names=names,
        timeline=timeline(lang, view, procedure, context.catalogue, names),
        next_actions=[{"title": lang.bilingual(a, "title"), "roles": role_words(lang, a.roles)}
                      for a in (step.actions if step and is_open else ())],
        deadlines=deadlines, extra=extra, catalogue=context.catalogue,
        category=_item_words(lang, category) if category else "",
        channel=pick(lang, CHANNEL_LABELS[view["channel"]]) if view["channel"] in CHANNEL_LABELS else "",
        scale=pick(lang, SCALE_LABELS[view["scale"]]) if view["scale"] in SCALE_LABELS else "",
        status_words=STATUS_WORDS, status_badges=STATUS_BADGES, route_words=REJECTION_ROUTES, pick=pick,
        may_escalate=is_open and authorizer.allowed(principal, escalation.ESCALATION_MANAGE, view["region_code"]),
        may_report=authorizer.allowed(principal, escalation.REPORT_MANAGE, view["region_code"])
        and len(view["region_code"]) > 4)


# -- one form per action -------------------------------------------------------------------

def _invitee_label(lang: Language, person: Mapping[str, Any]) -> str:
    """An affected community's member as a joint meeting's participant: name, community, role."""
    role = lang.bilingual(person, "role") if person["role_in_council"] != "member" else ""
    where = " ".join(filter(None, (person["region_name"], role)))
    return (f"{person['name']} ({where})" if lang.english else f"{person['name']}（{where}）")[:100]


def _participant_rows(form: Form | None) -> list[dict[str, str]]:
    """The X participants' rows as typed (name and category side by side), padded with empty ones."""
    rows: list[dict[str, str]] = []
    if form is not None:
        names = form.fields.get("participant_name", [])
        categories = form.fields.get("participant_category", [])
        for name, category in zip_longest(names, categories, fillvalue=""):
            rows.append({"name": name.strip() if isinstance(name, str) else "",
                         "category": category.strip() if isinstance(category, str) else ""})
        rows = [r for r in rows if r["name"] or r["category"]]
    return rows + [{"name": "", "category": ""}] * max(PARTICIPANT_ROWS - len(rows), 1)


def _action_payload(form: Form, kind: str, context: RegionContext) -> dict[str, Any]:
    data = form.filled(*FORM_FIELDS[kind], lists=("method", "visitors") if kind == "research" else ())
    if "visitors" in data:
        # Ids as the service reads them; a tampered value is left for it to refuse by name.
        data["visitors"] = [int(v) if v.isdigit() else v for v in data["visitors"]]
    if kind == "schedule_meeting" and "meeting_id" in data:
        # An existing meeting: the new meeting's fields (their defaults were posted too) do not apply.
        return {k: v for k, v in data.items() if k in ("meeting_id", "note")}
    if kind == "schedule_meeting":
        people = [{k: v for k, v in row.items() if v} for row in _participant_rows(form)
                  if row["name"] or row["category"]]
        # A joint meeting on a topic moved up: the affected communities' representatives ticked.
        people += [{"name": name} for name in form.texts("joint_invitee") if name]
        if people:
            data["participants"] = people
    if kind == "screen_admit" and context.has(SELECTION_SECTION):
        data["selection_standard"] = form.texts("selection_standard")
        if form.text("source"):
            data["source"] = form.text("source")
    if kind == "screen_admit" and context.has(CITY_DEPARTMENTS_PLUGIN):
        departments = [line.strip() for line in form.text("city_departments").splitlines() if line.strip()]
        if form.text(CITY_DEPARTMENTS_FLAG) or departments:
            data[CITY_DEPARTMENTS_FLAG] = True
        if departments:
            data["city_departments"] = departments
    return data


async def _store_photos(db: AsyncSession, principal: Principal, runtime: Runtime, authorizer: Authorizer,
                        region_code: str, form: Form) -> list[int]:
    """Keep the photos sent with the form first, as the attachments API would; their ids go with the action."""
    uploads = form.files("photos")
    if not uploads:
        return []
    if not authorizer.allowed(principal, attachments.UPLOAD, region_code):
        raise validation_failed(FieldError("attachments", "您不能在此上传照片", "you may not upload photos here"))
    ids = []
    for upload in uploads:
        try:
            stored = await attachments.store(db, principal, region_code, await upload.read(), upload.filename,
                                             upload_dir=runtime.config.upload_dir)
        except ApiError as err:
            # Shown beside the photo input, not beside a field the form does not have.
            raise ApiError(err.status_code, err.code, err.message_zh, err.message_en,
                           [FieldError("attachments", f"{upload.filename}：{f.message_zh}",
                                       f"{upload.filename}: {f.message_en}") for f in err.fields]) from None
        ids.append(stored.id)
    return ids


async def _action_page(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal,
                       authorizer: Authorizer, topic_id: int, key: str, *, values: Mapping[str, Any] | None,
                       errors: FormErrors, once: str, form: Form | None = None,
                       status_code: int = 200) -> Template:
    """The form of action ``key`` (``values`` None: a new form), or why it cannot be taken now (403/409)."""
    lang = language(request)
    view = await topics_service.topic_view(db, principal, topic_id, plugins=runtime.plugins, authorizer=authorizer)
    topic = await topics_service.load_topic(db, principal, topic_id, authorizer=authorizer)
    context = await region_context(db, runtime.plugins, topic.region_code)
    procedure = procedure_of(context, topic)
    roles = topics_service.roles_at(authorizer, principal, topic.region_code, topics_service.ACT)
    topic_context = engine_context(topic, context.settings)
    refusal = ""
    try:
        engine.check(procedure, state_of(topic), key, roles, topic_context)
    except ApiError as err:
        if err.status_code == 404:
            raise
        refusal = err.message_en if lang.english else err.message_zh
        if status_code == 200:
            status_code = err.status_code
    action = declared_action(procedure, topic.step, key)
    step = procedure.step(topic.step)
    # The engine names these two cases by keys; the page says them in words.
    if refusal and topic.status != "open":
        refusal = lang.gettext("The topic has ended.") + " " + lang.gettext(STATUS_WORDS.get(topic.status, ""))
    elif refusal and (step is None or step.action(key) is None):
        refusal = lang.gettext("“%(action)s” is not taken at the step “%(step)s”.",
                               action=lang.bilingual(action, "title"),
                               step=lang.bilingual(step, "title") if step else topic.step)
    kind = form_kind(action)
    if values is None:
        values = _defaults(kind, view)
    extra: dict[str, Any] = {}
    if kind in ("screen_admit", "screen_reject"):
        listed = ADMISSIBLE if kind == "screen_admit" else EXCLUDED
        extra["items"] = [{"code": i.code, "number": i.number,
                           "text": (i.text_en or i.text_zh) if lang.english else i.text_zh,
                           "route": pick(lang, REJECTION_ROUTES[i.route]) if i.route in REJECTION_ROUTES else ""}
                          for i in context.catalogue.of_kind(listed)]
        extra["route_options"] = choices(lang, REJECTION_ROUTES)
        extra["city_departments"] = kind == "screen_admit" and context.has(CITY_DEPARTMENTS_PLUGIN)
        selection = view.get(SELECTION_SECTION) if kind == "screen_admit" else None
        if selection:
            extra["selection_criteria"] = [(c["key"], f"{lang.bilingual(c, 'title')}：{lang.bilingual(c, 'text')}")
                                           for c in selection["selection_standard"]["criteria"]]
            extra["selection_sources"] = [(c["key"], lang.bilingual(c, "title")) for c in selection["sources"]]
    elif kind == "research":
        extra["method_options"] = choices(lang, METHOD_LABELS, RESEARCH_METHODS)
        serving = await serving_at(db, topic.region_code, clock.now())
        extra["visitor_options"] = [(str(m.id), m.name) for m in serving.values() if is_fixed(m.category)]
        required = required_research_parts(context.settings)
        extra["required_parts"] = (", " if lang.english else "、").join(pick(lang, RESEARCH_PARTS[p])
                                                                        for p in required)
    elif kind == "schedule_meeting":
        kinds = meeting_kinds(context)
        extra["form_options"] = choices(lang, FORM_LABELS, MEETING_FORMS)
        extra["kind_options"] = [(k, lang.bilingual(v, "title")) for k, v in kinds.items()]
        extra["category_options"] = choices(lang, TOPIC_CATEGORIES)
        extra["rows"] = _participant_rows(form)
        chosen = set(form.texts("joint_invitee")) if form is not None else None
        extra["joint_invitees"] = [
            (label, label, label in chosen if chosen is not None else person["representative"],
             person["representative"])
            for person in (view.get("escalation") or {}).get("joint_meeting_invitees", [])
            for label in [_invitee_label(lang, person)]]
        meetings = (await db.scalars(select(Meeting).where(Meeting.region_code == topic.region_code,
                                                           Meeting.status == "scheduled")
                                     .order_by(Meeting.starts_at.desc()).limit(OPEN_MEETINGS_SHOWN))).all()
        extra["meeting_options"] = [
            (str(m.id), " · ".join(filter(None, (local_time(m.starts_at), m.title,
                                                 lang.bilingual(kinds[m.kind], "title") if m.kind in kinds else ""))))
            for m in meetings]
    elif kind == "resolution":
        extra["outcome_options"] = choices(lang, OUTCOME_LABELS, OUTCOME_FORMS)
    if kind in ("answer_objection", "return_objections"):
        extra["objections"] = [o for n in view.get("notices", []) for o in n["objections"] if o["status"] == "open"]
    extra["periods"] = [{"title": lang.bilingual(t, "title") or lang.gettext("Deadline"),
                         "days": t.days(topic_context)} for t in action.timers]
    return await render(
        request, db, "topics/action.html", status_code=status_code, topic=view, action=action, kind=kind,
        refusal=refusal,
        values=values, errors=errors, once=once, multipart=kind == "research", **extra)


def _defaults(kind: str, topic: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "screen_admit":
        return {"catalogue_item": topic["category"] or ""}
    if kind == "schedule_meeting":
        # A topic several communities share is consulted at a joint meeting (联席会议) by default.
        shared = (topic.get("escalation") or {}).get("joint_meeting_invitees")
        return {"form": "meeting", **({"kind": "joint"} if shared else {})}
    if kind == "resolution":
        return {"form": "resolution"}
    return {}


@get("/topics/{topic_id:int}/act/{action:str}", opt={"action": topics_service.ACT}, include_in_schema=False)
async def action_form(request: Request, topic_id: FromPath[int], action: FromPath[str],
                      db: NamedDependency[AsyncSession], principal: NamedDependency[Principal],
                      runtime: NamedDependency[Runtime]) -> Template:
    return await _action_page(request, db, runtime, principal, await get_authorizer(runtime), topic_id, action,
                              values=None, errors=FormErrors(), once=new_once_token())


@post("/topics/{topic_id:int}/act/{action:str}", opt={"action": topics_service.ACT}, include_in_schema=False,
      request_max_body_size=UPLOAD_LIMIT)
async def action_submit(request: Request, topic_id: FromPath[int], action: FromPath[str],
                        db: NamedDependency[AsyncSession], principal: NamedDependency[Principal],
                        runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    authorizer = await get_authorizer(runtime)
    # Another region's topic is the 404 page, before anything is read from the form.
    topic = await topics_service.load_topic(db, principal, topic_id, authorizer=authorizer)
    region_code, step = topic.region_code, topic.step
    context = await region_context(db, runtime.plugins, region_code)
    declared = declared_action(procedure_of(context, topic), step, action)
    kind = form_kind(declared) if declared else "note"
    async def work() -> str:
        data = _action_payload(form, kind, context)
        if kind == "research":
            if photos := await _store_photos(db, principal, runtime, authorizer, region_code, form):
                data["attachments"] = photos
        payload = msgspec.to_builtins(typed(data, TopicAction))
        await topics_service.perform_action(db, principal, topic_id, action, payload, plugins=runtime.plugins,
                                            authorizer=authorizer)
        return f"/topics/{topic_id}"

    async def refused(err: ApiError) -> Template:
        return await _action_page(request, db, runtime, principal, authorizer, topic_id, action,
                                  values=form.values(), errors=FormErrors.of(err, language(request)),
                                  once=form.once, form=form, status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The action was recorded."))


# -- escalation and upward reports ------------------------------------------------------------

async def _escalation_page(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal,
                           topic_id: int, *, values: Mapping[str, Any], errors: FormErrors, once: str,
                           status_code: int = 200) -> Template:
    authorizer = await get_authorizer(runtime)
    view = await topics_service.topic_view(db, principal, topic_id, plugins=runtime.plugins, authorizer=authorizer)
    code = view["region_code"]
    allowed = authorizer.allowed(principal, escalation.ESCALATION_MANAGE, code)
    # The communities nearest to the topic's: those of its street (a community's or a street's topic).
    street = code[:9] if len(code) >= 9 else None
    nearby = []
    if street:
        nearby = (await db.execute(select(Region.code, Region.name).where(
            Region.parent_code == street, Region.level == RegionLevel.community.value, Region.active.is_(True),
            Region.code.not_in(view["affected_regions"] or [""])).order_by(Region.code))).all()
    names = await region_names(db, {code, *view["affected_regions"]})
    return await render(request, db, "topics/escalate.html", status_code=status_code, topic=view, names=names,
                        nearby=[(c, n) for c, n in nearby], allowed=allowed, values=values, errors=errors,
                        once=once)


@get("/topics/{topic_id:int}/escalate", opt={"action": escalation.ESCALATION_MANAGE}, include_in_schema=False)
async def escalation_form(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                          principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> Template:
    return await _escalation_page(request, db, runtime, principal, topic_id, values={}, errors=FormErrors(),
                                  once=new_once_token())


@post("/topics/{topic_id:int}/escalate", opt={"action": escalation.ESCALATION_MANAGE}, include_in_schema=False)
async def escalation_submit(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                            principal: NamedDependency[Principal],
                            runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    async def work() -> str:
        data = form.filled(*ESCALATION_FIELDS, lists=("affected_regions",))
        if more := _codes(form.text("affected_codes")):
            data["affected_regions"] = [*data.get("affected_regions", []), *more]
        await escalation.request_escalation(db, principal, topic_id,
                                            msgspec.to_builtins(typed(data, EscalationRequest)),
                                            plugins=runtime.plugins, authorizer=await get_authorizer(runtime))
        return f"/topics/{topic_id}"

    async def refused(err: ApiError) -> Template:
        return await _escalation_page(request, db, runtime, principal, topic_id, values=form.values(),
                                      errors=FormErrors.of(err, language(request)), once=form.once,
                                      status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The topic was moved up."))


async def _report_page(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal,
                       topic_id: int, *, values: Mapping[str, Any], errors: FormErrors, once: str,
                       status_code: int = 200) -> Template:
    lang = language(request)
    authorizer = await get_authorizer(runtime)
    view = await topics_service.topic_view(db, principal, topic_id, plugins=runtime.plugins, authorizer=authorizer)
    code = view["region_code"]
    above = [code[:n] for n in escalation.LEVEL_LENGTHS if n < len(code)]
    names = await region_names(db, above)
    return await render(request, db, "topics/upward_report.html", status_code=status_code, topic=view,
                        allowed=authorizer.allowed(principal, escalation.REPORT_MANAGE, code),
                        kind_options=choices(lang, escalation.KIND_LABELS, REPORT_KINDS),
                        target_options=[(c, names.get(c, c)) for c in reversed(above)],
                        values=values, errors=errors, once=once)


@get("/topics/{topic_id:int}/upward-report", opt={"action": escalation.REPORT_MANAGE}, include_in_schema=False)
async def report_form(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                      principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> Template:
    authorizer = await get_authorizer(runtime)
    view = await topics_service.topic_view(db, principal, topic_id, plugins=runtime.plugins, authorizer=authorizer)
    return await _report_page(request, db, runtime, principal, topic_id,
                              values={"kind": REPORT_KINDS[0], "title": view["title"],
                                      "to_region": escalation.parent_code(view["region_code"]) or ""},
                              errors=FormErrors(), once=new_once_token())


@post("/topics/{topic_id:int}/upward-report", opt={"action": escalation.REPORT_MANAGE}, include_in_schema=False)
async def report_submit(request: Request, topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                        principal: NamedDependency[Principal],
                        runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    async def work() -> str:
        data = form.filled(*REPORT_FIELDS)
        await escalation.file_upward_report(db, principal, topic_id,
                                            msgspec.to_builtins(typed(data, UpwardReportForm)),
                                            authorizer=await get_authorizer(runtime))
        return f"/topics/{topic_id}"

    async def refused(err: ApiError) -> Template:
        return await _report_page(request, db, runtime, principal, topic_id, values=form.values(),
                                  errors=FormErrors.of(err, language(request)), once=form.once,
                                  status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The report was filed."))


PAGES = [topic_board, new_topic_form, new_topic_submit, topic_page, action_form, action_submit, escalation_form,
         escalation_submit, report_form, report_submit]
