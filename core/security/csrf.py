"""Cross-site request forgery: a request that acts by the session cookie must come from our pages.

A browser attaches the ``yishi_session`` cookie to any request for our host, whoever's page
sends it, and cookies are not kept apart by port: a page on another port of the same host is
"same-site" and even SameSite=Lax lets its form posts carry the cookie. So an unsafe request
authenticated by that cookie must show both

* a same-origin ``Origin`` (or, when a browser sends none, ``Referer``): the page that sent it
  is ours. Origin is compared as scheme, host and port against the Host the request came to;
  with ``YISHI_SECURE_COOKIES=1`` the public scheme is https whatever the app itself sees
  behind its TLS proxy;
* the CSRF token, in the ``X-CSRF-Token`` header or, for urlencoded / multipart form posts,
  the ``_csrf`` form field, equal to the ``yishi_csrf`` cookie (double submit). The token is
  an HMAC keyed by the session token, so it changes with every login and a token planted in
  the cookie from elsewhere does not match a session it was not made from.

A request with an ``Authorization: Bearer`` header acts by that header (it wins over the
cookie), which no other site's page can set on our host: it is exempt. Public routes act for
nobody, so they are not checked, except login, which refuses a foreign Origin so another site
cannot sign a visitor in to an account of its choosing.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler

from core.auth.guard import SESSION_COOKIE, is_public
from core.auth.tokens import bearer_token
from core.errors import ApiError, FieldError
from core.security.content_type import UNSAFE_METHODS, media_type_of

CSRF_COOKIE = "yishi_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf"
# Public routes that still refuse a foreign page: they start a session.
SAME_ORIGIN_PUBLIC_PATHS = frozenset({"/api/v1/auth/login", "/login"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_FORM_TYPES = frozenset({RequestEncodingType.URL_ENCODED.value, RequestEncodingType.MULTI_PART.value})


def csrf_token_for(session_token: str) -> str:
    digest = hmac.new(session_token.encode(), b"yishi-csrf-v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_cookie(value: str, max_age: int, secure: bool) -> Cookie:
    # Readable by our scripts (not HttpOnly) so they can echo it in the header.
    return Cookie(key=CSRF_COOKIE, value=value, max_age=max_age, path="/", httponly=False,
                  samesite="lax", secure=secure)


def _origin(scheme: str, netloc: str) -> str:
    scheme, netloc = scheme.lower(), netloc.lower()
    host, sep, port = netloc.rpartition(":")
    if sep and "]" not in port and port == _DEFAULT_PORTS.get(scheme):
        netloc = host
    return f"{scheme}://{netloc}"


def own_origin(request: Request, secure_cookies: bool) -> str:
    scheme = "https" if secure_cookies else request.url.scheme
    return _origin(scheme, request.headers.get("host", ""))


def sender_origin(request: Request) -> str | None:
    """The origin of the page that sent the request; None when the browser names none."""
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value:
            parts = urlsplit(value.strip())
            if not parts.scheme or not parts.netloc:
                return "null"  # opaque ("null") or malformed: nobody's origin, never ours
            return _origin(parts.scheme, parts.netloc)
    return None


def foreign_origin() -> ApiError:
    return ApiError(403, "cross_origin_refused", "拒绝来自其他网页的请求：请在本系统页面中操作",
                    "request refused: it did not come from this site's own pages",
                    [FieldError("Origin", "请求来源（Origin/Referer）缺失或不是本站",
                                "the Origin (or Referer) header is missing or names another site")])


def token_refused() -> ApiError:
    return ApiError(403, "csrf_token_invalid", "防伪令牌（CSRF）缺失或无效，请刷新页面后重试",
                    "the CSRF token is missing or invalid; reload the page and try again",
                    [FieldError("X-CSRF-Token", "请在请求头 X-CSRF-Token（或表单字段 _csrf）中提交 yishi_csrf Cookie 的值",
                                "send the yishi_csrf cookie's value in the X-CSRF-Token header (or the _csrf form field)")])


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


async def _submitted_token(request: Request) -> str:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if media_type_of(request.headers.get("content-type")) in _FORM_TYPES:
        # Parsed once: Litestar keeps the form on the scope, so the handler reads the same one.
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request, handler: BaseRouteHandler, *, secure_cookies: bool) -> None:
    """Raise 403 when an unsafe cookie-authenticated request lacks our origin or the token."""
    if request.method not in UNSAFE_METHODS or bearer_token(request.headers.get("authorization")):
        return
    if is_public(request.app, handler):
        sender = sender_origin(request)
        if request.scope["path"] in SAME_ORIGIN_PUBLIC_PATHS and sender is not None \
                and sender != own_origin(request, secure_cookies):
            raise foreign_origin()
        return
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return  # no credentials at all: the guard answers 401
    if sender_origin(request) != own_origin(request, secure_cookies):
        raise foreign_origin()
    expected = csrf_token_for(session)
    submitted = await _submitted_token(request)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (submitted and _same(submitted, expected) and _same(cookie, expected)):
        raise token_refused()
