"""The request checks of :mod:`core.security` as one ASGI middleware.

It runs after routing (it needs the route's declared body type and access) and before the
guard and the handler, so a refused request opens no transaction and changes nothing.
"""
from __future__ import annotations

from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

from core.auth.guard import is_public, request_token
from core.security.content_type import UNSAFE_METHODS, check_content_type
from core.security.csrf import check_csrf


def security_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in UNSAFE_METHODS:
            request: Request = Request(scope, receive, send)
            handler = scope["route_handler"]
            # A caller without credentials at a login-only route gets the guard's 401, not
            # word of what the route would accept. Content type before CSRF: a body the route
            # would refuse is never parsed for a token.
            if is_public(request.app, handler) or request_token(request):
                check_content_type(request.method, request.headers, handler)
            await check_csrf(request, handler, secure_cookies=request.app.state.runtime.config.secure_cookies)
        await app(scope, receive, send)

    return middleware
