"""Fault drills against real processes: a worker killed with -9, Redis down
during writes, PostgreSQL restarted under 20 writers.

Run through ``benchmarks/faults.sh``, which starts a private PostgreSQL and
Redis on 127.0.0.1 and calls ``main()`` here. Not a test.

This module is also the drill's plugin. No API action of the platform
enqueues a job per request (its jobs are periodic sweeps whose effects are
idempotent by design, so a second run leaves no trace to count), so the
drill adds one route and one job whose every run leaves a row:

* ``POST /api/v1/plugins/fault_drill/writes`` ``{"key": …, "job": true}``
  inserts ``drill_write(key)`` and enqueues ``fault_drill.effect`` in the
  request's own transaction, the way any handler enqueues;
* ``fault_drill.effect(key)`` waits a moment (so a kill lands mid-job) and
  inserts ``drill_effect(key)``: no uniqueness, so a duplicated run shows.

The unchanged ``yishi serve`` / ``worker`` / ``scheduler`` commands find the
plugin through a throwaway entry point the script writes on PYTHONPATH.
"""
from __future__ import annotations

import asyncio
import os
import signal

from litestar import post
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.jobs import enqueue, job
from core.plugins import PluginManifest, hookimpl

EFFECT = "fault_drill.effect"

MANIFEST = PluginManifest(name="fault_drill", title_zh="故障演练", title_en="Fault drill",
                          description="Only loaded by benchmarks/faults.sh.")


# Short backoff so a job failed by a database restart is retried within the drill.
@job(name=EFFECT, max_retries=8, min_backoff_ms=1000, max_backoff_ms=5000)
async def effect(runtime, key: str, seconds: float = 0.0) -> None:
    await asyncio.sleep(seconds)
    async with runtime.sessions() as session, session.begin():
        await session.execute(text("INSERT INTO drill_effect (key, pid) VALUES (:key, :pid)"),
                              {"key": key, "pid": os.getpid()})


@post("/writes", opt={"public": True}, status_code=201)
async def write(data: dict, db: AsyncSession) -> dict:
    key = str(data["key"])
    await db.execute(text("INSERT INTO drill_write (key) VALUES (:key)"), {"key": key})
    if data.get("job"):
        await enqueue(db, EFFECT, key=key, seconds=float(data.get("seconds", 0.0)))
    return {"key": key}


@hookimpl
def yishi_manifest():
    return MANIFEST


@hookimpl
def yishi_routes():
    return [write]


# --- the driver ------------------------------------------------------------------------------------

DRILL_SCHEMA = """
CREATE TABLE drill_write (key text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE drill_effect (id bigserial PRIMARY KEY, key text NOT NULL, pid int NOT NULL,
                           at timestamptz NOT NULL DEFAULT now());
"""


class Drill:
    def __init__(self, args):
        import sys

        self.args = args
        self.tmp = args.tmp
        self.yishi = os.path.join(os.path.dirname(sys.executable), "yishi")
        self.api = f"http://127.0.0.1:{args.app_port}"
        self.dsn = f"postgresql://postgres@127.0.0.1:{args.pg_port}/{args.database}"
        self.env = dict(os.environ,
                        YISHI_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{args.pg_port}/{args.database}",
                        YISHI_BROKER_URL=f"redis://127.0.0.1:{args.redis_port}/0",
                        YISHI_DATA_DIR=os.path.join(self.tmp, "var"),
                        YISHI_HOST="127.0.0.1", YISHI_PORT=str(args.app_port),
                        YISHI_OUTBOX_LEASE_SECONDS=str(args.lease),
                        PYTHONPATH=os.pathsep.join([os.path.join(self.tmp, "site"), os.path.dirname(__file__)]))
        self.procs: dict[str, object] = {}
        self.started = 0

    # -- processes ----------------------------------------------------------

    def spawn(self, name: str, *argv: str):
        import subprocess

        log = open(os.path.join(self.tmp, f"{name}.log"), "ab")
        proc = subprocess.Popen([self.yishi, *argv], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        with open(os.path.join(self.tmp, "pids"), "a") as pids:
            pids.write(f"{proc.pid}\n")  # the shell's trap ends these if this driver dies
        return proc

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except Exception:
                proc.kill()

    def run(self, *argv: str, check: bool = True):
        import subprocess

        return subprocess.run(list(argv), env=self.env, check=check, capture_output=True, text=True)

    async def wait_http(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=3) as client:
            while True:
                try:
                    if (await client.get(f"{self.api}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError("yishi serve did not become healthy; see serve.log")
                await asyncio.sleep(0.5)

    async def wait_log(self, name: str, needle: str, timeout: float = 60.0) -> None:
        path = os.path.join(self.tmp, f"{name}.log")
        for _ in range(int(timeout * 4)):
            with open(path, "rb") as handle:
                if needle.encode() in handle.read():
                    return
            await asyncio.sleep(0.25)
        raise RuntimeError(f"{name} did not log {needle!r}; see {path}")

    async def start_worker(self) -> str:
        self.started += 1
        name = f"worker{self.started}"
        self.spawn(name, "worker", "--threads", "4")
        await self.wait_log(name, "jobs started")
        return name

    # -- database -----------------------------------------------------------

    async def sql(self, query: str, *params):
        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        try:
            return await conn.fetch(query, *params)
        finally:
            await conn.close()

    async def effects(self, prefix: str) -> dict[str, int]:
        rows = await self.sql("SELECT w.key, count(e.id) AS n FROM drill_write w "
                              "LEFT JOIN drill_effect e ON e.key = w.key WHERE w.key LIKE $1 GROUP BY w.key",
                              prefix + "%")
        return {row["key"]: row["n"] for row in rows}

    async def outbox(self, prefix: str) -> dict[str, int]:
        rows = await self.sql("SELECT status, count(*) AS n FROM job_outbox WHERE actor = $1 "
                              "AND kwargs->>'key' LIKE $2 GROUP BY status", EFFECT, prefix + "%")
        return {row["status"]: row["n"] for row in rows}

    async def settle(self, prefix: str, expected: int, bound: float) -> float:
        """Wait (at most ``bound`` s) until every write of ``prefix`` has an effect and its row is
        finished; returns the loop time when that was seen."""
        loop = asyncio.get_running_loop()
        begin = loop.time()
        while loop.time() - begin < bound:
            counts = await self.effects(prefix)
            states = await self.outbox(prefix)
            if (len(counts) == expected and all(counts.values())
                    and states.get("done", 0) + states.get("failed", 0) == expected):
                break
            await asyncio.sleep(1.0)
        settled_at = loop.time()
        # Room for a late duplicate (a message the dead worker held) to show up.
        await asyncio.sleep(self.args.linger)
        return settled_at

    # -- load ---------------------------------------------------------------

    async def writers(self, prefix: str, count: int, seconds: float | None, *, job: bool, job_seconds: float = 0.0,
                      during=None, limit: int | None = None) -> dict:
        """``count`` concurrent writers for ``seconds`` (or until ``limit`` writes), ``during`` run alongside."""
        import httpx

        acked: list[str] = []
        errors: dict[str, int] = {}
        stop = asyncio.Event()
        serial = 0
        times: list[tuple[float, bool]] = []
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        async def writer(client) -> None:
            nonlocal serial
            while not stop.is_set() and (limit is None or serial < limit):
                serial += 1
                key = f"{prefix}{serial:06d}"
                try:
                    response = await client.post(f"{self.api}/api/v1/plugins/fault_drill/writes",
                                                 json={"key": key, "job": job, "seconds": job_seconds})
                    ok = 200 <= response.status_code < 300
                    if ok:
                        acked.append(key)
                    else:
                        errors[f"HTTP {response.status_code}"] = errors.get(f"HTTP {response.status_code}", 0) + 1
                except httpx.HTTPError as exc:
                    ok = False
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                times.append((loop.time() - t0, ok))
                if not ok:
                    await asyncio.sleep(0.05)  # a failing server is not hammered in a tight loop

        async with httpx.AsyncClient(timeout=10) as client:
            tasks = [asyncio.create_task(writer(client)) for _ in range(count)]
            fault = asyncio.create_task(during()) if during else None
            if seconds is None:
                await asyncio.gather(*tasks)
            else:
                await asyncio.sleep(seconds)
            if fault is not None:
                await fault
            stop.set()
            await asyncio.gather(*tasks)
        return {"acked": acked, "errors": errors, "times": times, "attempted": serial}

    # -- drills -------------------------------------------------------------

    async def drill_kill(self) -> list[tuple[str, object]]:
        """(a) A worker killed with -9 while it runs jobs."""
        prefix, n, job_seconds = "kill-", self.args.kill_jobs, 1.0
        victim = "worker1"
        # Only the victim consumes while the jobs go in, so it holds some of them when it dies.
        self.procs["worker2"].send_signal(signal.SIGSTOP)
        result = await self.writers(prefix, 4, None, job=True, job_seconds=job_seconds, limit=n)
        expected = len(result["acked"])
        loop = asyncio.get_running_loop()
        for _ in range(100):
            done = sum(1 for c in (await self.effects(prefix)).values() if c)
            if done >= 4:
                break
            await asyncio.sleep(0.1)
        held = await self.sql("SELECT count(*) FILTER (WHERE attempts > 0) AS running, count(*) AS unfinished "
                              "FROM job_outbox WHERE actor = $1 AND status = 'dispatched' AND kwargs->>'key' LIKE $2",
                              EFFECT, prefix + "%")
        done_before = sum(1 for c in (await self.effects(prefix)).values() if c)
        self.procs[victim].kill()  # SIGKILL: no requeue, no ack, no clean-up
        self.procs[victim].wait()
        killed_at = loop.time()
        self.procs["worker2"].send_signal(signal.SIGCONT)
        replacement = await self.start_worker()
        bound = self.args.lease + 2 * 30 + 30
        settled_at = await self.settle(prefix, expected, bound)
        counts = await self.effects(prefix)
        states = await self.outbox(prefix)
        again = await self.sql("SELECT count(*) AS n FROM job_outbox WHERE actor = $1 AND attempts > 1 "
                               "AND kwargs->>'key' LIKE $2", EFFECT, prefix + "%")
        return [
            ("jobs expected (acknowledged writes)", expected),
            ("effects done before the kill", done_before),
            ("at the kill: running / not yet finished", f"{held[0]['running']} / {held[0]['unfinished']}"),
            ("replacement worker", replacement),
            ("done once", sum(1 for c in counts.values() if c == 1)),
            ("duplicated (effect rows > 1)", sum(1 for c in counts.values() if c > 1)),
            ("lost (no effect)", sum(1 for c in counts.values() if c == 0)),
            ("outbox rows started more than once", again[0]["n"]),
            ("outbox rows by status", states),
            ("seconds from the kill until all done", round(settled_at - killed_at, 1)),
            ("wait bound (lease + 2 sweeps + 30 s)", bound),
        ]

    async def drill_redis(self) -> list[tuple[str, object]]:
        """(b) Redis stopped while writers enqueue jobs, then started again (empty: no persistence)."""
        prefix = "redis-"
        marks: dict[str, float] = {}
        loop = asyncio.get_running_loop()

        async def outage() -> None:
            await asyncio.sleep(3)
            await asyncio.to_thread(self.run, "redis-cli", "-h", "127.0.0.1", "-p", str(self.args.redis_port),
                                    "shutdown", "nosave", check=False)
            marks["down"] = loop.time()
            await asyncio.sleep(self.args.redis_down)
            await asyncio.to_thread(self.run, *self.args.redis_start.split())
            for _ in range(50):
                pong = await asyncio.to_thread(self.run, "redis-cli", "-h", "127.0.0.1", "-p",
                                               str(self.args.redis_port), "ping", check=False)
                if pong.stdout.strip() == "PONG":
                    break
                await asyncio.sleep(0.1)
            marks["up"] = loop.time()

        result = await self.writers(prefix, 5, 3 + self.args.redis_down + 3, job=True, job_seconds=0.3,
                                    during=outage)
        acked = set(result["acked"])
        rows = set((await self.effects(prefix)).keys())
        pending = await self.outbox(prefix)
        bound = self.args.lease + 2 * 30 + 30
        settled_at = await self.settle(prefix, len(rows), bound)
        counts = await self.effects(prefix)
        states = await self.outbox(prefix)
        return [
            ("Redis down for (s)", round(marks["up"] - marks["down"], 1)),
            ("writes attempted", result["attempted"]),
            ("acknowledged (2xx)", len(acked)),
            ("failed requests", result["errors"] or 0),
            ("rows present", len(rows)),
            ("acknowledged but missing (lost writes)", len(acked - rows)),
            ("present but not acknowledged", len(rows - acked)),
            ("outbox when writes stopped (3 s after Redis back)", pending),
            ("jobs expected (rows present)", len(rows)),
            ("done once", sum(1 for c in counts.values() if c == 1)),
            ("duplicated (effect rows > 1)", sum(1 for c in counts.values() if c > 1)),
            ("lost (no effect)", sum(1 for c in counts.values() if c == 0)),
            ("outbox rows by status", states),
            ("seconds from Redis back until all done", round(settled_at - marks["up"], 1)),
        ]

    async def drill_postgres(self) -> list[tuple[str, object]]:
        """(c) PostgreSQL restarted (fast) under 20 concurrent writers."""
        prefix = "pg-"
        marks: dict[str, float] = {}
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        async def restart() -> None:
            await asyncio.sleep(4)
            marks["restart"] = loop.time() - t0
            proc = await asyncio.create_subprocess_exec(*self.args.pg_restart.split(),
                                                        stdout=asyncio.subprocess.DEVNULL,
                                                        stderr=asyncio.subprocess.DEVNULL)
            await proc.wait()
            marks["back"] = loop.time() - t0

        result = await self.writers(prefix, 20, 14, job=True, job_seconds=0.0, during=restart)
        acked = set(result["acked"])
        rows = set((await self.effects(prefix)).keys())
        failures = [t for t, ok in result["times"] if not ok]
        after = [ok for t, ok in result["times"] if t > (max(failures) if failures else 0)]
        bound = self.args.lease + 2 * 30 + 30
        settled_at = await self.settle(prefix, len(rows), bound)
        counts = await self.effects(prefix)
        states = await self.outbox(prefix)
        healthy = await self.health()
        return [
            ("writers", 20),
            ("writes attempted", result["attempted"]),
            ("acknowledged (2xx)", len(acked)),
            ("failed requests (reported as errors)", result["errors"] or 0),
            ("rows present", len(rows)),
            ("acknowledged but missing (lost writes)", len(acked - rows)),
            ("present but not acknowledged", len(rows - acked)),
            ("restart began / pg_ctl returned at (s)", f"{marks['restart']:.1f} / {marks['back']:.1f}"),
            ("errors seen between (s)", f"{min(failures):.1f} – {max(failures):.1f}" if failures else "none"),
            ("2xx after the last error", f"{sum(after)} of {len(after)}"),
            ("jobs expected (rows present)", len(rows)),
            ("done once", sum(1 for c in counts.values() if c == 1)),
            ("duplicated (effect rows > 1)", sum(1 for c in counts.values() if c > 1)),
            ("lost (no effect)", sum(1 for c in counts.values() if c == 0)),
            ("outbox rows by status", states),
            ("seconds from the restart until all done", round(settled_at - t0 - marks["restart"], 1)),
            ("/healthz afterwards", healthy),
        ]

    async def health(self) -> str:
        import httpx

        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(f"{self.api}/healthz")
            return f"{response.status_code} {response.json().get('status')}"


def table(title: str, rows: list[tuple[str, object]]) -> str:
    width = max(len(label) for label, _ in rows)
    lines = [title, "-" * len(title)]
    lines += [f"  {label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(lines)


async def amain(args) -> int:
    import time

    drill = Drill(args)
    started = time.monotonic()
    try:
        print(drill.run(drill.yishi, "db", "upgrade").stdout.strip(), flush=True)
        import asyncpg

        conn = await asyncpg.connect(drill.dsn)
        await conn.execute(DRILL_SCHEMA)
        await conn.close()
        # A small real tenant (金昌市, 6203) so the app serves a region tree, as in production.
        if os.path.isdir(args.divisions):
            print(drill.run(drill.yishi, "regions", "import", "--city", "6203", "--from", args.divisions)
                  .stdout.strip().splitlines()[-1], flush=True)
        else:
            print(f"no division data at {args.divisions}: no regions loaded", flush=True)
        drill.spawn("serve", "serve")
        drill.spawn("scheduler", "scheduler")
        await drill.wait_http()
        for _ in range(2):
            await drill.start_worker()
        print(f"serve, scheduler, worker1, worker2 up; outbox lease {args.lease} s "
              f"(YISHI_OUTBOX_LEASE_SECONDS, drill value; our default is 900)\n", flush=True)
        for title, run in (("(a) worker killed with -9 mid-job", drill.drill_kill),
                           ("(b) Redis down during writes", drill.drill_redis),
                           ("(c) PostgreSQL restarted (pg_ctl restart -m fast) under 20 writers",
                            drill.drill_postgres)):
            began = time.monotonic()
            rows = await run()
            rows.append(("drill seconds", round(time.monotonic() - began, 1)))
            print(table(title, rows) + "\n", flush=True)
    finally:
        drill.stop_all()
    print(f"total {time.monotonic() - started:.0f} s; process logs in {args.tmp} (removed on exit)")
    return 0


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tmp", required=True)
    parser.add_argument("--pg-port", type=int, required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--app-port", type=int, required=True)
    parser.add_argument("--database", default="yishi_drill")
    parser.add_argument("--pg-restart", required=True, help="command line that restarts the private PostgreSQL")
    parser.add_argument("--redis-start", required=True, help="command line that starts the private Redis")
    parser.add_argument("--lease", type=int, default=30)
    parser.add_argument("--divisions", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data",
                                                            "divisions-2023"))
    parser.add_argument("--kill-jobs", type=int, default=40)
    parser.add_argument("--redis-down", type=float, default=6.0)
    parser.add_argument("--linger", type=float, default=5.0)
    return asyncio.run(amain(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
