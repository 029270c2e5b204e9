"""Administration of a region and its subtree: accounts, roles, plugins and settings, division imports.

Every page sits under ``/r/{code}/admin`` behind the guard's action at that region (``user.manage``,
``settings.read`` / ``settings.manage``, ``region.manage``), so a district admin reaches their
district and below and nothing else answers but 404. The handlers call the services the CLI and
the tenant loader call (``core.auth.users``, ``core.tenants.provenance``, ``core.regions.import_job``).
A temporary password is shown once, in the answer to the form that made it, and is stored nowhere
else: sending that form again leads to the list, not to a second password.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.forms import (NOT_THE_FORMS_FAULT, Form, FormErrors, accepted, attempt, earlier_answer,
                            new_once_token, read_form, submit_form)
from admin_ui.i18n import N_, Language
from admin_ui.web import current_principal, language, render, with_query
from core.auth import users as accounts
from core.authz.enforcer import Authorizer, get_authorizer
from core.authz.principal import Principal
from core.authz.roles import GRANT_LEVELS, ROLE_LABELS, Role
from core.errors import ApiError, FieldError, not_found, validation_failed
from core.models import Region, RoleGrant, User
from core.models.region import LEVEL_ORDER, RegionLevel, ancestor_codes, level_of_code, subtree_upper_bound
from core.plugins import SettingSpec
from core.region_context import region_context
from core.regions import import_job
from core.regions.queries import Paging
from core.runtime import Runtime
from core.tenants import provenance
from core.tenants.spec import TENANTS_DIR

USERS = {"action": accounts.MANAGE_ACTION}
SETTINGS_READ = {"action": "settings.read"}
SETTINGS_MANAGE = {"action": "settings.manage"}
REGIONS = {"action": "region.manage"}
PAGE_SIZE = 20
GRANTS_PAGE_SIZE = 50
# Regions offered in a region field's list: the region, its children and theirs (a city's streets).
_SUGGESTED_REGIONS = 400
# Four files of a few hundred thousand lines at most for one city.
IMPORT_MAX_BYTES = 64 * 1024 * 1024
_WHOLE = re.compile(r"^[+-]?\d+$")

LEVEL_LABELS = {RegionLevel.city: N_("City"), RegionLevel.district: N_("District"),
                RegionLevel.street: N_("Street or township"), RegionLevel.community: N_("Community or village")}
# The import's files, as the importer names them, each with what it lists.
IMPORT_FILES = {"cities": N_("Cities"), "areas": N_("Districts and counties"),
                "streets": N_("Streets and townships"), "villages": N_("Communities and villages")}
SECTIONS = (("users", N_("Users"), USERS["action"]), ("roles", N_("Roles"), USERS["action"]),
            ("settings", N_("Plugins and settings"), SETTINGS_READ["action"]),
            ("import", N_("Division import"), REGIONS["action"]))


# -- what every administration page shows ---------------------------------------------------

async def _region(db: AsyncSession, code: str) -> Region:
    region = await db.get(Region, code)
    if region is None:  # pragma: no cover - the guard answered 404 already
        raise not_found("区划", "region")
    return region


async def _frame(db: AsyncSession, runtime: Runtime, request: Request, code: str, section: str) -> dict[str, Any]:
    """The region, the way up (linked where the user may open the same page), the pages of this
    region the user may open, and the regions one level down."""
    principal = current_principal(request)
    authorizer = await get_authorizer(runtime)
    action = next(a for key, _label, a in SECTIONS if key == section)
    region = await _region(db, code)
    names = dict((await db.execute(select(Region.code, Region.name)
                                   .where(Region.code.in_(ancestor_codes(code))))).all())
    up = [{"code": c, "name": names.get(c, c), "link": authorizer.allowed(principal, action, c)}
          for c in reversed(ancestor_codes(code)) if c != code]
    children = list(await db.scalars(select(Region).where(Region.parent_code == code, Region.active.is_(True))
                                     .order_by(Region.code).limit(_SUGGESTED_REGIONS)))
    tabs = [{"key": key, "label": label, "href": f"/r/{code}/admin/{key}"} for key, label, a in SECTIONS
            if authorizer.allowed(principal, a, code) and (key != "import" or region.level == RegionLevel.city.value)]
    return {"code": code, "region": region, "up": up, "children": children, "tabs": tabs, "section": section,
            "level_label": LEVEL_LABELS.get(region.level_enum, "")}


def _secret(page: Template) -> Template:
    # A temporary password: no browser or proxy may keep the page.
    page.headers["cache-control"] = "no-store"
    return page


async def _try(db: AsyncSession, work):
    """``work()`` in a savepoint; a refusal that is the form's fault is returned, not raised."""
    try:
        async with attempt(db):
            return await work(), None
    except ApiError as err:
        if err.status_code in NOT_THE_FORMS_FAULT:
            raise
        return None, err


def _required(form: Form, *needed: tuple[str, str, str]) -> None:
    missing = [FieldError(name, zh, en) for name, zh, en in needed if not form.text(name)]
    if missing:
        raise validation_failed(*missing)


# -- regions and roles typed into a form --------------------------------------------------

def _role_options(region: Region, lang: Language) -> list[tuple[str, str]]:
    """The roles that may be granted somewhere at or below ``region``, each saying at which levels."""
    below = set(LEVEL_ORDER[LEVEL_ORDER.index(region.level_enum):])
    options = []
    for role, levels in GRANT_LEVELS.items():
        if not levels & below:
            continue
        zh, en = ROLE_LABELS[role]
        at = [lang.gettext(LEVEL_LABELS[level]) for level in LEVEL_ORDER if level in levels]
        where = ", ".join(a.lower() for a in at) if lang.english else "、".join(at)
        options.append((role.value, lang.gettext("%(role)s (granted at: %(levels)s)",
                                                 role=en if lang.english else zh, levels=where)))
    return options


async def _suggested_regions(db: AsyncSession, region: Region) -> list[Region]:
    """The region and the two levels below it, for the region field's list."""
    longest = {4: 9, 6: 12, 9: 12}.get(len(region.code), 12)
    return list(await db.scalars(
        select(Region).where(Region.code >= region.code, Region.code < subtree_upper_bound(region.code),
                             Region.active.is_(True), func.length(Region.code) <= longest)
        .order_by(Region.code).limit(_SUGGESTED_REGIONS)))


def _not_in_reach(typed: str, region: Region) -> ApiError:
    return validation_failed(FieldError(
        "region", f"“{typed[:40]}”不是{region.name}或其下级区划的代码或名称",
        f"'{typed[:40]}' is not the code or name of {region.name} or a region under it"))


async def _region_in_reach(db: AsyncSession, authorizer: Authorizer, principal: Principal, region: Region,
                           typed: str) -> Region:
    """The region at or under ``region`` named by its code or its exact name, where the user may manage users."""
    typed = typed.strip()
    if typed.isdigit():
        found = await db.get(Region, typed) if level_of_code(typed) is not None else None
        matches = [found] if found is not None else []
    else:
        matches = list(await db.scalars(select(Region).where(
            Region.name == typed, Region.code >= region.code, Region.code < subtree_upper_bound(region.code))
            .order_by(Region.code).limit(5)))
        if len(matches) > 1:
            raise validation_failed(FieldError(
                "region", f"“{typed}”有 {len(matches)} 个同名区划，请填写区划代码",
                f"{len(matches)} regions are called '{typed}'; enter the code instead"))
    target = matches[0] if matches else None
    if target is None or not target.active or not target.code.startswith(region.code) \
            or not authorizer.allowed(principal, USERS["action"], target.code):
        raise _not_in_reach(typed, region)
    return target


def _role_errors(err: ApiError, lang: Language, form: Form) -> FormErrors:
    errors = FormErrors.of(err, lang)
    # An unknown role can only come from an altered form; the service's message lists raw keys.
    if "role" in errors.fields and form.text("role") and form.text("role") not in Role.__members__:
        errors.fields["role"] = lang.gettext("Choose a role from the list.")
    return errors


async def _user_to_administer(db: AsyncSession, authorizer: Authorizer, principal: Principal, code: str,
                              user: User | None) -> User:
    """``user`` if they hold a role at or under ``code`` and every role they hold is in the
    administrator's reach; else the same 404 as for no such user."""
    if user is None or not any(g.region_code and g.region_code.startswith(code) for g in user.grants) \
            or not accounts.may_administer(authorizer, principal, user, USERS["action"]):
        raise not_found("用户", "user")
    return user


def _not_yourself(principal: Principal, user: User) -> None:
    if user.id == principal.user_id:
        raise ApiError(400, "own_account", "不能在此停用或重置自己的账号",
                       "you cannot disable or reset your own account here")


# -- users ------------------------------------------------------------------------------

async def _region_names(db: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict((await db.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))).all())


@get("/r/{code:str}/admin/users", opt=dict(USERS), include_in_schema=False)
async def users_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                     runtime: NamedDependency[Runtime], principal: NamedDependency[Principal],
                     page: FromQuery[int] = 1) -> Template:
    paging = Paging.checked(page, PAGE_SIZE)
    listed, total = await accounts.users_under(db, code, offset=paging.offset, limit=paging.page_size)
    authorizer = await get_authorizer(runtime)
    names = await _region_names(db, {g.region_code for u in listed for g in u.grants if g.region_code})
    rows = []
    for user in listed:
        here = [g for g in user.grants if g.region_code and g.region_code.startswith(code)]
        rows.append({
            "user": user, "self": user.id == principal.user_id,
            "manage": accounts.may_administer(authorizer, principal, user, USERS["action"]),
            "grants": [{"role_zh": ROLE_LABELS[Role(g.role)][0], "role_en": ROLE_LABELS[Role(g.role)][1],
                        "region": names.get(g.region_code, g.region_code)} for g in here],
            "elsewhere": len(user.grants) - len(here),
            "once": new_once_token()})
    return await render(request, db, "admin/users.html", **await _frame(db, runtime, request, code, "users"),
                        rows=rows, page=paging.page, page_size=paging.page_size, total=total,
                        page_url=lambda n: with_query(f"/r/{code}/admin/users", page=n))


async def _new_user_form(request: Request, db: AsyncSession, runtime: Runtime, code: str, *, values: dict[str, Any],
                         errors: FormErrors, once: str, status_code: int = 200) -> Template:
    frame = await _frame(db, runtime, request, code, "users")
    return await render(request, db, "admin/user_form.html", status_code=status_code, **frame, values=values,
                        errors=errors, once=once, roles=_role_options(frame["region"], language(request)),
                        suggested=await _suggested_regions(db, frame["region"]))


@get("/r/{code:str}/admin/users/new", opt=dict(USERS), include_in_schema=False)
async def user_new_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                        runtime: NamedDependency[Runtime]) -> Template:
    return await _new_user_form(request, db, runtime, code, values={"region": code}, errors=FormErrors(),
                                once=new_once_token())


_USERNAME_NEEDED = ("username", "请填写用户名", "the username is required")
_ROLE_NEEDED = ("role", "请选择角色", "choose a role")
_REGION_NEEDED = ("region", "请填写授予角色的区划", "enter the region the role is granted at")


@post("/r/{code:str}/admin/users/new", opt=dict(USERS), include_in_schema=False)
async def user_new_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                          runtime: NamedDependency[Runtime],
                          principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    authorizer = await get_authorizer(runtime)

    async def work() -> tuple[User, str, Region]:
        _required(form, _USERNAME_NEEDED, _ROLE_NEEDED, _REGION_NEEDED)
        role = accounts.parse_role(form.text("role"))
        target = await _region_in_reach(db, authorizer, principal, await _region(db, code), form.text("region"))
        password = accounts.temporary_password(form.text("username"))
        user = await accounts.create_user(db, form.text("username"), password, form.text("display_name"))
        await accounts.grant_role(db, user, role, target.code, actor=principal)
        return user, password, target

    done, err = await _try(db, work)
    if err is not None:
        return await _new_user_form(request, db, runtime, code, values=form.values(),
                                    errors=_role_errors(err, language(request), form), once=form.once,
                                    status_code=err.status_code)
    user, password, target = done
    await accepted(db, form, principal, f"/r/{code}/admin/users")
    role = Role(form.text("role"))
    return _secret(await render(request, db, "admin/password.html", **await _frame(db, runtime, request, code, "users"),
                                account=user, password=password, created=True, role_zh=ROLE_LABELS[role][0],
                                role_en=ROLE_LABELS[role][1], granted_at=target))


# What a confirmation page says before an account is changed for good or locked out: (heading, what follows, button).
_CONFIRMS = {
    "reset": (N_("Reset the password of %(name)s"),
              N_("A new temporary password replaces the current one, which stops working at once; every session "
                 "of the account ends."), N_("Reset the password")),
    "disable": (N_("Disable the account of %(name)s"),
                N_("The account can no longer log in and every session of it ends; its roles are kept, and it can "
                   "be enabled again."), N_("Disable the account")),
}


async def _confirm_page(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal, code: str,
                        user_id: int, change: str) -> Template:
    user = await _user_to_administer(db, await get_authorizer(runtime), principal, code, await db.get(User, user_id))
    _not_yourself(principal, user)
    heading, consequence, button = _CONFIRMS[change]
    return await render(request, db, "admin/user_confirm.html", **await _frame(db, runtime, request, code, "users"),
                        account=user, change=change, title_msgid=heading, consequence=consequence, button=button,
                        once=new_once_token())


@get("/r/{code:str}/admin/users/{user_id:int}/reset", opt=dict(USERS), include_in_schema=False)
async def user_reset_page(request: Request, code: FromPath[str], user_id: FromPath[int],
                          db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                          principal: NamedDependency[Principal]) -> Template:
    return await _confirm_page(request, db, runtime, principal, code, user_id, "reset")


@get("/r/{code:str}/admin/users/{user_id:int}/disable", opt=dict(USERS), include_in_schema=False)
async def user_disable_page(request: Request, code: FromPath[str], user_id: FromPath[int],
                            db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                            principal: NamedDependency[Principal]) -> Template:
    return await _confirm_page(request, db, runtime, principal, code, user_id, "disable")


@post("/r/{code:str}/admin/users/{user_id:int}/reset", opt=dict(USERS), include_in_schema=False)
async def user_reset_submit(request: Request, code: FromPath[str], user_id: FromPath[int],
                            db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                            principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    user = await _user_to_administer(db, await get_authorizer(runtime), principal, code, await db.get(User, user_id))
    _not_yourself(principal, user)
    password = await accounts.reset_password(db, user, actor=principal)
    await accepted(db, form, principal, f"/r/{code}/admin/users")
    return _secret(await render(request, db, "admin/password.html", **await _frame(db, runtime, request, code, "users"),
                                account=user, password=password, created=False))


async def _set_active(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal, code: str,
                      user_id: int, active: bool) -> Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    user = await _user_to_administer(db, await get_authorizer(runtime), principal, code, await db.get(User, user_id))
    _not_yourself(principal, user)
    await accounts.set_active(db, user, active, actor=principal)
    return await accepted(db, form, principal, f"/r/{code}/admin/users",
                          flash=N_("The account is enabled again.") if active else
                          N_("The account is disabled: its sessions have ended and it cannot log in."))


@post("/r/{code:str}/admin/users/{user_id:int}/disable", opt=dict(USERS), include_in_schema=False)
async def user_disable_submit(request: Request, code: FromPath[str], user_id: FromPath[int],
                              db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                              principal: NamedDependency[Principal]) -> Redirect:
    return await _set_active(request, db, runtime, principal, code, user_id, False)


@post("/r/{code:str}/admin/users/{user_id:int}/enable", opt=dict(USERS), include_in_schema=False)
async def user_enable_submit(request: Request, code: FromPath[str], user_id: FromPath[int],
                             db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                             principal: NamedDependency[Principal]) -> Redirect:
    return await _set_active(request, db, runtime, principal, code, user_id, True)


# -- roles ------------------------------------------------------------------------------

async def _roles_page(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal, code: str, *,
                      page: int, values: dict[str, Any], errors: FormErrors, once: str,
                      status_code: int = 200) -> Template:
    paging = Paging.checked(page, GRANTS_PAGE_SIZE)
    held, total = await accounts.grants_under(db, code, offset=paging.offset, limit=paging.page_size)
    frame = await _frame(db, runtime, request, code, "roles")
    rows = [{"id": h.grant.id, "user": h.user, "region_code": h.grant.region_code, "region_name": h.region_name,
             "role_zh": ROLE_LABELS[Role(h.grant.role)][0], "role_en": ROLE_LABELS[Role(h.grant.role)][1],
             "self": h.user.id == principal.user_id, "once": new_once_token()} for h in held]
    return await render(request, db, "admin/roles.html", status_code=status_code, **frame, rows=rows,
                        page=paging.page, page_size=paging.page_size, total=total,
                        page_url=lambda n: with_query(f"/r/{code}/admin/roles", page=n),
                        values=values, errors=errors, once=once,
                        roles=_role_options(frame["region"], language(request)),
                        suggested=await _suggested_regions(db, frame["region"]))


@get("/r/{code:str}/admin/roles", opt=dict(USERS), include_in_schema=False)
async def roles_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                     runtime: NamedDependency[Runtime], principal: NamedDependency[Principal],
                     page: FromQuery[int] = 1) -> Template:
    return await _roles_page(request, db, runtime, principal, code, page=page, values={"region": code},
                             errors=FormErrors(), once=new_once_token())


@post("/r/{code:str}/admin/roles", opt=dict(USERS), include_in_schema=False)
async def grant_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                       runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    authorizer = await get_authorizer(runtime)

    async def work() -> str:
        _required(form, _USERNAME_NEEDED, _ROLE_NEEDED, _REGION_NEEDED)
        username = form.text("username")
        user = await db.scalar(select(User).where(User.username == username))
        if user is None or not accounts.may_administer(authorizer, principal, user, USERS["action"]):
            # The same words for a name that does not exist and an account out of reach.
            raise validation_failed(FieldError("username", f"没有您可管理的用户“{username[:64]}”",
                                               f"no user '{username[:64]}' under your administration"))
        role = accounts.parse_role(form.text("role"))
        target = await _region_in_reach(db, authorizer, principal, await _region(db, code), form.text("region"))
        if await db.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user.id, RoleGrant.role == role.value,
                                                      RoleGrant.region_code == target.code)) is not None:
            raise validation_failed(FieldError("role", f"{username}已在{target.name}担任该角色",
                                               f"{username} already holds this role at {target.name}"))
        await accounts.grant_role(db, user, role, target.code, actor=principal)
        return f"/r/{code}/admin/roles"

    async def refused(err: ApiError) -> Template:
        return await _roles_page(request, db, runtime, principal, code, page=1, values=form.values(),
                                 errors=_role_errors(err, language(request), form), once=form.once,
                                 status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused, flash=N_("The role is granted."))


@post("/r/{code:str}/admin/roles/{grant_id:int}/revoke", opt=dict(USERS), include_in_schema=False)
async def revoke_submit(request: Request, code: FromPath[str], grant_id: FromPath[int],
                        db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                        principal: NamedDependency[Principal]) -> Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    grant = await db.get(RoleGrant, grant_id)
    authorizer = await get_authorizer(runtime)
    if grant is None or not grant.region_code or not grant.region_code.startswith(code) \
            or not authorizer.allowed(principal, USERS["action"], grant.region_code):
        raise not_found("授权", "role grant")
    if grant.user_id == principal.user_id:
        raise ApiError(400, "own_grant", "不能收回自己的角色", "you cannot revoke a role of your own")
    user = await db.get(User, grant.user_id)
    await accounts.revoke_role(db, user, grant.role, grant.region_code, actor=principal)
    return await accepted(db, form, principal, f"/r/{code}/admin/roles", flash=N_("The role is revoked."))


# -- plugins and settings -----------------------------------------------------------------

def _shown_value(value: Any, lang: Language) -> str:
    """A setting's value as a reader sees it."""
    if isinstance(value, bool):
        return lang.gettext("Yes") if value else lang.gettext("No")
    if isinstance(value, list):
        return "、".join(map(str, value)) if value else lang.gettext("(none)")
    if isinstance(value, dict):
        return "；".join(f"{k} → {v}" for k, v in value.items()) if value else lang.gettext("(none)")
    if value == "":
        return lang.gettext("(empty)")
    return str(value)


def _field_value(spec: SettingSpec, value: Any) -> Any:
    """A value as its form field holds it."""
    if spec.type in (list, dict):
        return value if spec.type is list and spec.choices else json.dumps(value, ensure_ascii=False, indent=1)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _input_kind(spec: SettingSpec) -> str:
    if spec.type is list and spec.choices:
        return "checkboxes"
    if spec.type in (list, dict):
        return "json"
    if spec.type is bool or spec.choices:
        return "select"
    if spec.type in (int, float):
        return "number"
    return "text"


def _wrong(zh: str, en: str) -> ApiError:
    return validation_failed(FieldError(provenance.VALUE_FIELD, zh, en))


def parse_value(spec: SettingSpec, form: Form) -> Any:
    """What the form typed for a setting of ``spec``, as the JSON value stored; a 400 on the field
    when it cannot be read as the setting's type (the range and choices are the service's to check)."""
    text = form.text(provenance.VALUE_FIELD)
    if spec.type is list and spec.choices:
        return form.texts(provenance.VALUE_FIELD)
    if spec.type is bool:
        if text not in ("true", "false"):
            raise _wrong("请选择“是”或“否”", "choose yes or no")
        return text == "true"
    if spec.type is int:
        if not _WHOLE.match(text):
            raise _wrong("请填写整数", "enter a whole number")
        return int(text)
    if spec.type is float:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise _wrong("请填写数字，例如 0.5", "enter a number, e.g. 0.5")
        return number
    if spec.type in (list, dict):
        example = '["a", "b"]' if spec.type is list else '{"a": "b"}'
        try:
            value = json.loads(text or ("[]" if spec.type is list else "{}"))
        except ValueError:
            value = None
        if not isinstance(value, spec.type):
            kind_zh, kind_en = ("列表", "list") if spec.type is list else ("表（对象）", "table (object)")
            raise _wrong(f"请按 JSON 格式填写{kind_zh}，例如 {example}",
                         f"enter a JSON {kind_en}, e.g. {example}")
        return value
    return text


async def _sources(db: AsyncSession, authorizer: Authorizer, principal: Principal, codes: set[str]) -> dict[str, dict]:
    names = await _region_names(db, codes)
    return {c: {"code": c, "name": names.get(c, c), "link": authorizer.allowed(principal, SETTINGS_READ["action"], c)}
            for c in codes}


@get("/r/{code:str}/admin/settings", opt=dict(SETTINGS_READ), include_in_schema=False)
async def settings_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                        runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]) -> Template:
    lang = language(request)
    host = runtime.plugins
    authorizer = await get_authorizer(runtime)
    plugins = await provenance.plugins_in_force(db, host, code)
    settings = await provenance.settings_in_force(db, host, code)
    codes = {s.source for s in settings.values() if s.source} | {p.source for p in plugins if p.source}
    sources = await _sources(db, authorizer, principal, codes)
    groups = []
    for plugin in (p for p in plugins if p.enabled and p.manifest.settings):
        rows = [{"key": s.key, "anchor": s.key.replace(".", "-"), "label_zh": s.spec.description_zh,
                 "label_en": s.spec.description_en, "value": _shown_value(s.value, lang),
                 "source": sources.get(s.source) if s.source else None, "here": s.source == code}
                for s in settings.values() if s.plugin == plugin.name]
        groups.append({"plugin": plugin, "rows": rows})
    return await render(request, db, "admin/settings.html", **await _frame(db, runtime, request, code, "settings"),
                        plugins=[{"plugin": p, "source": sources.get(p.source) if p.source else None,
                                  "here": p.source == code} for p in plugins],
                        groups=groups, manage=authorizer.allowed(principal, SETTINGS_MANAGE["action"], code))


def _spec_of(runtime: Runtime, key: str) -> SettingSpec:
    spec = runtime.plugins.setting_spec(key)
    if spec is None:
        raise not_found("设置项", "setting")
    return spec


async def _setting_form(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal, code: str,
                        key: str, *, values: dict[str, Any] | None, errors: FormErrors, once: str,
                        status_code: int = 200) -> Template:
    lang = language(request)
    spec = _spec_of(runtime, key)
    authorizer = await get_authorizer(runtime)
    here = (await provenance.settings_in_force(db, runtime.plugins, code))[key]
    parent = ancestor_codes(code)[1] if len(code) > 4 else None
    inherited = (await provenance.settings_in_force(db, runtime.plugins, parent))[key] if parent else None
    sources = await _sources(db, authorizer, principal,
                             {s.source for s in (here, inherited) if s is not None and s.source})
    manifest = runtime.plugins.manifests()[here.plugin]
    if values is None:
        values = {provenance.VALUE_FIELD: _field_value(spec, here.value)}
    # The items a catalogue setting may name, to copy their codes from.
    items = ((await region_context(db, runtime.plugins, code)).catalogue.items
             if spec.refers_to == "catalogue_item" else ())
    choices = [(str(c) if spec.type is not bool else ("true" if c else "false"), str(c)) for c in spec.choices or ()]
    if spec.type is bool and not choices:
        choices = [("true", lang.gettext("Yes")), ("false", lang.gettext("No"))]
    return await render(
        request, db, "admin/setting_form.html", status_code=status_code,
        **await _frame(db, runtime, request, code, "settings"), key=key, spec=spec, manifest=manifest,
        kind=_input_kind(spec), whole=spec.type is int, choices=choices, items=items, values=values, errors=errors,
        once=once, clear_once=new_once_token(), value=_shown_value(here.value, lang),
        source=sources.get(here.source) if here.source else None, set_here=here.source == code,
        inherited=None if inherited is None else {
            "value": _shown_value(inherited.value, lang),
            "source": sources.get(inherited.source) if inherited.source else None},
        default=_shown_value(spec.default, lang))


@get("/r/{code:str}/admin/settings/{key:str}", opt=dict(SETTINGS_MANAGE), include_in_schema=False)
async def setting_page(request: Request, code: FromPath[str], key: FromPath[str], db: NamedDependency[AsyncSession],
                       runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]) -> Template:
    return await _setting_form(request, db, runtime, principal, code, key, values=None, errors=FormErrors(),
                               once=new_once_token())


@post("/r/{code:str}/admin/settings/{key:str}", opt=dict(SETTINGS_MANAGE), include_in_schema=False)
async def setting_submit(request: Request, code: FromPath[str], key: FromPath[str], db: NamedDependency[AsyncSession],
                         runtime: NamedDependency[Runtime],
                         principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    spec = _spec_of(runtime, key)

    async def work() -> str:
        await provenance.set_setting(db, runtime.plugins, code, key, parse_value(spec, form), actor=principal)
        return f"/r/{code}/admin/settings#s-{key.replace('.', '-')}"

    async def refused(err: ApiError) -> Template:
        values = {provenance.VALUE_FIELD: form.texts(provenance.VALUE_FIELD) if _input_kind(spec) == "checkboxes"
                  else form.fields.get(provenance.VALUE_FIELD, [""])[0]}
        errors = FormErrors.of(err, language(request))
        if errors.fields:
            # The service's summary names the setting by its key; the page names it by its description.
            errors.message = ""
        return await _setting_form(request, db, runtime, principal, code, key, values=values, errors=errors,
                                   once=form.once, status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused,
                             flash=N_("The setting is saved for this region and the regions under it."))


@post("/r/{code:str}/admin/settings/{key:str}/clear", opt=dict(SETTINGS_MANAGE), include_in_schema=False)
async def setting_clear_submit(request: Request, code: FromPath[str], key: FromPath[str],
                               db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                               principal: NamedDependency[Principal]) -> Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    _spec_of(runtime, key)
    await provenance.clear_setting(db, runtime.plugins, code, key, actor=principal)
    return await accepted(db, form, principal, f"/r/{code}/admin/settings#s-{key.replace('.', '-')}",
                          flash=N_("This region now uses the inherited value."))


# -- division import --------------------------------------------------------------------

def _shipped(code: str) -> Path | None:
    """The division data shipped with the platform for the city (tenants/data/<code>), if any."""
    folder = TENANTS_DIR / "data" / code
    return folder if folder.is_dir() else None


async def _city(db: AsyncSession, code: str) -> Region:
    region = await _region(db, code)
    if region.level != RegionLevel.city.value:
        # Division data is a city's: a district has no import page.
        raise not_found("页面", "page")
    return region


async def _import_form(request: Request, db: AsyncSession, runtime: Runtime, code: str, *, values: dict[str, Any],
                       errors: FormErrors, once: str, problems: list[str] | None = None,
                       status_code: int = 200) -> Template:
    await _city(db, code)
    runs = await import_job.recent_runs(db, runtime.config.data_dir, code)
    return await render(request, db, "admin/import.html", status_code=status_code,
                        **await _frame(db, runtime, request, code, "import"), values=values, errors=errors,
                        once=once, problems=problems or [], shipped=_shipped(code) is not None, runs=runs,
                        files=list(IMPORT_FILES.items()))


@get("/r/{code:str}/admin/import", opt=dict(REGIONS), include_in_schema=False)
async def import_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                      runtime: NamedDependency[Runtime]) -> Template:
    return await _import_form(request, db, runtime, code, values={"source": "shipped" if _shipped(code) else "upload"},
                              errors=FormErrors(), once=new_once_token())


@post("/r/{code:str}/admin/import", opt=dict(REGIONS), include_in_schema=False,
      request_max_body_size=IMPORT_MAX_BYTES)
async def import_submit(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                        runtime: NamedDependency[Runtime],
                        principal: NamedDependency[Principal]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    await _city(db, code)
    data_dir = runtime.config.data_dir
    who = principal.display_name or principal.username

    async def work() -> str:
        source = form.text("source")
        if source == "shipped" and _shipped(code) is not None:
            status = await import_job.start_import(db, data_dir, code, actor=principal, started_by=who,
                                                   shipped=_shipped(code))
        elif source == "upload":
            chosen = {stem: form.files(stem) for stem in import_job.FILE_STEMS}
            missing = [FieldError(stem, f"请选择 {stem}.csv 文件", f"choose the {stem}.csv file")
                       for stem, files in chosen.items() if not files]
            if missing:
                raise validation_failed(*missing)
            uploads = {stem: await files[0].read() for stem, files in chosen.items()}
            status = await import_job.start_import(db, data_dir, code, actor=principal, started_by=who,
                                                   uploads=uploads)
        else:
            raise validation_failed(FieldError("source", "请选择数据来源", "choose where the data comes from"))
        return f"/r/{code}/admin/import/{status.run_id}"

    async def refused(err: ApiError) -> Template:
        lang = language(request)
        problems = [f.message_en if lang.english else f.message_zh for f in err.fields]
        return await _import_form(request, db, runtime, code, values=form.values(), errors=FormErrors.of(err, lang),
                                  once=form.once, problems=problems, status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused,
                             flash=N_("The data was checked; the import has started."))


async def _run(db: AsyncSession, runtime: Runtime, code: str, run_id: str) -> import_job.ImportStatus:
    status = await import_job.run_status(db, runtime.config.data_dir, run_id)
    if status is None or status.city_code != code:
        raise not_found("导入", "import")
    return status


async def _status_view(db: AsyncSession, status: import_job.ImportStatus) -> dict[str, Any]:
    levels = [{"label": LEVEL_LABELS[level], "counts": status.summary.get(level.value, {})} for level in LEVEL_ORDER]
    percent = int(100 * status.done / status.total) if status.total else (100 if status.finished else 0)
    names = await _region_names(db, set(status.retired))
    return {"status": status, "levels": levels, "totals": status.totals(), "percent": percent,
            "retired": [{"code": c, "name": names.get(c, c)} for c in status.retired]}


@get("/r/{code:str}/admin/import/{run_id:str}", opt=dict(REGIONS), include_in_schema=False)
async def import_run_page(request: Request, code: FromPath[str], run_id: FromPath[str],
                          db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime]) -> Template:
    await _city(db, code)
    status = await _run(db, runtime, code, run_id)
    return await render(request, db, "admin/import_run.html", **await _frame(db, runtime, request, code, "import"),
                        **await _status_view(db, status))


@get("/r/{code:str}/admin/import/{run_id:str}/status", opt=dict(REGIONS), include_in_schema=False)
async def import_run_status(request: Request, code: FromPath[str], run_id: FromPath[str],
                            db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime]) -> Template:
    """The progress bar and the summary alone, which the page's htmx asks for every second."""
    status = await _run(db, runtime, code, run_id)
    return await render(request, None, "admin/_import_status.html", code=code, **await _status_view(db, status))


PAGES = [users_page, user_new_page, user_new_submit, user_reset_page, user_reset_submit, user_disable_page,
         user_disable_submit, user_enable_submit,
         roles_page, grant_submit, revoke_submit, settings_page, setting_page, setting_submit, setting_clear_submit,
         import_page, import_submit, import_run_page, import_run_status]
