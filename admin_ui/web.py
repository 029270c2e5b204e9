"""Rendering a page: the template engine, what every template may use, and HTML answers to errors.

A page handler reads through the same services as the JSON API, in the request's one
transaction and behind the same guard (``opt={"action": ...}``), then calls :func:`render`.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Request, Response
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.i18n import Language, language_of
from core.auth.guard import SESSION_COOKIE
from core.authz.principal import Principal
from core.errors import ApiError, not_found
from core.security.csrf import CSRF_FIELD, csrf_token_for

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
CHINA = ZoneInfo("Asia/Shanghai")
FLASH_COOKIE = "yishi_flash"


def local_time(value: Any, with_time: bool = True) -> str:
    """A stored time (aware UTC, or an ISO string) as China time: 2026-11-26 19:30."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA)
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def input_time(value: Any) -> str:
    """A time as an ``<input type=datetime-local>`` value, in China time."""
    text = local_time(value)
    return text.replace(" ", "T") if text else ""


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html", "svg"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["local_time"] = local_time
    env.filters["local_date"] = lambda value: local_time(value, with_time=False)
    env.filters["input_time"] = input_time
    env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    return env


def template_config() -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(_environment()))


def language(request: Request) -> Language:
    return language_of(request.cookies)


def current_principal(request: Request) -> Principal | None:
    """The logged-in user on a page behind the guard; None on a public page."""
    return getattr(request.state, "principal", None)


async def signed_in(request: Request, db: AsyncSession) -> Principal | None:
    """On a public page, the visitor's account if their session cookie is valid (for the header)."""
    principal = current_principal(request)
    token = request.cookies.get(SESSION_COOKIE)
    if principal is None and token:
        from core.auth.service import resolve_token

        try:
            principal = await resolve_token(db, token)
        except ApiError:
            return None
        request.state.principal = principal
    return principal


def csrf_token(request: Request) -> str:
    session = request.cookies.get(SESSION_COOKIE)
    return csrf_token_for(session) if session else ""


async def unread_notifications(db: AsyncSession, principal: Principal | None) -> int:
    if principal is None:
        return 0
    from core.implementation.notify import unread_count

    return await unread_count(db, principal)


def with_query(path: str, **params: Any) -> str:
    """``path`` with the given query parameters (those that are None or "" left out)."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept, doseq=True)}" if kept else path


def _page_context(request: Request, *, unread: int, flash: str | None) -> dict[str, Any]:
    """What every template may use: ``_`` (translate), ``bi`` (pick a bilingual field), the user,
    the CSRF field, the unread count, the flash message (already translated)."""
    lang = language(request)
    return {
        "request": request,
        "lang": lang,
        "_": lang.gettext,
        "bi": lang.bilingual,
        "user": current_principal(request),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "unread": unread,
        "flash": flash,
        "path": request.url.path,
        "with_query": with_query,
    }


async def render(request: Request, db: AsyncSession | None, template: str, *, status_code: int = 200,
                 **context: Any) -> Template:
    """The page ``template`` with ``context`` and what every page uses (:func:`_page_context`)."""
    lang = language(request)
    flash = request.cookies.get(FLASH_COOKIE)
    unread = await unread_notifications(db, current_principal(request)) if db is not None else 0
    # Only a message of the catalogue: a cookie set elsewhere cannot put words on the page.
    shown = lang.gettext(flash) if flash and lang.knows(flash) else None
    base = _page_context(request, unread=unread, flash=shown)
    response = Template(template_name=template, context={**base, **context}, status_code=status_code,
                        media_type=MediaType.HTML)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def see_other(location: str, flash: str | None = None) -> Redirect:
    """Post/redirect/get: after a form is accepted the browser loads ``location`` with GET;
    ``flash`` (a msgid) is shown once there."""
    redirect = Redirect(location, status_code=303)
    if flash:
        redirect.set_cookie(FLASH_COOKIE, flash, max_age=60, path="/", httponly=True, samesite="lax")
    return redirect


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target of our own site: a path, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


# -- errors as pages -----------------------------------------------------------------


def _error_page(request: Request, err: ApiError) -> Response:
    lang = language(request)
    if err.status_code == 401:
        return Redirect(with_query("/login", next=request.url.path
                                   + (f"?{request.url.query}" if request.url.query else "")), status_code=303)
    message = err.message_en if lang.english else err.message_zh
    fields = [f.message_en if lang.english else f.message_zh for f in err.fields]
    environment = request.app.template_engine.engine  # type: ignore[union-attr]
    html = environment.get_template("error.html").render(
        **_page_context(request, unread=0, flash=None), status=err.status_code, message=message, fields=fields)
    return Response(html, status_code=err.status_code, media_type=MediaType.HTML)


def page_api_error(request: Request, exc: ApiError) -> Response:
    return _error_page(request, exc)


def page_http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotFoundException):
        return _error_page(request, not_found("页面", "page"))
    if isinstance(exc, ValidationException):
        return _error_page(request, ApiError(400, "bad_request", "地址中的参数无效", "a parameter in the address is invalid"))
    return _error_page(request, ApiError(exc.status_code, "bad_request", "请求无效", "bad request"))


PAGE_EXCEPTION_HANDLERS = {ApiError: page_api_error, HTTPException: page_http_error}
