"""The one guard every route passes, and the check that no route escapes it.

Each route declares its access in ``opt``:

* ``{"public": True}``: no login needed;
* ``{"action": "<action>"}``: login needed; if the path has a ``{code}``
  parameter, the caller must be allowed ``action`` at that region. A region
  the caller cannot see, one that does not exist and one in another city all
  get the same 404, so existence is never leaked; a region the caller sees
  but may not act on gets 403. Without ``{code}`` the handler restricts its
  queries with the ``region_scope`` dependency.
* ``{"action": AUTHENTICATED}``: any logged-in user (own session, own profile).

A route declaring neither makes :func:`check_every_route_declares_access`
refuse to build the app: access is denied by default, by construction.
"""
from __future__ import annotations

from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.router import Router
from sqlalchemy import select

from core.auth.principal_cache import PRINCIPALS
from core.auth.service import resolve_token
from core.auth.tokens import MAX_TOKEN_LENGTH, bearer_token, hash_token
from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.errors import FieldError, forbidden, not_found, unauthorized, validation_failed
from core.models import Region
from core.models.region import level_of_code

SESSION_COOKIE = "yishi_session"
AUTHENTICATED = "authenticated"
CODE_PARAM = "code"


def _is_openapi_handler(app: Litestar, handler: BaseRouteHandler) -> bool:
    """Litestar's own schema routes (``/schema/...``) carry no opt of ours; they are public."""
    config = app.openapi_config
    if config is None:
        return False
    schema_path = "/" + (config.path or "/schema").strip("/")
    return any(isinstance(layer, Router) and not isinstance(layer, Litestar) and layer.path == schema_path
               and layer.include_in_schema is False
               for layer in handler.ownership_layers)


def _is_automatic_options_handler(handler: BaseRouteHandler) -> bool:
    """Litestar adds an OPTIONS handler to every path; it only lists the allowed
    methods and CORS preflight requests never carry credentials."""
    fn = getattr(handler.fn, "__qualname__", "")
    return handler.fn.__module__ == "litestar.routes.http" and fn.endswith("<locals>.options_handler")


def is_public(app: Litestar, handler: BaseRouteHandler) -> bool:
    return (bool(handler.opt.get("public")) or _is_openapi_handler(app, handler)
            or _is_automatic_options_handler(handler))


def request_token(connection: ASGIConnection) -> str | None:
    """The caller's token: the Authorization header wins over the cookie."""
    return bearer_token(connection.headers.get("authorization")) or connection.cookies.get(SESSION_COOKIE) or None


def malformed_code(code: str):
    return validation_failed(FieldError(
        CODE_PARAM, f"区划代码“{code[:20]}”格式不正确，应为 4、6、9 或 12 位数字",
        f"region code '{code[:20]}' is malformed: expected 4, 6, 9 or 12 digits"))


def region_not_found():
    return not_found("区划", "region")


async def authorization_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if is_public(connection.app, handler):
        return
    action = handler.opt.get("action")
    if not action:
        # check_every_route_declares_access stops such an app from being built;
        # this is the second lock on the same door.
        raise forbidden()
    token = request_token(connection)
    if token is None:
        raise unauthorized()
    runtime = connection.app.state.runtime
    # Before our own session: loading the policy opens one too, and on SQLite
    # a second transaction inside the first would wait on its lock forever.
    authorizer = await get_authorizer(runtime)
    principal = await _principal(runtime, token)
    connection.state.principal = principal
    connection.state.auth_token = token
    code = connection.path_params.get(CODE_PARAM)
    if code is None or action == AUTHENTICATED:
        return
    code = str(code)
    if level_of_code(code) is None:
        raise malformed_code(code)
    if not authorizer.visible(principal, code):
        raise region_not_found()
    if not await _region_exists(runtime, code):
        raise region_not_found()
    if not authorizer.allowed(principal, action, code):
        raise forbidden()


async def _principal(runtime, token: str) -> Principal:
    """Who the token stands for: from the principal cache when it is fresh, else one read."""
    ttl = runtime.config.principal_cache_seconds
    known = PRINCIPALS.get(hash_token(token), ttl) if ttl > 0 and len(token) <= MAX_TOKEN_LENGTH else None
    if known is not None:
        return known
    # Only reads: on SQLite it must not queue for the write lock ahead of the request's own transaction.
    async with runtime.read_sessions() as session:
        return await resolve_token(session, token, cache_seconds=ttl)


_MAX_KNOWN_REGIONS = 100_000


async def _region_exists(runtime, code: str) -> bool:
    # Regions are never deleted (a retired one is made inactive), so a code once found in this
    # runtime's database needs no second look; bounded like the principal cache.
    known: dict[str, None] = runtime.extras.setdefault("known_regions", {})
    if code in known:
        return True
    async with runtime.read_sessions() as session:
        found = await session.scalar(select(Region.code).where(Region.code == code)) is not None
    if found:
        if len(known) >= _MAX_KNOWN_REGIONS:
            known.pop(next(iter(known)))
        known[code] = None
    return found


def check_every_route_declares_access(app: Litestar) -> None:
    """Refuse an app in which some route handler declares neither "public" nor "action"."""
    missing = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if is_public(app, handler) or handler.opt.get("action"):
                continue
            methods = ",".join(sorted(getattr(handler, "http_methods", ()) or ())) or "WS"
            missing.append(f"{methods} {route.path} ({handler.handler_name})")
    if missing:
        raise RuntimeError(
            "route handlers must declare opt={'public': True} or opt={'action': ...}: " + "; ".join(missing))


def provide_principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        # A public route asked for a principal: there is none to give.
        raise unauthorized()
    return principal


async def provide_region_scope(request: Request) -> RegionScope:
    """The caller's visible regions, narrowed to grants that permit the route's action."""
    principal = provide_principal(request)
    authorizer = await get_authorizer(request.app.state.runtime)
    action = request.route_handler.opt.get("action")
    return authorizer.scope(principal, None if action in (None, AUTHENTICATED) else action)
