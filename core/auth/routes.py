"""Login, logout and "who am I"."""
from __future__ import annotations

from dataclasses import dataclass

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import service
from core.auth.guard import AUTHENTICATED, SESSION_COOKIE
from core.authz.principal import Principal
from core.authz.roles import ROLE_LABELS
from core.models import Region
from core.runtime import Runtime


@dataclass
class LoginInput:
    username: str
    password: str


def _session_cookie(request: Request, value: str, max_age: int) -> Cookie:
    # Lax keeps the cookie off cross-site POSTs (the CSRF vector) while
    # following ordinary links into the app; httponly keeps it from scripts.
    return Cookie(key=SESSION_COOKIE, value=value, max_age=max_age, path="/", httponly=True,
                  samesite="lax", secure=request.url.scheme == "https")


@post("/auth/login", opt={"public": True}, status_code=200, summary="Log in; returns a bearer token and sets the session cookie")
async def login_route(request: Request, data: JSONBody[LoginInput], db: NamedDependency[AsyncSession],
                      runtime: NamedDependency[Runtime]) -> Response:
    result = await service.login(db, runtime.config, data.username, data.password)
    body = {
        "token": result.token,
        "expires_at": result.expires_at.isoformat(),
        "user": {"id": result.user.id, "username": result.user.username,
                 "display_name": result.user.display_name},
    }
    return Response(body, cookies=[_session_cookie(request, result.token, runtime.config.token_ttl_hours * 3600)])


@post("/auth/logout", opt={"action": AUTHENTICATED}, status_code=200, summary="Log out: revoke the current token")
async def logout_route(request: Request, db: NamedDependency[AsyncSession]) -> Response:
    await service.logout(db, request.state.auth_token)
    return Response({"ok": True}, cookies=[_session_cookie(request, "", 0)])


@get("/me", opt={"action": AUTHENTICATED}, summary="The logged-in user and the roles they hold")
async def me_route(principal: NamedDependency[Principal], db: NamedDependency[AsyncSession]) -> dict:
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
    return {
        "user": {"id": principal.user_id, "username": principal.username, "display_name": principal.display_name},
        "roles": roles,
    }


ROUTES = [login_route, logout_route, me_route]
