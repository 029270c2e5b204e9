"""README command 1, for real: ``yishi demo`` in a subprocess on a fresh
SQLite database, driven over HTTP like a city's staff would."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
    env.update(YISHI_DATA_DIR=str(data_dir), YISHI_PORT=str(port))
    log = open(data_dir / "demo.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "demo"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"demo exited early:\n{(data_dir / 'demo.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError(f"demo did not come up:\n{(data_dir / 'demo.log').read_text()}")
        yield base, data_dir
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_demo_serves_four_cities_with_healthy_database_and_broker(demo_server):
    base, data_dir = demo_server
    health = httpx.get(f"{base}/healthz").json()
    assert health["status"] == "ok"
    assert health["database"]["status"] == "ok"
    assert health["broker"]["status"] == "ok"
    output = (data_dir / "demo.log").read_text()
    assert f"http://127.0.0.1:{base.rsplit(':', 1)[1]}" in output
    for username in ("ningbo_admin", "tianshui_admin", "lianyungang_admin", "jinchang_admin"):
        assert username in output


def test_ningbo_admin_lists_ten_districts_and_cannot_see_tianshui(demo_server):
    base, _ = demo_server
    with httpx.Client(base_url=base) as client:
        login = client.post("/api/v1/auth/login", json={"username": "ningbo_admin", "password": "yishi-demo-2026"})
        assert login.status_code in (200, 201), login.text
        token = login.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        children = client.get("/api/v1/regions/3302/children", headers=headers).json()
        assert children["total"] == 10
        assert {r["level"] for r in children["items"]} == {"district"}
        other_city = client.get("/api/v1/regions/6205", headers=headers)
        assert other_city.status_code == 404
        # The cookie alone (what the web pages use) works too.
        assert client.get("/api/v1/me").status_code == 200


def test_pages_are_served_locally(demo_server):
    base, _ = demo_server
    page = httpx.get(f"{base}/")
    assert page.status_code == 200 and "议事" in page.text
    for asset in ("/static/app.js", "/static/app.css"):
        assert httpx.get(f"{base}{asset}").status_code == 200
    # Closed government networks: nothing may come from another host.
    assert "http://" not in page.text and "https://" not in page.text


# -- the web pages in a real browser (Debian's chromium driven by Playwright) ---------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: ./dev test installs Debian's chromium"
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "yishi-demo-2026")
    page.click("#login-form button[type=submit]")


def test_a_council_chair_sees_the_council_topics_standards_and_procedure_in_chinese(demo_server, browser, tmp_path):
    base, _ = demo_server
    page = browser.new_page()
    offsite: list[str] = []
    page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(base) else None)
    _log_in(page, base, "ningbo_chair")
    council = page.locator("#panel-council")
    council.locator("table tbody tr").first.wait_for()
    # The demo council: a full "1+7+X" roster of the current term, in Chinese.
    assert council.locator("table tbody tr").count() >= 20
    assert "党组织书记" in council.inner_text() and "议事场所" in council.inner_text()
    assert "召集人" in council.inner_text() and "chair" not in council.inner_text()
    standards = page.locator("#panel-standards")
    standards.locator("h4").first.wait_for()
    assert "五个有" in standards.inner_text() and "已达" in standards.inner_text()
    # The flowchart is drawn by the app from the region's procedure, and it loads.
    page.wait_for_function("() => { const i = document.querySelector('#panel-procedure img');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    topics = page.locator("#panel-topics table tbody tr")
    topics.first.wait_for()
    assert topics.count() >= 5
    topics.first.locator("a").click()
    page.locator("ol.history li").first.wait_for()
    assert "submit" in page.locator("ol.history").inner_text()
    page.screenshot(path=str(tmp_path / "topic.png"), full_page=True)
    assert offsite == [], offsite


def test_the_pages_switch_to_english_on_request(demo_server, browser):
    base, _ = demo_server
    page = browser.new_page()
    _log_in(page, base, "jinchang_admin")
    page.locator("#grants button").first.wait_for()
    page.click("#lang")
    page.locator("h1:has-text('My regions')").wait_for()
    assert page.locator("#logout").inner_text() == "Sign out"
    page.locator("#region h2:has-text('· city')").wait_for()
    assert page.locator("#region h2").first.inner_text() == "金昌市 · 6203 · city"
