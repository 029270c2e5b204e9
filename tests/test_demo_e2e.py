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


def test_pages_and_their_assets_are_served_by_the_app(demo_server):
    base, _ = demo_server
    page = httpx.get(f"{base}/")
    assert page.status_code == 200 and "议事" in page.text
    # htmx comes from the npm lockfile (admin_ui/node_modules, installed by ./dev), served by the app.
    for asset in ("/static/app.js", "/static/app.css", "/static/vendor/htmx.min.js"):
        assert httpx.get(f"{base}{asset}").status_code == 200, asset
    with httpx.Client(base_url=base) as client:
        login = client.post("/login", data={"username": "ningbo_chair", "password": "yishi-demo-2026", "next": "/"},
                            headers={"Origin": base})
        assert login.status_code == 303
        home = client.get("/")
        assert "澄浪社区" in home.text and "/r/330203001001/topics" in home.text
    # Closed government networks: nothing may come from another host.
    assert "http://" not in page.text and "https://" not in page.text
