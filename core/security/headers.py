"""Security headers on every answer the app sends.

A ``before_send`` hook rather than a route middleware: Litestar runs route middleware
only for a path that matched a route, and a 404 or 405 must carry the headers too.
"""
from __future__ import annotations

from litestar.types import Message, Scope

# No inline script or style anywhere: the pages load /static/app.js and /static/app.css
# only; data: images are the flowchart's and the browser's own icons.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
)

# Every API answer, public ones included: most name people or carry a session's view,
# and a shared cache must never hand one caller's answer to another. The health check
# is never cached either, or a proxy would report a database long since down as fine.
NO_STORE_PREFIXES = ("/api/", "/healthz")


def never_stored(path: str) -> bool:
    return path.startswith(NO_STORE_PREFIXES)


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or ())
    present = {name.lower() for name, _ in headers}
    headers.extend(header for header in SECURITY_HEADERS if header[0] not in present)
    if never_stored(scope.get("path", "")):
        headers = [(name, value) for name, value in headers if name.lower() != b"cache-control"]
        headers.append((b"cache-control", b"no-store"))
    message["headers"] = headers
