"""Starting the product and the floor, loading them with wrk, and settling the database between runs."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench.common import BENCH, PYTHON, ROOT, TREE, YISHI, dsn, product_env, sqlalchemy_url
from bench.endpoints import Endpoint, write_request_files

LUA = BENCH / "wrk" / "bench.lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A process this run started (its own session, so the whole group is stopped by its id)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path, cwd: Path):
        self.name = name
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self._file = open(log, "w")
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self._file, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"!! {self.name} exited with {self.process.returncode}; see {self.log}:\n"
                                 + self.log.read_text()[-3000:])
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"!! {self.name} did not answer /healthz within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._file.close()


def serve_supports_workers() -> bool:
    done = subprocess.run([YISHI, "serve", "--help"], cwd=TREE, env=product_env("none"), capture_output=True,
                          text=True)
    return "--workers" in done.stdout


def start_product(database: str, workers: int, folder: Path, broker_url: str | None) -> Server:
    port = free_port()
    argv = [YISHI, "serve", "--port", str(port)]
    extra = {}
    if workers > 1:
        argv += ["--workers", str(workers)]
        if broker_url:
            extra["YISHI_BROKER_URL"] = broker_url
    return Server("product", argv, product_env(database, **extra), port, folder / "product.log", TREE)


def start_floor(database: str, workers: int, folder: Path, city: str, resolution_actions: list[str],
                writer_id: int, writer_name: str) -> Server:
    port = free_port()
    argv = [PYTHON, "-m", "bench.floor", "--database-url", sqlalchemy_url(database), "--port", str(port),
            "--workers", str(workers), "--city", city, "--resolution-actions", ",".join(resolution_actions),
            "--writer-id", str(writer_id), "--writer-name", writer_name]
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return Server("floor", argv, env, port, folder / "floor.log", ROOT)


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def wrk(server: Server, endpoint: Endpoint, token: str | None, folder: Path, *, duration: float, connections: int,
        threads: int, timeout: float) -> Run:
    paths, body = write_request_files(endpoint, folder)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", f"{timeout:g}s",
            "-s", str(LUA)]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    argv += [server.url + endpoint.first, "--", str(paths), endpoint.method]
    if body is not None:
        argv.append(str(body))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + timeout + 60)
    line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"!! wrk failed against {server.name} {endpoint.key}:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line[len("BENCH_JSON "):])
    errors = {k: data[k] for k in ("connect", "read", "write", "status", "timeout") if data[k]}
    return Run(data["requests"], data["duration_us"] / 1e6, data["p50_us"] / 1000, data["p90_us"] / 1000,
               data["p99_us"] / 1000, data["max_us"] / 1000, errors)


async def settle(database: str, timeout: float = 60) -> float:
    """Let the database go idle before the next run: the connections still running queries for
    requests wrk has stopped waiting for (a city's stats under 32 connections keep it busy for
    tens of seconds) are ended. Ended, not cancelled: a cancel that lands between two statements
    of a transaction's end can leave a pooled connection in a failed transaction, which a pool
    without pre-ping hands out again and again; a closed connection is one every pool drops.
    Returns how long it took."""
    started = time.monotonic()
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        quiet_since = None
        while time.monotonic() - started < timeout:
            active = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()", database)
            if active:
                quiet_since = None
                for row in active:
                    await conn.execute("SELECT pg_terminate_backend($1)", row["pid"])
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.3:
                break
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    return time.monotonic() - started


def cpu_load() -> tuple[float, float, float]:
    return os.getloadavg()
