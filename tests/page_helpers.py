"""Driving the server-rendered pages from a test client as a browser would: log in through the
login form, then post forms with the CSRF field and the one-time token the page rendered."""
from __future__ import annotations

import re
from html import unescape
from typing import Any

from core.security.csrf import CSRF_COOKIE, CSRF_FIELD

from tests.auth_helpers import PASSWORD

ORIGIN = "http://testserver.local"
_ONCE = re.compile(r'name="_once" value="([^"]+)"')


async def page_login(client, username: str, password: str = PASSWORD) -> None:
    """Log in through ``POST /login`` (the page's form); the client keeps the cookies."""
    response = await client.post("/login", data={"username": username, "password": password, "next": "/"},
                                 headers={"Origin": ORIGIN}, follow_redirects=False)
    assert response.status_code == 303, response.text


def once_token(html: str) -> str:
    """The one-time token of the first form on a page."""
    found = _ONCE.search(html)
    assert found, "the page renders no form with a one-time token"
    return unescape(found.group(1))


async def post_form(client, url: str, fields: dict[str, Any] | list[tuple[str, Any]], *, once: str | None = None,
                    files: Any = None, csrf: bool = True):
    """POST a page's form as the browser sends it: urlencoded (multipart with ``files``), from our
    origin, with the CSRF cookie's value in ``_csrf`` and ``once`` as the one-time token."""
    items = list(fields.items()) if isinstance(fields, dict) else list(fields)
    if csrf:
        items.append((CSRF_FIELD, client.cookies.get(CSRF_COOKIE, "")))
    if once is not None:
        items.append(("_once", once))
    data: dict[str, Any] = {}
    for key, value in items:
        if key in data:
            data[key] = [*data[key], value] if isinstance(data[key], list) else [data[key], value]
        else:
            data[key] = value
    return await client.post(url, data=data, files=files, headers={"Origin": ORIGIN}, follow_redirects=False)


async def page_form(client, url: str) -> tuple[str, str]:
    """GET a page with a form; returns its HTML and its one-time token."""
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.text, once_token(response.text)
