"""How long the 驾驶舱 dashboard and the compliance map of Ningbo's whole city take to render.

    .venv/bin/python -m bench.dashboard              build the demo on SQLite in a temporary folder, time, remove it
    .venv/bin/python -m bench.dashboard --keep DIR   build into DIR and keep it; --reuse DIR times it again
    .venv/bin/python -m bench.dashboard --http       through `yishi serve` on 127.0.0.1 instead of in-process

The city is Ningbo as ``./dev demo`` makes it on the embedded default: ``yishi db upgrade``, then
``yishi tenants load tenants/ningbo.toml`` (the real tree of 3,042 communities, the demo councils
and topics written by the services). The pages are ``/r/3302/dashboard`` and
``/r/3302/compliance`` (五个有 over every community of the city), asked as the city admin
``ningbo_admin`` logged in through the login form, as a browser asks them: through the app in
this process (Litestar's test client: routing, the guard, the page's services, the template),
or with ``--http`` over a socket to ``yishi serve``. Each page is asked once unmeasured, then
``--runs`` times in turn with the other; the median and the 90th percentile (nearest rank) of
each are printed with the machine's load average, which a shared machine moves a lot.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, YISHI

CITY = "3302"
PAGES = (f"/r/{CITY}/dashboard", f"/r/{CITY}/compliance")
READER = ("ningbo_admin", "yishi-demo-2026")
ORIGIN = "http://testserver.local"
# What each page must show, or the timing is of an error page.
EXPECTED = {PAGES[0]: 'data-figure="topics_total"', PAGES[1]: 'data-standard="ningbo.five_haves"'}


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
    env.update(YISHI_DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'yishi.sqlite3'}", YISHI_DATA_DIR=str(folder),
               PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return env


def build(folder: Path) -> None:
    env = _env(folder)
    print(f"==> building Ningbo's demo on SQLite in {folder}")
    for args in (("db", "upgrade"), ("tenants", "load", "tenants/ningbo.toml")):
        subprocess.run([YISHI, *args], env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _check(path: str, status: int, text: str) -> None:
    if status != 200 or EXPECTED[path] not in text:
        raise SystemExit(f"!! {path} answered {status}:\n{text[:1500]}")


async def _in_process(folder: Path, runs: int) -> dict[str, list[float]]:
    from litestar.testing import AsyncTestClient

    from core.app import create_app
    from core.config import Config
    from core.runtime import Runtime

    os.environ.update({k: v for k, v in _env(folder).items() if k.startswith("YISHI_")})
    runtime = Runtime.build(Config.from_env())
    async with AsyncTestClient(app=create_app(runtime)) as client:
        answer = await client.post("/login", data={"username": READER[0], "password": READER[1], "next": "/"},
                                   headers={"Origin": ORIGIN}, follow_redirects=False)
        if answer.status_code != 303:
            raise SystemExit(f"!! login: {answer.status_code} {answer.text[:300]}")
        times: dict[str, list[float]] = {path: [] for path in PAGES}
        for round_number in range(runs + 1):
            for path in PAGES:
                started = time.perf_counter()
                answer = await client.get(path)
                elapsed = time.perf_counter() - started
                _check(path, answer.status_code, answer.text)
                if round_number:  # the first round warms the caches and is not counted
                    times[path].append(elapsed)
    return times


def _over_http(folder: Path, runs: int) -> dict[str, list[float]]:
    import httpx

    from bench.load import Server, free_port

    port = free_port()
    server = Server("product", [YISHI, "serve", "--port", str(port)], _env(folder), port, folder / "serve.log", ROOT)
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            answer = client.post("/login", data={"username": READER[0], "password": READER[1], "next": "/"},
                                 headers={"Origin": server.url}, follow_redirects=False)
            if answer.status_code != 303:
                raise SystemExit(f"!! login: {answer.status_code} {answer.text[:300]}")
            times: dict[str, list[float]] = {path: [] for path in PAGES}
            for round_number in range(runs + 1):
                for path in PAGES:
                    started = time.perf_counter()
                    answer = client.get(path)
                    elapsed = time.perf_counter() - started
                    _check(path, answer.status_code, answer.text)
                    if round_number:
                        times[path].append(elapsed)
        return times
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", metavar="DIR", type=Path, help="build into DIR and keep it")
    where.add_argument("--reuse", metavar="DIR", type=Path, help="time the demo built earlier into DIR")
    parser.add_argument("--runs", type=int, default=20, help="measured requests per page (default 20)")
    parser.add_argument("--http", action="store_true", help="through `yishi serve` on 127.0.0.1")
    options = parser.parse_args()
    if options.runs < 1:
        parser.error("--runs must be at least 1")

    folder = options.reuse or options.keep or Path(tempfile.mkdtemp(prefix="yishi-bench-dashboard-"))
    try:
        if options.reuse is None:
            folder.mkdir(parents=True, exist_ok=True)
            build(folder)
        load_before = os.getloadavg()
        how = "yishi serve over 127.0.0.1" if options.http else "in-process test client"
        print(f"==> timing {', '.join(PAGES)}: {options.runs} runs each, {how}")
        times = _over_http(folder, options.runs) if options.http else asyncio.run(_in_process(folder, options.runs))
        load_after = os.getloadavg()
        print(f"\nNingbo city ({CITY}, 3,042 communities), SQLite, {how}, {options.runs} runs per page; "
              f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after\n")
        print("| page | median | p90 | fastest | slowest |")
        print("|---|---|---|---|---|")
        for path, values in times.items():
            print(f"| `{path}` | {statistics.median(values) * 1000:.0f} ms | {p90(values) * 1000:.0f} ms | "
                  f"{min(values) * 1000:.0f} ms | {max(values) * 1000:.0f} ms |")
    finally:
        if options.reuse is None and options.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
