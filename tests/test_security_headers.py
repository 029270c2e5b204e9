"""Every answer, page, asset, API, error or health check, carries the browser security headers;
API answers are never stored by a cache (both backends)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

COMMUNITY = "330203001001"
STATIC = Path(__file__).resolve().parent.parent / "admin_ui" / "static"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXPECTED = {
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
}
CSP_DIRECTIVES = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "frame-ancestors": "'none'", "base-uri": "'self'", "form-action": "'self'",
}


@pytest.fixture
async def client(runtime, db):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "secretary", ("council_secretary", COMMUNITY))
    async with app_client(runtime) as test_client:
        yield test_client


def assert_security_headers(response, *, no_store: bool) -> None:
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value], (where, name)
    [csp] = response.headers.get_list("content-security-policy")
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    for name, value in CSP_DIRECTIVES.items():
        assert directives.get(name) == value, (where, name, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    if no_store:
        assert response.headers.get_list("cache-control") == ["no-store"], where


async def test_every_kind_of_answer_carries_the_headers(client):
    token = await login(client, "secretary")
    uploaded = await client.post(f"/api/v1/regions/{COMMUNITY}/attachments", headers=bearer(token),
                                 files={"file": ("照片.png", PNG, "image/png")})
    assert uploaded.status_code == 201, uploaded.text
    sweep = [
        ("GET", "/", {}, 200, False),
        ("GET", "/static/app.js", {}, 200, False),
        ("GET", "/static/app.css", {}, 200, False),
        ("GET", "/schema/openapi.json", {}, 200, False),
        ("GET", "/no-such-page", {}, 404, False),
        ("GET", "/healthz", {}, 200, True),
        ("GET", "/api/v1/me", {}, 401, True),
        ("GET", "/api/v1/me", bearer(token), 200, True),
        ("GET", f"/api/v1/regions/{COMMUNITY}", bearer(token), 200, True),
        ("GET", f"/api/v1/regions/{COMMUNITY}/procedure.svg", bearer(token), 200, True),
        ("GET", f"/api/v1/attachments/{uploaded.json()['id']}", bearer(token), 200, True),
        ("GET", "/api/v1/no-such-route", bearer(token), 404, True),
        ("DELETE", "/api/v1/me", bearer(token), 405, True),
        ("GET", "/api/v1/regions/12", bearer(token), 400, True),
        ("POST", "/api/v1/auth/login", {"Origin": "http://127.0.0.1:9999"}, 403, True),
        ("GET", "/api/v1/public/topics/NOSUCHCODE", {}, 404, True),
    ]
    for method, path, headers, status, no_store in sweep:
        response = await client.request(method, path, headers=headers, json={} if method == "POST" else None)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        assert_security_headers(response, no_store=no_store)


def test_the_pages_need_no_inline_script_or_style():
    """What the CSP forbids must not be in the pages, or they would break in the browser."""
    templates = sorted((STATIC.parent / "templates").rglob("*.html"))
    assert templates
    for template in templates:
        html = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline <script> in {template}"
        assert "<style" not in html and not re.search(r"\sstyle=", html), f"inline style in {template}"
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler in {template}"
    js = (STATIC / "app.js").read_text(encoding="utf-8")
    # Elements built by app.js get no style attribute and no javascript: links either.
    assert not re.search(r"""["']?style["']?\s*:""", js) and "javascript:" not in js
    assert "eval(" not in js and "new Function" not in js
