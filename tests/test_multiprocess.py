"""Several processes on one PostgreSQL and one Redis, as a deployment runs them: ``yishi serve
--workers 2``, two ``yishi worker`` and one ``yishi scheduler``, each a process of its own, and a
topic walked from submission to its closing through them, the notice closed by a worker."""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from core import clock
from tests.conftest import pg_admin, pg_url
from tests.walk import RESEARCH, meeting, resolution

REPO = Path(__file__).resolve().parent.parent
COMMUNITY = "620502001001"  # 进步巷社区, Tianshui: 三段六步
PASSWORD = "yishi-demo-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.TransportError, OSError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """A private Redis (its own port, so no other test's queues are touched), a fresh database with
    the demo cities, and the processes of a deployment; stopped and dropped afterwards."""
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is missing (Debian package redis-server)"
    data_dir = tmp_path_factory.mktemp("deployment")
    redis_port, app_port = _free_port(), _free_port()
    database = f"yishi_multi_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{database}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
    env.update(YISHI_DATABASE_URL=pg_url(database), YISHI_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
               YISHI_DATA_DIR=str(data_dir), YISHI_PASSWORD_HASH_TIME_COST="1", YISHI_PASSWORD_HASH_MEMORY_KIB="8",
               YISHI_PASSWORD_HASH_PARALLELISM="1", YISHI_JOB_WORKER_POLL_MS="50")
    processes: list[subprocess.Popen] = []
    logs = []

    def start(name: str, *args: str) -> subprocess.Popen:
        log = open(data_dir / f"{name}.log", "w")
        logs.append(log)
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append(proc)
        return proc

    yishi = [sys.executable, "-m", "core.cli"]
    try:
        start("redis", redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no")
        provisioned = subprocess.run([*yishi, "demo", "--no-serve"], cwd=REPO, env=env, capture_output=True,
                                     text=True, timeout=300)
        assert provisioned.returncode == 0, provisioned.stdout + provisioned.stderr
        server = start("serve", *yishi, "serve", "--workers", "2", "--port", str(app_port))
        for n in (1, 2):
            start(f"worker{n}", *yishi, "worker")
        start("scheduler", *yishi, "scheduler")
        base = f"http://127.0.0.1:{app_port}"
        _wait(lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200, "the app processes")
        yield {"base": base, "env": env, "database": database, "server": server, "data_dir": data_dir}
    finally:
        for proc in reversed(processes):
            proc.terminate()
        for proc in processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()
        pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def _sql(database: str, statement: str) -> str:
    done = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atc", statement],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_topic_walks_to_its_end_through_two_app_processes_and_two_workers(deployment):
    base, env = deployment["base"], deployment["env"]
    # uvicorn's supervisor and its two app processes (plus multiprocessing's resource tracker).
    assert len([c for c in _children(deployment["server"].pid)
                if "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()]) == 2
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as api:
        def login(username: str) -> dict[str, str]:
            answer = api.post("/auth/login", json={"username": username, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            api.cookies.clear()
            return {"Authorization": f"Bearer {answer.json()['token']}"}

        chair, secretary = login("tianshui_chair"), login("tianshui_secretary")

        def act(headers, topic_id: int, action: str, **payload) -> dict:
            answer = api.post(f"/topics/{topic_id}/actions/{action}", json=payload, headers=headers)
            assert answer.status_code == 200, f"{action}: {answer.text}"
            return answer.json()

        submitted = api.post(f"/public/regions/{COMMUNITY}/topics",
                             json={"title": "多进程部署下的路灯议题", "description": "三号楼前路灯不亮"})
        assert submitted.status_code == 201, submitted.text
        topic_id = submitted.json()["topic_id"]
        act(secretary, topic_id, "admit", catalogue_item="tianshui.yi.1")
        act(chair, topic_id, "confirm")
        act(secretary, topic_id, "record_research", **RESEARCH)
        act(secretary, topic_id, "schedule_meeting", **meeting())
        meeting_id = api.get(f"/topics/{topic_id}", headers=secretary).json()["meetings"][-1]["id"]
        invited = [{"member_id": p["member_id"]}
                   for p in api.get(f"/meetings/{meeting_id}", headers=secretary).json()["participants"]
                   if p["invited"] and p["member_id"] is not None]
        assert api.post(f"/meetings/{meeting_id}/attendance", json={"present": invited},
                        headers=secretary).status_code == 200
        voted = api.post(f"/meetings/{meeting_id}/votes", headers=secretary, json={
            "topic_id": topic_id, "tallies": {"for": len(invited)}, "resolution": "更换灯具两盏"})
        assert voted.status_code == 200, voted.text
        deadline = (clock.today() + timedelta(days=20)).isoformat()
        published = act(secretary, topic_id, "record_resolution", **resolution())
        [notice] = [n for n in published["notices"] if n["status"] == "open"]

        # The period ends (moved into the past in the database), and the expiry job runs on a worker.
        _sql(deployment["database"], f"UPDATE notices SET closes_at = now() - interval '1 minute' "
                                     f"WHERE id = {notice['id']}")
        _sql(deployment["database"], "UPDATE topics SET timers = jsonb_set(timers::jsonb, '{notice}', "
                                     "to_jsonb(to_char((now() - interval '1 minute') AT TIME ZONE 'UTC', "
                                     "'YYYY-MM-DD\"T\"HH24:MI:SS+00:00')))::json "
                                     f"WHERE id = {topic_id}")
        ran = subprocess.run([sys.executable, "-m", "core.cli", "jobs", "run", "notices.close_expired"], cwd=REPO,
                             env=env, capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert _sql(deployment["database"], f"SELECT status FROM notices WHERE id = {notice['id']}") == "closed"

        act(chair, topic_id, "confirm_results")
        task = api.post(f"/topics/{topic_id}/tasks", headers=secretary, json={
            "title": "更换路灯", "responsible_name": "进步巷物业", "deadline": deadline})
        assert task.status_code == 201, task.text
        done = api.post(f"/tasks/{task.json()['id']}/complete", headers=secretary,
                        json={"note": "已更换", "close_topic": True})
        assert done.status_code == 200 and done.json()["topic_status"] == "closed", done.text

        # Every request above was answered by one of the two processes; both saw the same data.
        views = [api.get(f"/topics/{topic_id}", headers=chair).json() for _ in range(6)]
        assert {v["status"] for v in views} == {"closed"}
    verified = subprocess.run([sys.executable, "-m", "core.cli", "audit", "verify"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stdout + verified.stderr
