"""Logging in and out of the pages, and the language switch."""
from __future__ import annotations

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.forms import FormErrors, read_form
from admin_ui.i18n import LANGUAGE_COOKIE, LANGUAGES
from admin_ui.web import language, render, safe_next, see_other
from core.auth import service
from core.auth.guard import AUTHENTICATED
from core.auth.routes import session_cookies
from core.clientaddr import client_address
from core.errors import ApiError, FieldError, validation_failed
from core.runtime import Runtime

# A year: the choice of language is a preference, not a session.
LANGUAGE_MAX_AGE = 365 * 24 * 3600


@get("/login", opt={"public": True}, include_in_schema=False)
async def login_page(request: Request, next: FromQuery[str | None] = None) -> Template:
    return await render(request, None, "login.html", next=safe_next(next), values={}, errors=FormErrors())


@post("/login", opt={"public": True}, include_in_schema=False)
async def login_submit(request: Request, runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    target = safe_next(form.text("next"))
    username, password = form.text("username"), form.fields.get("password", [""])[0]
    try:
        missing = [FieldError(name, f"请填写{zh}", f"{en} is required")
                   for name, value, zh, en in (("username", username, "用户名", "the user name"),
                                               ("password", password, "密码", "the password")) if not value]
        if missing:
            raise validation_failed(*missing)
        # Its own transaction, as the API's login: a failed attempt must be kept.
        result = await service.login_committed(runtime.sessions, runtime.config, username, password,
                                               client_address(request))
    except ApiError as err:
        return await render(request, None, "login.html", status_code=err.status_code, next=target,
                            values={"username": username}, errors=FormErrors.of(err, language(request)))
    redirect = see_other(target)
    for cookie in session_cookies(request, result.token, runtime.config.token_ttl_hours * 3600):
        redirect.cookies.append(cookie)
    return redirect


@post("/logout", opt={"action": AUTHENTICATED}, include_in_schema=False)
async def logout_submit(request: Request, db: NamedDependency[AsyncSession]) -> Redirect:
    await service.logout(db, request.state.auth_token)
    redirect = see_other("/")
    for cookie in session_cookies(request, "", 0):
        redirect.cookies.append(cookie)
    return redirect


@get("/lang/{choice:str}", opt={"public": True}, include_in_schema=False)
async def switch_language(choice: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:
    redirect = Redirect(safe_next(next), status_code=303)
    if choice in LANGUAGES:
        redirect.set_cookie(LANGUAGE_COOKIE, choice, max_age=LANGUAGE_MAX_AGE, path="/", samesite="lax")
    return redirect


PAGES = [login_page, login_submit, logout_submit, switch_language]
