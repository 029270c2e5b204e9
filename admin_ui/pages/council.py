"""My council: its roster by "1+7+X" category, the composition rules' remarks, its terms,
documents and history, and the forms that change them.

Each handler calls the services ``core.councils.routes`` calls, behind the same actions
(``council.read`` / ``council.manage`` at the region in the path). A member is replaced by
recording the leaving member's departure and seating the new one in one transaction: the
service has no replacement of its own, and its rules judge both steps as they would two.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.forms import FormErrors, accepted, earlier_answer, new_once_token, read_form, submit_form
from admin_ui.i18n import N_, Language
from admin_ui.web import current_principal, language, render
from core import clock
from core.app import API_PREFIX
from core.attachments import service as attachments
from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.councils import service
from core.councils.categories import (CATEGORY_LABELS, DOCUMENT_KINDS, FIXED_CATEGORIES, PARTY_SECRETARY,
                                      ROLES_IN_COUNCIL, TOPIC_CATEGORIES, is_fixed)
from core.councils.routes import MANAGE, READ
from core.councils.rules import Violation
from core.councils.cppcc import CPPCC_LEVELS
from core.councils.nominations import NOMINATIONS, confirmation_state, party_organisation_name
from core.councils.schemas import Confirmation, CouncilEdit, DocumentData, MemberData, MemberLeave, TermStart
from core.errors import ApiError, FieldError, forbidden, not_found, typed, validation_failed
from core.models import Council, CouncilMember, CouncilTerm, Region
from core.plugins import Variant
from core.region_context import RegionContext, region_context
from core.regions import units
from core.runtime import Runtime

# "1+7+X" as the roster is shown: the groups in the seeds' order, each with its categories.
CATEGORY_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("The “1”: the party secretary"), (PARTY_SECRETARY,)),
    (N_("The “7”: fixed members"), tuple(FIXED_CATEGORIES)),
    (N_("The “X”: taken on per topic"), tuple(TOPIC_CATEGORIES)),
)
# Flags of a member, as one set of checkboxes.
MEMBER_FLAGS: dict[str, str] = {
    "is_cadre": N_("Community cadre"),
    "is_cppcc": N_("CPPCC member"),
    "is_residents_committee_director": N_("Residents' committee director"),
    "is_supervisory_director": N_("Supervisory committee director"),
}
# Posts a council of one kind does not have: a street council has convenors, a community council a chair.
_NOT_IN_COMMUNITY = frozenset({"convenor", "first_convenor", "second_convenor"})
_NOT_IN_STREET = frozenset({"chair"})


# -- reading ---------------------------------------------------------------------------

async def _region(db: AsyncSession, code: str) -> Region:
    region = await db.get(Region, code)
    if region is None:  # pragma: no cover - the guard answered 404 already
        raise not_found("区划", "region")
    return region


async def _member_in(db: AsyncSession, council: Council, member_id: int) -> CouncilMember:
    member, _term = await service.member_of(db, council, member_id)
    return member


async def _may_manage(runtime: Runtime, principal: Principal | None, code: str) -> bool:
    return principal is not None and (await get_authorizer(runtime)).allowed(principal, MANAGE["action"], code)


def _status(member: CouncilMember, today: date) -> tuple[str, str, date | None]:
    """(badge class, msgid, date) of where a member stands today."""
    if member.left_on is not None and member.left_on <= today:
        return "err", N_("Left on %(date)s"), member.left_on
    if member.joined_on > today:
        return "warn", N_("Joins on %(date)s"), member.joined_on
    if member.left_on is not None:
        return "warn", N_("Leaves on %(date)s"), member.left_on
    return "ok", N_("Serving"), None


def _member_row(member: CouncilMember, today: date) -> dict[str, Any]:
    badge, status, on = _status(member, today)
    return {**service.member_dict(member), "badge": badge, "status": status,
            "status_on": on.isoformat() if on else "", "open": member.left_on is None,
            "fixed": is_fixed(member.category),
            "flags": [label for name, label in MEMBER_FLAGS.items() if getattr(member, name)]}


def _grouped(members: list[CouncilMember], today: date) -> list[dict[str, Any]]:
    """The term's members under "1", "7" and "X", each category in the seeds' order."""
    rows = [_member_row(m, today) for m in members]
    known = set(CATEGORY_LABELS)
    groups = []
    for title, categories in CATEGORY_GROUPS:
        shown = [{"key": key, "label_zh": CATEGORY_LABELS[key][0], "label_en": CATEGORY_LABELS[key][1],
                  "members": [r for r in rows if r["category"] == key]} for key in categories]
        groups.append({"title": title, "categories": [c for c in shown if c["members"]]})
    # A category no longer known (a row older than the list) is still shown.
    strays = [r for r in rows if r["category"] not in known]
    if strays:
        groups.append({"title": N_("Other members"), "categories": [
            {"key": "", "label_zh": "", "label_en": "", "members": strays}]})
    return groups


def _rule_sets(context: RegionContext) -> list[Any]:
    """The manifests of the plugins whose composition rules this region runs, built-ins first."""
    found = []
    for name, manifest in context.plugins.manifests().items():
        if not manifest.builtin and not context.has(name):
            continue
        if isinstance(manifest, Variant):
            if not manifest.composition_rules:
                continue
        else:
            plugin = context.plugins.plugin_named(name)
            if plugin is None or not hasattr(plugin, "yishi_council_composition_rules"):
                continue
        found.append(manifest)
    return sorted(found, key=lambda m: (not m.builtin, m.name))


def _composition(context: RegionContext, violations: list[Violation]) -> list[dict[str, Any]]:
    """Each rule set that applies, met or not, with its remarks (the rules' own words and numbers)."""
    left = list(violations)
    shown = []
    for manifest in _rule_sets(context):
        mine = [v for v in left if v.rule_id.startswith(f"{manifest.name}.")]
        left = [v for v in left if v not in mine]
        shown.append({"title_zh": manifest.title_zh, "title_en": manifest.title_en, "regional": not manifest.builtin,
                      "met": not mine, "remarks": mine})
    if left:
        shown.append({"title_zh": "", "title_en": "", "regional": False, "other": True, "met": False,
                      "remarks": left})
    return shown


def _history(per_term: list[tuple[CouncilTerm, list[CouncilMember]]]) -> list[dict[str, Any]]:
    """Terms begun, members joined, left or replaced, newest first."""
    events: list[dict[str, Any]] = []
    for term, members in per_term:
        carried = sum(1 for m in members if m.carried_from_id is not None)
        events.append({"on": term.starts_on, "order": 0, "kind": "term", "number": term.number, "carried": carried})
        for m in members:
            category = CATEGORY_LABELS.get(m.category, (m.category, m.category))
            if m.carried_from_id is None:
                events.append({"on": m.joined_on, "order": 2, "kind": "joined", "name": m.name,
                               "category": m.category, "category_zh": category[0], "category_en": category[1]})
            # A member carried into the next term leaves there, not in the term they came from.
            if m.left_on is not None and (term.ends_on is None or m.left_on <= term.ends_on):
                events.append({"on": m.left_on, "order": 1, "kind": "left", "name": m.name,
                               "category": m.category, "category_zh": category[0], "category_en": category[1]})
    # One leaving and another of the same category joining that day is how a replacement is recorded.
    joins = [e for e in events if e["kind"] == "joined"]
    for leave in [e for e in events if e["kind"] == "left"]:
        match = next((j for j in joins if j["on"] == leave["on"] and j["category"] == leave["category"]), None)
        if match is not None:
            joins.remove(match)
            events.remove(match)
            leave.update(kind="replaced", new_name=match["name"])
    return sorted(events, key=lambda e: (e["on"], e["order"]), reverse=True)


async def _overview(db: AsyncSession, runtime: Runtime, code: str) -> dict[str, Any]:
    region = await _region(db, code)
    council = await service.get_council(db, code)
    today = clock.today()
    if council is None:
        # Not created until first written to (as the API shows it).
        return {"region": region, "council": {"name": service.default_council_name(region), "venue": "",
                                              "kind": region.level, "exists": False},
                "term": None, "terms": [], "groups": [], "composition": None, "counts": None, "confirmation": None,
                "documents": [], "history": []}
    context = await region_context(db, runtime.plugins, code)
    term = await service.current_term(db, council)
    terms = await service.list_terms(db, council)
    per_term = [(t, await service.term_members(db, t)) for t in terms]
    members = next((ms for t, ms in per_term if term is not None and t.id == term.id), [])
    serving = await service.roster(db, term) if term else []
    violations = await service.check_composition(db, council, context, term)
    documents = [{**service.document_dict(d), "download": f"{API_PREFIX}/attachments/{d.attachment_id}"}
                 for d in await service.documents_on_file(db, council)]
    return {"region": region, "council": {**service.council_dict(council), "exists": True},
            "term": service.term_dict(term) if term else None,
            "terms": [{**service.term_dict(t), "current": term is not None and t.id == term.id} for t in terms],
            "groups": _grouped(members, today), "composition": _composition(context, violations),
            "confirmation": confirmation_state(serving),
            "counts": {"fixed": sum(1 for m in serving if is_fixed(m.category)),
                       "topic": sum(1 for m in serving if not is_fixed(m.category))},
            "documents": documents, "history": _history(per_term)}


@get("/r/{code:str}/council", opt=dict(READ), include_in_schema=False)
async def council_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                       runtime: NamedDependency[Runtime]) -> Template:
    view = await _overview(db, runtime, code)
    manage = await _may_manage(runtime, current_principal(request), code)
    view["units"] = ([units.unit_dict(u) for u in await units.street_units(db, code)]
                     if view["region"].level == "street" else None)
    # One token per withdraw button: each is a form of its own.
    for document in view["documents"]:
        document["once"] = new_once_token()
    return await render(request, db, "council/overview.html", code=code, manage=manage, **view)


# -- members ---------------------------------------------------------------------------

def _category_groups(lang: Language) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(lang.gettext(title), [(key, lang.bilingual({"l_zh": CATEGORY_LABELS[key][0],
                                                         "l_en": CATEGORY_LABELS[key][1]}, "l"))
                                   for key in categories]) for title, categories in CATEGORY_GROUPS]


def _role_options(kind: str, lang: Language, current: str = "") -> list[tuple[str, str]]:
    absent = _NOT_IN_COMMUNITY if kind == "community" else _NOT_IN_STREET
    return [(key, zh if not lang.english else en) for key, (zh, en) in ROLES_IN_COUNCIL.items()
            if key not in absent or key == current]


def _required(form, *needed: tuple[str, str, str]) -> None:
    """What must be filled in before the service is asked: (field, zh, en) for each."""
    missing = [FieldError(name, zh, en) for name, zh, en in needed if not form.text(name)]
    if missing:
        raise validation_failed(*missing)


_NAME_NEEDED = ("name", "请填写姓名", "the name is required")
_CATEGORY_NEEDED = ("category", "请选择成员类别", "choose a category")


def _member_errors(err: ApiError, lang: Language, form, *, date_field: str = "joined_on") -> FormErrors:
    errors = FormErrors.of(err, lang)
    # A choice not on the list can only come from an altered form; the service's message lists raw keys.
    for name, known, msgid in (("category", CATEGORY_LABELS, N_("Choose a category from the list.")),
                               ("role_in_council", ROLES_IN_COUNCIL, N_("Choose a position from the list."))):
        if name in errors.fields and form.text(name) and form.text(name) not in known:
            errors.fields[name] = lang.gettext(msgid)
    # In the replace form the leaving day is the joining day.
    if "left_on" in errors.fields and date_field != "left_on":
        errors.fields[date_field] = errors.fields.pop("left_on")
    return errors


def _member_payload(form, *, with_joined: bool, user_id: int | None = None) -> dict[str, Any]:
    names = ["name", "category", "role_in_council", "grid", "nominated_by", "cppcc_level", "notes"] + (
        ["joined_on"] if with_joined else [])
    payload: dict[str, Any] = form.filled(*names)
    chosen = set(form.texts("flags"))
    payload.update({flag: flag in chosen for flag in MEMBER_FLAGS})
    if user_id is not None:
        payload["user_id"] = user_id
    return payload


def _member_values(member: CouncilMember) -> dict[str, Any]:
    return {"name": member.name, "category": member.category, "role_in_council": member.role_in_council,
            "grid": member.grid, "nominated_by": member.nominated_by, "cppcc_level": member.cppcc_level,
            "notes": member.notes,
            "flags": [flag for flag in MEMBER_FLAGS if getattr(member, flag)]}


async def _member_form(request: Request, db: AsyncSession, code: str, *, mode: str, values: dict[str, Any],
                       errors: FormErrors, once: str, member: CouncilMember | None = None,
                       replaced: CouncilMember | None = None, status_code: int = 200) -> Template:
    lang = language(request)
    region = await _region(db, code)
    council = await service.get_council(db, code)
    kind = council.kind if council is not None else region.level
    flags = [(key, lang.gettext(label)) for key, label in MEMBER_FLAGS.items()]
    return await render(request, db, "council/member_form.html", status_code=status_code, code=code, region=region,
                        council_name=council.name if council else service.default_council_name(region),
                        mode=mode, member=member, replaced=replaced, values=values, errors=errors, once=once,
                        category_groups=_category_groups(lang),
                        roles=_role_options(kind, lang, str(values.get("role_in_council", ""))), flags=flags,
                        nominations=[(key, en if lang.english else zh) for key, (zh, en) in NOMINATIONS.items()],
                        cppcc_levels=[(key, en if lang.english else zh) for key, (zh, en) in CPPCC_LEVELS.items()])


@get("/r/{code:str}/council/members/new", opt=dict(MANAGE), include_in_schema=False)
async def member_new_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                          replaces: FromQuery[int | None] = None, category: FromQuery[str | None] = None) -> Template:
    replaced = None
    values: dict[str, Any] = {"joined_on": clock.today().isoformat(), "role_in_council": "member"}
    if category in CATEGORY_LABELS:
        values["category"] = category
    if replaces is not None:
        replaced = await _member_in(db, await service.existing_council(db, code), replaces)
        values.update(category=replaced.category, role_in_council=replaced.role_in_council, grid=replaced.grid,
                      replaces=str(replaced.id))
    return await _member_form(request, db, code, mode="replace" if replaced else "add", values=values,
                              errors=FormErrors(), once=new_once_token(), replaced=replaced)


@post("/r/{code:str}/council/members/new", opt=dict(MANAGE), include_in_schema=False)
async def member_new_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                            runtime: NamedDependency[Runtime],
                            principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    replaces = form.text("replaces")
    replaced: CouncilMember | None = None

    async def work() -> str:
        nonlocal replaced
        _required(form, _NAME_NEEDED, _CATEGORY_NEEDED)
        data = typed(_member_payload(form, with_joined=True), MemberData)
        context = await region_context(db, runtime.plugins, code)
        if replaces:
            council = await service.existing_council(db, code)
            replaced = await _member_in(db, council, int(replaces) if replaces.isdigit() else 0)
            await service.member_leaves(db, council, replaced.id, data.joined_on, actor=principal,
                                        context=context, notes=form.text("leave_reason") or None)
        else:
            council = await service.ensure_council(db, code, actor=principal)
        await service.add_member(db, council, data, actor=principal, context=context)
        return f"/r/{code}/council"

    async def refused(err: ApiError) -> Template:
        shown = replaced
        if replaces and shown is None:
            shown = await _member_in(db, await service.existing_council(db, code), int(replaces) if replaces.isdigit() else 0)
        return await _member_form(request, db, code, mode="replace" if shown else "add", values=form.values(),
                                  errors=_member_errors(err, language(request), form), once=form.once, replaced=shown,
                                  status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused,
                             flash=N_("The member was replaced.") if replaces else N_("The member is seated."))


@get("/r/{code:str}/council/members/{member_id:int}/edit", opt=dict(MANAGE), include_in_schema=False)
async def member_edit_page(request: Request, code: FromPath[str], member_id: FromPath[int],
                           db: NamedDependency[AsyncSession]) -> Template:
    member = await _member_in(db, await service.existing_council(db, code), member_id)
    return await _member_form(request, db, code, mode="edit", values=_member_values(member), errors=FormErrors(),
                              once=new_once_token(), member=member)


@post("/r/{code:str}/council/members/{member_id:int}/edit", opt=dict(MANAGE), include_in_schema=False)
async def member_edit_submit(request: Request, code: FromPath[str], member_id: FromPath[int],
                             db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                             principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    council = await service.existing_council(db, code)
    member = await _member_in(db, council, member_id)
    async def work() -> str:
        _required(form, _NAME_NEEDED, _CATEGORY_NEEDED)
        # The account link is not on the form: it stays as it is.
        data = typed(_member_payload(form, with_joined=False, user_id=member.user_id), MemberData)
        await service.update_member(db, council, member_id, data, actor=principal,
                                    context=await region_context(db, runtime.plugins, code))
        return f"/r/{code}/council"

    async def refused(err: ApiError) -> Template:
        return await _member_form(request, db, code, mode="edit", values=form.values(), member=member,
                                  errors=_member_errors(err, language(request), form), once=form.once,
                                  status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The member's details are saved."))


async def _leave_form(request: Request, db: AsyncSession, code: str, member: CouncilMember, *,
                      values: dict[str, Any], errors: FormErrors, once: str, status_code: int = 200) -> Template:
    region = await _region(db, code)
    council = await service.existing_council(db, code)
    return await render(request, db, "council/leave.html", status_code=status_code, code=code, region=region,
                        council_name=council.name, member=service.member_dict(member), values=values,
                        errors=errors, once=once)


@get("/r/{code:str}/council/members/{member_id:int}/leave", opt=dict(MANAGE), include_in_schema=False)
async def member_leave_page(request: Request, code: FromPath[str], member_id: FromPath[int],
                            db: NamedDependency[AsyncSession]) -> Template:
    member = await _member_in(db, await service.existing_council(db, code), member_id)
    return await _leave_form(request, db, code, member, values={"left_on": clock.today().isoformat()},
                             errors=FormErrors(), once=new_once_token())


@post("/r/{code:str}/council/members/{member_id:int}/leave", opt=dict(MANAGE), include_in_schema=False)
async def member_leave_submit(request: Request, code: FromPath[str], member_id: FromPath[int],
                              db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                              principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    council = await service.existing_council(db, code)
    member = await _member_in(db, council, member_id)
    async def work() -> str:
        data = typed(form.filled("left_on", "notes"), MemberLeave)
        await service.member_leaves(db, council, member_id, data.left_on, actor=principal,
                                    context=await region_context(db, runtime.plugins, code), notes=data.notes)
        return f"/r/{code}/council"

    async def refused(err: ApiError) -> Template:
        return await _leave_form(request, db, code, member, values=form.values(),
                                 errors=_member_errors(err, language(request), form, date_field="left_on"),
                                 once=form.once, status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The member's leaving is recorded."))


# -- terms and the council itself ---------------------------------------------------------

async def _term_form(request: Request, db: AsyncSession, code: str, *, values: dict[str, Any], errors: FormErrors,
                     once: str, status_code: int = 200) -> Template:
    region = await _region(db, code)
    council = await service.get_council(db, code)
    terms = await service.list_terms(db, council) if council else []
    return await render(request, db, "council/term_form.html", status_code=status_code, code=code, region=region,
                        council_name=council.name if council else service.default_council_name(region),
                        last_term=service.term_dict(terms[-1]) if terms else None, values=values, errors=errors,
                        once=once)


@get("/r/{code:str}/council/terms/new", opt=dict(MANAGE), include_in_schema=False)
async def term_new_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession]) -> Template:
    return await _term_form(request, db, code, values={"starts_on": clock.today().isoformat()}, errors=FormErrors(),
                            once=new_once_token())


@post("/r/{code:str}/council/terms", opt=dict(MANAGE), include_in_schema=False)
async def term_new_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                          runtime: NamedDependency[Runtime],
                          principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    async def work() -> str:
        _required(form, ("starts_on", "请填写任期开始日期", "the first day of the term is required"))
        data = typed(form.filled("starts_on", "ends_on"), TermStart)
        council = await service.ensure_council(db, code, actor=principal)
        await service.start_term(db, council, data.starts_on, data.ends_on, actor=principal,
                                 context=await region_context(db, runtime.plugins, code))
        return f"/r/{code}/council"

    async def refused(err: ApiError) -> Template:
        return await _term_form(request, db, code, values=form.values(), errors=FormErrors.of(err, language(request)),
                                once=form.once, status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The new term has begun."))


async def _edit_form(request: Request, db: AsyncSession, code: str, *, values: dict[str, Any], errors: FormErrors,
                     once: str, status_code: int = 200) -> Template:
    return await render(request, db, "council/edit.html", status_code=status_code, code=code,
                        region=await _region(db, code), values=values, errors=errors, once=once)


@get("/r/{code:str}/council/edit", opt=dict(MANAGE), include_in_schema=False)
async def council_edit_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession]) -> Template:
    council = await service.get_council(db, code)
    values = ({"name": council.name, "venue": council.venue, "grids": "\n".join(council.grids or [])}
              if council is not None
              else {"name": service.default_council_name(await _region(db, code)), "venue": "", "grids": ""})
    return await _edit_form(request, db, code, values=values, errors=FormErrors(), once=new_once_token())


@post("/r/{code:str}/council/edit", opt=dict(MANAGE), include_in_schema=False)
async def council_edit_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                              principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    async def work() -> str:
        _required(form, ("name", "请填写议事会名称", "the council's name is required"))
        # The venue may be cleared, so it is sent even when empty.
        grids = [line.strip() for line in form.text("grids").splitlines() if line.strip()]
        data = typed({"name": form.text("name"), "venue": form.text("venue"), "grids": grids}, CouncilEdit)
        council = await service.ensure_council(db, code, actor=principal)
        await service.update_council(db, council, actor=principal, name=data.name, venue=data.venue,
                                     grids=data.grids)
        return f"/r/{code}/council"

    async def refused(err: ApiError) -> Template:
        return await _edit_form(request, db, code, values=form.values(), errors=FormErrors.of(err, language(request)),
                                once=form.once, status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The council's details are saved."))


# -- the party organisation's confirmation of the list ---------------------------------------

async def _confirm_form(request: Request, db: AsyncSession, code: str, *, values: dict[str, Any], errors: FormErrors,
                        once: str, status_code: int = 200) -> Template:
    council = await service.existing_council(db, code)
    term = await service.current_term(db, council)
    serving = await service.roster(db, term) if term else []
    pending = [service.member_dict(m) for m in serving if is_fixed(m.category) and m.confirmed_on is None]
    return await render(request, db, "council/confirm_form.html", status_code=status_code, code=code,
                        region=await _region(db, code), council_name=council.name, pending=pending,
                        values=values, errors=errors, once=once)


@get("/r/{code:str}/council/confirm", opt=dict(MANAGE), include_in_schema=False)
async def confirm_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession]) -> Template:
    region = await _region(db, code)
    return await _confirm_form(request, db, code, values={"confirmed_by": party_organisation_name(region),
                                                          "confirmed_on": clock.today().isoformat()},
                               errors=FormErrors(), once=new_once_token())


@post("/r/{code:str}/council/confirm", opt=dict(MANAGE), include_in_schema=False)
async def confirm_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                         principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again

    async def work() -> str:
        data = typed({"confirmed_by": form.text("confirmed_by"), **form.filled("confirmed_on")}, Confirmation)
        await service.confirm_list(db, await service.existing_council(db, code), data, actor=principal)
        return f"/r/{code}/council"

    async def refused(err: ApiError) -> Template:
        return await _confirm_form(request, db, code, values=form.values(),
                                   errors=FormErrors.of(err, language(request)), once=form.once,
                                   status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused,
                             flash=N_("The party organisation's confirmation of the list is recorded."))


# -- councils of enterprises and institutions under a street ---------------------------------

async def _unit_form(request: Request, db: AsyncSession, code: str, *, values: dict[str, Any], errors: FormErrors,
                     once: str, status_code: int = 200) -> Template:
    lang = language(request)
    kinds = [(key, en if lang.english else zh) for key, (zh, en) in units.UNIT_KINDS.items()]
    return await render(request, db, "council/unit_form.html", status_code=status_code, code=code,
                        region=await _region(db, code), kinds=kinds, values=values, errors=errors, once=once)


@get("/r/{code:str}/units/new", opt=dict(MANAGE), include_in_schema=False)
async def unit_new_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession]) -> Template:
    return await _unit_form(request, db, code, values={"kind": "enterprise"}, errors=FormErrors(),
                            once=new_once_token())


@post("/r/{code:str}/units/new", opt=dict(MANAGE), include_in_schema=False)
async def unit_new_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                          principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again

    async def work() -> str:
        data = typed({"name": form.text("name"), "kind": form.text("kind")}, units.UnitData)
        unit = await units.create_unit(db, code, data, actor=principal)
        return f"/r/{unit.code}/council"

    async def refused(err: ApiError) -> Template:
        return await _unit_form(request, db, code, values=form.values(), errors=FormErrors.of(err, language(request)),
                                once=form.once, status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused,
                             flash=N_("The unit's council is attached to the street."))


# -- documents on file ------------------------------------------------------------------

async def _document_form(request: Request, db: AsyncSession, code: str, *, values: dict[str, Any],
                         errors: FormErrors, once: str, status_code: int = 200) -> Template:
    lang = language(request)
    kinds = [(key, en if lang.english else zh) for key, (zh, en) in DOCUMENT_KINDS.items()]
    return await render(request, db, "council/document_form.html", status_code=status_code, code=code,
                        region=await _region(db, code), kinds=kinds, values=values, errors=errors, once=once,
                        allowed=attachments.ALLOWED_LABEL_EN if lang.english else attachments.ALLOWED_LABEL)


@get("/r/{code:str}/council/documents/new", opt=dict(MANAGE), include_in_schema=False)
async def document_new_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession]) -> Template:
    return await _document_form(request, db, code, values={}, errors=FormErrors(), once=new_once_token())


@post("/r/{code:str}/council/documents", opt=dict(MANAGE), include_in_schema=False,
      request_max_body_size=attachments.MAX_REQUEST_BYTES)
async def document_new_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                              runtime: NamedDependency[Runtime],
                              principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    # Filing is two API calls, each behind its own action: the upload's is checked here.
    if not (await get_authorizer(runtime)).allowed(principal, attachments.UPLOAD, code):
        raise forbidden()
    async def work() -> str:
        missing = [] if form.files(attachments.FIELD) else [
            FieldError(attachments.FIELD, "请选择要上传的文件", "choose a file to upload")]
        if not form.text("kind"):
            missing.append(FieldError("kind", "请选择文档类别", "choose the kind of document"))
        if missing:
            raise validation_failed(*missing)
        upload = form.files(attachments.FIELD)[0]
        attachment = await attachments.store(db, principal, code, await upload.read(), upload.filename,
                                             upload_dir=runtime.config.upload_dir)
        data = typed({**form.filled("kind", "title"), "attachment_id": attachment.id}, DocumentData)
        council = await service.ensure_council(db, code, actor=principal)
        await service.file_document(db, council, data, actor=principal)
        return f"/r/{code}/council"

    async def refused(err: ApiError) -> Template:
        errors = FormErrors.of(err, language(request))
        if "kind" in errors.fields and form.text("kind"):
            errors.fields["kind"] = language(request).gettext("Choose a kind from the list.")
        return await _document_form(request, db, code, values=form.values(), errors=errors, once=form.once,
                                    status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The document is on file."))


@post("/r/{code:str}/council/documents/{document_id:int}/withdraw", opt=dict(MANAGE), include_in_schema=False)
async def document_withdraw_submit(request: Request, code: FromPath[str], document_id: FromPath[int],
                                   db: NamedDependency[AsyncSession],
                                   principal: NamedDependency[Principal]) -> Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    # A refusal (already withdrawn) is not a field's fault: the error page says it.
    await service.withdraw_document(db, await service.existing_council(db, code), document_id, actor=principal)
    return await accepted(db, form, principal, f"/r/{code}/council", flash=N_("The document was withdrawn."))


PAGES = [council_page, member_new_page, member_new_submit, member_edit_page, member_edit_submit, member_leave_page,
         member_leave_submit, term_new_page, term_new_submit, council_edit_page, council_edit_submit,
         confirm_page, confirm_submit, unit_new_page, unit_new_submit, document_new_page, document_new_submit, document_withdraw_submit]
