"""A running Yishi on PostgreSQL with the demo cities, and Debian's chromium driven by Playwright.

Import the fixtures into a test module (``from tests.browser_fixtures import live_server, browser``).
The server is ``yishi demo`` in a subprocess on a database of its own, started once per test
session; pages are opened in a browser context that refuses, and records, any request for a
host other than the app's own (closed government networks: nothing may come from elsewhere).
Screenshots go to ``var/screenshots/`` (git-ignored), one folder per test; ``AXE`` is axe-core from
the npm lockfile (admin_ui/node_modules).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import pg_admin, pg_url

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = REPO / "admin_ui" / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "yishi-demo-2026"
PHONE = {"width": 390, "height": 844}
OFFICE = {"width": 1366, "height": 768}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    base: str
    database: str
    env: dict[str, str]
    data_dir: Path

    def yishi(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run a ``yishi`` command against the server's database (e.g. ``jobs run``)."""
        return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=REPO, env=self.env, text=True,
                              capture_output=True, timeout=timeout)

    def sql(self, statement: str) -> str:
        """Run one SQL statement on the server's database with psql; returns its unaligned output."""
        done = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", self.database, "-At", "-v",
                               "ON_ERROR_STOP=1", "-c", statement], text=True, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("live")
    database = f"yishi_live_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{database}"')
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
    env.update(YISHI_DATA_DIR=str(data_dir), YISHI_PORT=str(port), YISHI_DATABASE_URL=pg_url(database),
               # The suite's cheap password hashes and quick worker polls (see tests/conftest.py).
               YISHI_PASSWORD_HASH_TIME_COST="1", YISHI_PASSWORD_HASH_MEMORY_KIB="8",
               YISHI_PASSWORD_HASH_PARALLELISM="1", YISHI_JOB_WORKER_POLL_MS="50")
    log = open(data_dir / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "demo", "--port", str(port)], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    try:
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the server exited early:\n{(data_dir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not come up:\n{(data_dir / 'server.log').read_text()}")
            time.sleep(0.5)
        yield LiveServer(base, database, env, data_dir)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def browser(live_server):
    # After the server: its setup calls asyncio.run, which fails inside Playwright's running loop.
    # Per module: while Playwright's sync driver is open its event loop counts as running in this
    # thread, and every asyncio test of a later module would fail to start its own.
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: ./dev test installs Debian's chromium"
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@dataclass
class Visit:
    """One person's browser: a context of its own (cookies), the requests it tried elsewhere."""

    page: object
    context: object
    base: str
    shots: Path
    offsite: list[str] = field(default_factory=list)

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def log_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.go("/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("main form button[type=submit]")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, self.page.inner_text("main")

    def log_out(self) -> None:
        self.page.click("header form[action='/logout'] button")
        self.page.wait_for_load_state()

    def no_sideways_scroll(self) -> None:
        overflow = self.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{self.page.url} scrolls sideways by {overflow}px"


def open_visit(browser, live_server: LiveServer, request, viewport: dict, name: str) -> Visit:
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    offsite: list[str] = []
    own = live_server.base

    def refuse(route_, req):
        offsite.append(req.url)
        route_.abort()

    # Only what is not the app's own (nor a data: URL) is routed: the browser matches the pattern
    # itself, so the app's pages and assets load without a round trip through this process.
    context.route(re.compile(rf"^(?!{re.escape(own)}(?:/|$)|data:)"), refuse)
    shots = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name) / name
    shots.mkdir(parents=True, exist_ok=True)
    return Visit(context.new_page(), context, own, shots, offsite)


def visible_text(html: str) -> str:
    """The text a reader sees: no tags, scripts, styles or attribute values."""
    html = re.sub(r"(?is)<(script|style|svg)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", html))


def dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
