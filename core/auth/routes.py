"""Login, logout, "who am I", changing one's password and unlocking an account."""
from __future__ import annotations

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import service, throttle
from core.auth.schemas import LoginInput, PasswordChangeInput
from core.auth.guard import AUTHENTICATED, SESSION_COOKIE
from core.auth.throttle import RetryLater
from core.auth.users import UNLOCK_ACTION, may_unlock
from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.authz.roles import ROLE_LABELS
from core.clientaddr import client_address
from core.errors import error_body, not_found, prefers_english
from core.models import Region, User
from core.runtime import Runtime
from core.security.csrf import CSRF_COOKIE, csrf_cookie, csrf_token_for


def _secure(request: Request) -> bool:
    # Behind a TLS-terminating proxy the app sees plain http: YISHI_SECURE_COOKIES forces the flag.
    return request.app.state.runtime.config.secure_cookies or request.url.scheme == "https"


def _session_cookie(request: Request, value: str, max_age: int) -> Cookie:
    # Lax keeps the cookie off cross-site POSTs (the CSRF vector) while
    # following ordinary links into the app; httponly keeps it from scripts.
    return Cookie(key=SESSION_COOKIE, value=value, max_age=max_age, path="/", httponly=True,
                  samesite="lax", secure=_secure(request))


def session_cookies(request: Request, token: str, max_age: int) -> list[Cookie]:
    """The session cookie and its CSRF token (core.security.csrf); an empty token clears both."""
    csrf = csrf_token_for(token) if token else ""
    return [_session_cookie(request, token, max_age), csrf_cookie(csrf, max_age, _secure(request))]


def _retry_later(request: Request, err: RetryLater) -> Response:
    return Response(error_body(err, prefers_english(request)), status_code=err.status_code,
                    media_type=MediaType.JSON, headers={"Retry-After": str(err.retry_after)})


_THROTTLED = {RetryLater: _retry_later}


@post("/auth/login", opt={"public": True}, status_code=200, exception_handlers=_THROTTLED,
      summary="Log in; returns a bearer token and sets the session cookie (throttled after failures)")
async def login_route(request: Request, data: JSONBody[LoginInput], runtime: NamedDependency[Runtime]) -> Response:
    # Its own transaction, not the request's: a failed attempt must be kept (see service.login_committed).
    result = await service.login_committed(runtime.sessions, runtime.config, data.username, data.password,
                                           client_address(request))
    body = {
        "token": result.token,
        "expires_at": result.expires_at.isoformat(),
        "user": {"id": result.user.id, "username": result.user.username,
                 "display_name": result.user.display_name},
    }
    return Response(body, cookies=session_cookies(request, result.token, runtime.config.token_ttl_hours * 3600))


@post("/auth/logout", opt={"action": AUTHENTICATED}, status_code=200, summary="Log out: revoke the current token")
async def logout_route(request: Request, db: NamedDependency[AsyncSession]) -> Response:
    await service.logout(db, request.state.auth_token)
    return Response({"ok": True}, cookies=session_cookies(request, "", 0))


@get("/me", opt={"action": AUTHENTICATED}, summary="The logged-in user and the roles they hold")
async def me_route(request: Request, principal: NamedDependency[Principal],
                   db: NamedDependency[AsyncSession]) -> Response:
    codes = {code for _, code in principal.grants if code}
    names: dict[str, tuple[str, str]] = {}
    if codes:
        result = await db.execute(select(Region.code, Region.name, Region.level).where(Region.code.in_(codes)))
        names = {code: (name, level) for code, name, level in result}
    roles = []
    for role, code in principal.grants:
        zh, en = ROLE_LABELS[role]
        name, level = names.get(code, (None, None)) if code else (None, None)
        roles.append({"role": role.value, "label_zh": zh, "label_en": en,
                      "region_code": code, "region_name": name, "region_level": level})
    token = request.state.auth_token
    csrf = csrf_token_for(token)
    body = {
        "user": {"id": principal.user_id, "username": principal.username, "display_name": principal.display_name},
        "roles": roles,
        # What the pages echo in X-CSRF-Token (core.security.csrf).
        "csrf_token": csrf,
    }
    cookies = []
    if request.cookies.get(SESSION_COOKIE) == token and request.cookies.get(CSRF_COOKIE) != csrf:
        # A session from before the CSRF cookie existed, or a lost cookie: hand it out again.
        ttl = request.app.state.runtime.config.token_ttl_hours * 3600
        cookies.append(csrf_cookie(csrf, ttl, _secure(request)))
    return Response(body, cookies=cookies)


@post("/me/password", opt={"action": AUTHENTICATED}, status_code=200, exception_handlers=_THROTTLED,
      summary="Change one's own password; ends every other session of the user")
async def change_password_route(request: Request, data: JSONBody[PasswordChangeInput],
                                principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> dict:
    revoked = await service.change_password(runtime.sessions, principal, request.state.auth_token,
                                            data.current_password, data.new_password, client_address(request))
    return {"ok": True, "other_sessions_revoked": revoked}


@post("/users/{username:str}/unlock", opt={"action": UNLOCK_ACTION}, status_code=200,
      summary="Lift the login delay or lock of an account (platform admin; city admin within their city)")
async def unlock_route(username: FromPath[str], principal: NamedDependency[Principal], db: NamedDependency[AsyncSession],
                       runtime: NamedDependency[Runtime]) -> dict:
    user = await db.scalar(select(User).where(User.username == username))
    if user is None or not may_unlock(await get_authorizer(runtime), principal, user):
        # The same answer for a name that does not exist and one out of reach.
        raise not_found("用户", "user")
    was_locked = await throttle.unlock(db, username, actor=principal)
    return {"username": username, "was_locked": was_locked}


ROUTES = [login_route, logout_route, me_route, change_password_route, unlock_route]
