"""The embedded default against its floor: topic lists and a topic's page on SQLite.

    bench/run-sqlite            (about 3 minutes; python -m bench.sqlite with .venv's python)

Builds Ningbo as the demo does (`yishi db upgrade`, the real division tree, `yishi
tenants load tenants/ningbo.toml`: councils and topics at every step written by the
services) into a SQLite file in a temporary folder, starts `yishi serve` on it (the
embedded broker: worker and scheduler in the same process, as a trial install runs) and
the floor (`bench/floor.py`, the same file through aiosqlite), and drives both with wrk
on 127.0.0.1, interleaved, three rounds. Prints req/s (median of the rounds), p50 and
p99, and the ratio; the folder is removed afterwards.
"""
from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.cli import login
from bench.common import PYTHON, ROOT, YISHI
from bench.endpoints import Endpoint
from bench.load import Server, free_port, wrk

CITY = "3302"
READER = ("ningbo_admin", "yishi-demo-2026")
DIVISIONS = ROOT.parent / "shared" / "data" / "divisions-2023"
ROUNDS, DURATION, CONNECTIONS = 3, 6.0, 32


def _env(folder: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
    env.update(YISHI_DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'yishi.sqlite3'}", YISHI_DATA_DIR=str(folder),
               PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return env


def _yishi(env: dict[str, str], *args: str) -> None:
    subprocess.run([YISHI, *args], env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)


async def _busiest(url: str) -> dict[str, str]:
    """The community, street and district with the most topics, and a topic of each step."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        picked = {}
        for name, length in (("community", 12), ("street", 9), ("district", 6)):
            picked[name] = await conn.scalar(text(
                f"SELECT substr(region_code, 1, {length}) AS code FROM topics WHERE length(region_code) >= {length} "
                "GROUP BY code ORDER BY count(*) DESC, code LIMIT 1"))
        picked["topics"] = ",".join(str(i) for i in (await conn.scalars(text(
            "SELECT min(id) FROM topics GROUP BY step ORDER BY 1"))).all())
    await engine.dispose()
    return picked


def main() -> None:
    import httpx

    folder = Path(tempfile.mkdtemp(prefix="yishi-bench-sqlite-"))
    servers: list[Server] = []
    try:
        env = _env(folder)
        print(f"==> building Ningbo's demo on SQLite in {folder}")
        _yishi(env, "db", "upgrade")
        _yishi(env, "regions", "import", "--city", CITY, "--from", str(DIVISIONS))
        _yishi(env, "tenants", "load", "tenants/ningbo.toml")
        picked = asyncio.run(_busiest(env["YISHI_DATABASE_URL"]))
        port = free_port()
        product = Server("product", [YISHI, "serve", "--port", str(port)], env, port, folder / "product.log", ROOT)
        servers.append(product)
        port = free_port()
        floor = Server("floor", [PYTHON, "-m", "bench.floor", "--database-url", env["YISHI_DATABASE_URL"],
                                 "--port", str(port), "--writer-id", "0", "--writer-name", "-"],
                       env, port, folder / "floor.log", ROOT)
        servers.append(floor)
        product.wait_ready()
        floor.wait_ready()
        token = login(product, *READER)
        endpoints = [
            Endpoint(f"list_{name}", f"topic list, {name}", "GET", (f"/api/v1/regions/{picked[name]}/topics",),
                     note=picked[name]) for name in ("community", "street", "district")
        ] + [Endpoint("topic_detail", "topic detail", "GET",
                      tuple(f"/api/v1/topics/{i}" for i in picked["topics"].split(",")))]
        for endpoint in endpoints:
            for server, auth in ((product, token), (floor, None)):
                answer = httpx.get(server.url + endpoint.first, timeout=60,
                                   headers={"Authorization": f"Bearer {auth}"} if auth else {})
                if answer.status_code != 200:
                    raise SystemExit(f"!! {server.name} {endpoint.first}: {answer.status_code} {answer.text[:200]}")
        runs: dict[tuple[str, str], list] = {}
        for endpoint in endpoints:  # warm-up, not counted
            for server, auth in ((product, token), (floor, None)):
                wrk(server, endpoint, auth, folder, duration=1, connections=CONNECTIONS, threads=2, timeout=30)
        for number in range(1, ROUNDS + 1):
            for endpoint in endpoints:
                for server, auth in ((product, token), (floor, None)):
                    run = wrk(server, endpoint, auth, folder, duration=DURATION, connections=CONNECTIONS, threads=2,
                              timeout=30)
                    runs.setdefault((endpoint.key, server.name), []).append(run)
                    print(f"    round {number} {endpoint.key:<15} {server.name:<8} {run.rps:8.1f} req/s "
                          f"p50 {run.p50_ms:6.0f} ms  p99 {run.p99_ms:6.0f} ms"
                          + (f"  ⚠ {run.failed} failed" if run.failed else ""))
        print(f"\nSQLite (embedded default), wrk -t2 -c{CONNECTIONS} -d{DURATION:g}s, {ROUNDS} rounds, "
              "median req/s (lowest–highest), medians of p50 / p99\n")
        print("| endpoint | product | floor | product / floor | p99 product / floor |")
        print("|---|---|---|---|---|")
        for endpoint in endpoints:
            mine, theirs = runs[(endpoint.key, "product")], runs[(endpoint.key, "floor")]
            rps_p = statistics.median(r.rps for r in mine)
            rps_f = statistics.median(r.rps for r in theirs)
            p99_p = statistics.median(r.p99_ms for r in mine)
            p99_f = statistics.median(r.p99_ms for r in theirs)
            print(f"| {endpoint.title} ({endpoint.note or 'steps in turn'}) | {rps_p:.0f} "
                  f"({min(r.rps for r in mine):.0f}–{max(r.rps for r in mine):.0f}) | {rps_f:.0f} "
                  f"({min(r.rps for r in theirs):.0f}–{max(r.rps for r in theirs):.0f}) | {rps_p / rps_f:.2f} | "
                  f"{p99_p / p99_f:.2f} |")
        if any(r.failed for rs in runs.values() for r in rs):
            sys.exit(1)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
