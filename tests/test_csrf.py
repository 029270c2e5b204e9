"""CSRF and body encoding on both backends: a change made by the session cookie needs our own
Origin and the double-submitted token; a JSON route takes only JSON; a bearer token is exempt."""
from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from core.app import create_app
from core.models import Topic
from core.models.attachment import Attachment
from core.runtime import Runtime
from core.security.csrf import CSRF_COOKIE, csrf_token_for
from tests.auth_helpers import PASSWORD, app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

COMMUNITY = "330203001001"  # 青石社区
OPEN_DOOR = "330203001001"
TOPICS = f"/api/v1/regions/{COMMUNITY}/topics"
TOPIC = {"title": "楼道堆物清理", "description": "5 号楼楼道堆满杂物", "channel": "member",
         "scale": "minor", "category": "generic.yi.6"}
# The test client's own origin, and the attacker's: another port of the same host, then another host.
OURS = "http://testserver.local"
FOREIGN = ("http://testserver.local:9999", "http://127.0.0.1:9999", "null")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def people(db):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "chair", ("council_chair", COMMUNITY))
    await make_user(db, "secretary", ("council_secretary", COMMUNITY))


@pytest.fixture
async def client(runtime, people):
    async with app_client(runtime) as test_client:
        yield test_client


async def cookie_login(client, username: str) -> str:
    """Log in the way the pages do, keep the cookies; the CSRF token the pages would echo."""
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD},
                                 headers={"Origin": OURS})
    assert response.status_code == 200, response.text
    return client.cookies[CSRF_COOKIE]


async def count(db, model) -> int:
    await db.rollback()  # a fresh snapshot: the app committed in its own connection
    return await db.scalar(select(func.count()).select_from(model))


async def test_a_cookie_post_without_the_token_is_refused_and_creates_nothing(db, client):
    await cookie_login(client, "chair")
    refused = await client.post(TOPICS, json=TOPIC, headers={"Origin": OURS})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "csrf_token_invalid"
    assert "CSRF" in error["message_zh"] and "CSRF token" in error["message_en"]
    assert error["fields"][0]["field"] == "X-CSRF-Token"
    wrong = await client.post(TOPICS, json=TOPIC, headers={"Origin": OURS, "X-CSRF-Token": "guessed"})
    assert wrong.status_code == 403
    assert await count(db, Topic) == 0


async def test_a_cookie_post_from_another_origin_is_refused_even_with_the_token(db, client):
    token = await cookie_login(client, "chair")
    for origin in FOREIGN:
        refused = await client.post(TOPICS, json=TOPIC, headers={"Origin": origin, "X-CSRF-Token": token})
        assert refused.status_code == 403, origin
        assert refused.json()["error"]["code"] == "cross_origin_refused"
        assert refused.json()["error"]["fields"][0]["field"] == "Origin"
    # No Origin and a Referer from elsewhere, or neither header at all: refused the same.
    elsewhere = await client.post(TOPICS, json=TOPIC, headers={"Referer": "http://127.0.0.1:9999/attack.html",
                                                               "X-CSRF-Token": token})
    assert elsewhere.status_code == 403
    anonymous_page = await client.post(TOPICS, json=TOPIC, headers={"X-CSRF-Token": token})
    assert anonymous_page.status_code == 403
    assert await count(db, Topic) == 0


async def test_a_text_plain_form_body_is_never_read_as_json(db, client):
    token = await cookie_login(client, "chair")
    # What <form enctype="text/plain"> sends: a JSON-looking body, text/plain.
    forged = '{"title": "伪造议题", "channel": "member", "x": "=1"}'
    attack = await client.post(TOPICS, content=forged, headers={"Content-Type": "text/plain",
                                                               "Origin": "http://testserver.local:9999"})
    assert attack.status_code in (403, 415)
    # Even from our own page with the token, text/plain is not JSON.
    ours = await client.post(TOPICS, content=forged, headers={"Content-Type": "text/plain", "Origin": OURS,
                                                             "X-CSRF-Token": token})
    assert ours.status_code == 415
    error = ours.json()["error"]
    assert error["code"] == "unsupported_media_type" and error["fields"][0]["field"] == "Content-Type"
    assert "application/json" in error["message_zh"] and "application/json" in error["message_en"]
    # A bearer caller gets the same answer: the encoding rule is not a CSRF rule.
    client.cookies.clear()
    api = bearer(await login(client, "chair"))
    assert (await client.post(TOPICS, content=forged, headers={**api, "Content-Type": "text/plain"})).status_code == 415
    form = await client.post(TOPICS, data={"title": "表单议题", "channel": "member"}, headers=api)
    assert form.status_code == 415
    assert await count(db, Topic) == 0


async def test_the_token_and_our_origin_let_the_cookie_post_through(db, client):
    token = await cookie_login(client, "chair")
    created = await client.post(TOPICS, json=TOPIC, headers={"Origin": OURS, "X-CSRF-Token": token})
    assert created.status_code == 201, created.text
    # A browser that sends no Origin still sends our Referer (Referrer-Policy: same-origin).
    by_referer = await client.post(TOPICS, json=TOPIC, headers={"Referer": f"{OURS}/", "X-CSRF-Token": token})
    assert by_referer.status_code == 201, by_referer.text
    # The explicit default port is the same origin.
    with_port = await client.post(TOPICS, json=TOPIC, headers={"Origin": f"{OURS}:80", "X-CSRF-Token": token})
    assert with_port.status_code == 201, with_port.text
    assert await count(db, Topic) == 3


async def test_the_token_belongs_to_its_session(db, client):
    theirs = await cookie_login(client, "secretary")
    mine = await cookie_login(client, "chair")
    assert mine != theirs and mine == csrf_token_for(client.cookies["yishi_session"])
    # Another session's token (and cookie) is no good for this one.
    client.cookies.set(CSRF_COOKIE, theirs)
    refused = await client.post(TOPICS, json=TOPIC, headers={"Origin": OURS, "X-CSRF-Token": theirs})
    assert refused.status_code == 403
    # The cookie must match too: a header alone (double submit) is not enough.
    client.cookies.delete(CSRF_COOKIE)
    assert (await client.post(TOPICS, json=TOPIC, headers={"Origin": OURS, "X-CSRF-Token": mine})).status_code == 403
    assert await count(db, Topic) == 0


async def test_me_hands_out_the_token_and_restores_a_missing_cookie(db, client):
    token = await cookie_login(client, "chair")
    me = await client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["csrf_token"] == token
    assert "set-cookie" not in me.headers
    # A session whose CSRF cookie is gone (older login, cleared cookie) gets it back from /me.
    client.cookies.delete(CSRF_COOKIE)
    again = await client.get("/api/v1/me")
    assert CSRF_COOKIE in again.headers["set-cookie"] and "HttpOnly" not in again.headers["set-cookie"]
    assert client.cookies[CSRF_COOKIE] == token
    assert (await client.post(TOPICS, json=TOPIC, headers={"Origin": OURS, "X-CSRF-Token": token})).status_code == 201


async def test_a_bearer_post_needs_no_csrf_token(db, client):
    api = bearer(await login(client, "chair"))
    created = await client.post(TOPICS, json=TOPIC, headers=api)
    assert created.status_code == 201, created.text
    # Another site's page cannot set Authorization on our host, so its Origin does not matter.
    also = await client.post(TOPICS, json=TOPIC, headers={**api, "Origin": "http://127.0.0.1:9999"})
    assert also.status_code == 201
    assert await count(db, Topic) == 2


async def test_logout_by_cookie_needs_the_token(db, client):
    token = await cookie_login(client, "chair")
    forged = await client.post("/api/v1/auth/logout", headers={"Origin": "http://127.0.0.1:9999"})
    assert forged.status_code == 403
    assert (await client.get("/api/v1/me")).status_code == 200
    out = await client.post("/api/v1/auth/logout", headers={"Origin": OURS, "X-CSRF-Token": token})
    assert out.status_code == 200
    assert CSRF_COOKIE not in client.cookies
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_login_refuses_a_foreign_page_but_not_an_api_client(db, client):
    for origin in FOREIGN:
        refused = await client.post("/api/v1/auth/login", json={"username": "chair", "password": PASSWORD},
                                    headers={"Origin": origin})
        assert refused.status_code == 403, origin
        assert refused.json()["error"]["message_en"].startswith("request refused")
        assert "set-cookie" not in refused.headers
    # A script or a server-side client names no Origin: it logs in for a bearer token.
    plain = await client.post("/api/v1/auth/login", json={"username": "chair", "password": PASSWORD})
    assert plain.status_code == 200
    # A login form posted as text/plain is refused too.
    text = await client.post("/api/v1/auth/login", content='{"username": "chair", "password": "x"}',
                             headers={"Content-Type": "text/plain"})
    assert text.status_code == 415


async def test_the_residents_door_takes_other_origins_but_only_json(db, client):
    door = f"/api/v1/public/regions/{OPEN_DOOR}/topics"
    body = {"title": "小区路灯不亮", "description": "3 号楼前路灯坏了两个月", "scale": "minor",
            "category": "generic.yi.6", "proposer_name": "李大爷", "proposer_contact": "13912345678"}
    # A community's own website may host the form: another origin is fine on a public route.
    submitted = await client.post(door, json=body, headers={"Origin": "http://shequ.example.cn"})
    assert submitted.status_code == 201, submitted.text
    plain = await client.post(door, content='{"title": "x"}', headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    assert await count(db, Topic) == 1


async def test_a_cookie_upload_carries_the_token_as_a_form_field(db, client, config):
    token = await cookie_login(client, "secretary")
    upload = f"/api/v1/regions/{COMMUNITY}/attachments"
    refused = await client.post(upload, files={"file": ("照片.png", PNG, "image/png")}, headers={"Origin": OURS})
    assert refused.status_code == 403
    assert await count(db, Attachment) == 0
    stored = await client.post(upload, files={"file": ("照片.png", PNG, "image/png")}, data={"_csrf": token},
                               headers={"Origin": OURS})
    assert stored.status_code == 201, stored.text
    by_header = await client.post(upload, files={"file": ("照片.png", PNG, "image/png")},
                                  headers={"Origin": OURS, "X-CSRF-Token": token})
    assert by_header.status_code == 201, by_header.text
    # The upload route keeps taking multipart and nothing else.
    json_upload = await client.post(upload, json={"file": "x"}, headers={"Origin": OURS, "X-CSRF-Token": token})
    assert json_upload.status_code == 415
    assert await count(db, Attachment) == 2


@pytest.mark.parametrize("secure", [False, True])
async def test_secure_cookies_setting_forces_the_secure_flag(runtime, people, secure):
    app_runtime = Runtime.build(replace(runtime.config, secure_cookies=secure), plugins=runtime.plugins)
    async with AsyncTestClient(app=create_app(app_runtime)) as client:
        response = await client.post("/api/v1/auth/login", json={"username": "chair", "password": PASSWORD})
        assert response.status_code == 200
        cookies = response.headers.get_list("set-cookie")
        assert {c.split("=", 1)[0] for c in cookies} == {"yishi_session", CSRF_COOKIE}
        for cookie in cookies:
            assert ("Secure" in cookie) is secure, cookie
            assert "samesite=lax" in cookie.lower()
        assert "HttpOnly" in next(c for c in cookies if c.startswith("yishi_session="))
        assert "HttpOnly" not in next(c for c in cookies if c.startswith(CSRF_COOKIE))
        if secure:
            # Behind the TLS proxy the public origin is https, whatever scheme the app sees.
            session, token = response.json()["token"], csrf_token_for(response.json()["token"])
            jar = {"Cookie": f"yishi_session={session}; {CSRF_COOKIE}={token}", "X-CSRF-Token": token}
            plain = await client.post(TOPICS, json=TOPIC, headers={**jar, "Origin": OURS})
            assert plain.status_code == 403
            tls = await client.post(TOPICS, json=TOPIC, headers={**jar, "Origin": "https://testserver.local"})
            assert tls.status_code == 201, tls.text


# -- the attack from the issue, in a real browser ---------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ATTACK_PAGE = """<!doctype html><meta charset="utf-8"><title>attack</title>
<form id="plain" method="POST" action="{topics}" enctype="text/plain">
<input name='{{"title": "伪造议题", "channel": "member", "x": "' value='"}}'></form>
<script>
// Cookies are not kept apart by port: this page can read the CSRF cookie of the app.
const token = (document.cookie.split("; ").find((c) => c.startsWith("yishi_csrf=")) || "=").split("=")[1];
const upload = new FormData();
upload.append("_csrf", token);
upload.append("file", new Blob([new Uint8Array({png})], {{type: "image/png"}}), "forged.png");
fetch("{uploads}", {{method: "POST", mode: "no-cors", credentials: "include", body: upload}})
  .finally(() => fetch("{topics}", {{method: "POST", mode: "no-cors", credentials: "include",
                                     headers: {{"Content-Type": "text/plain"}},
                                     body: JSON.stringify({{title: "伪造议题二", channel: "member"}})}}))
  .finally(() => {{ document.title = "sent:" + token.length; document.getElementById("plain").submit(); }});
</script>"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_app(runtime, people):
    """The app served over real HTTP on the test's database, as ``yishi serve`` would."""
    import threading
    import time

    import uvicorn

    app = create_app(Runtime.build(runtime.config, plugins=runtime.plugins))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def attacker(live_app):
    """Another server on the same host, another port: the page from the issue."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    page = ATTACK_PAGE.format(topics=f"{live_app}{TOPICS}", uploads=f"{live_app}/api/v1/regions/{COMMUNITY}/attachments",
                              png=list(PNG)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/attack.html"
    server.shutdown()
    server.server_close()


def test_a_page_on_another_port_cannot_act_as_the_logged_in_chair(live_app, attacker, config):
    import httpx
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: ./dev test installs Debian's chromium"
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            refused_by_csp: list[str] = []
            page.on("console", lambda m: refused_by_csp.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{live_app}/login")
            page.fill("input[name=username]", "chair")
            page.fill("input[name=password]", PASSWORD)
            page.click("main form button[type=submit]")
            logout = page.locator("header form[action='/logout'] button")
            logout.wait_for(state="visible")
            session = next(c["value"] for c in context.cookies() if c["name"] == "yishi_session")

            evil = context.new_page()
            evil.goto(attacker)
            evil.wait_for_url(f"{live_app}{TOPICS}", timeout=15000)
            # The form post landed on the app, with the chair's cookies, and was refused.
            assert '"code":"unsupported_media_type"' in evil.content() or "cross_origin" in evil.content()

            api = httpx.get(f"{live_app}{TOPICS}", headers={"Authorization": f"Bearer {session}"})
            assert api.status_code == 200 and api.json()["total"] == 0, api.text
            uploads = Path(config.upload_dir)
            assert not uploads.exists() or not [p for p in uploads.rglob("*") if p.is_file()]

            # The app's own page still changes things by the cookie: logging out revokes the session.
            logout.click()
            page.locator("header a[href^='/login']").wait_for(state="visible")
            assert httpx.get(f"{live_app}/api/v1/me",
                             headers={"Authorization": f"Bearer {session}"}).status_code == 401
            assert refused_by_csp == []
        finally:
            browser.close()
