"""bench/run: build a Ningbo-sized database, load the product and the floor with wrk on
each endpoint, interleaved, and print the table (bench/README.md)."""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.common import DB_PREFIX, PYTHON, RESULTS, ROOT, TREE, VENV, Timings, dsn, state_dir

REDIS_FOR_WORKERS = "redis://127.0.0.1:6379/14"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the database (and its bench/.state) afterwards")
    parser.add_argument("--reuse", metavar="DB", help="skip the build: measure database DB, built with --keep")
    parser.add_argument("--drop", metavar="DB", help="drop DB (a bench database kept with --keep) and its state, "
                                                     "then exit")
    parser.add_argument("--rev", metavar="REV", help="measure the product at git revision REV (exported to a temp "
                                                     "tree; the bench's own code stays this clone's)")
    parser.add_argument("--topics", type=int, default=100_000, help="topics in the city (default 100,000)")
    parser.add_argument("--duration", type=float, default=6,
                        help="seconds of each wrk run (default 6, so that a whole run stays under 15 minutes on a "
                             "busy 2-core machine; 8 or 10 when it has the machine to itself)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of product, floor runs (default 3)")
    parser.add_argument("--warmup", type=float, default=1, help="seconds of one unmeasured run each first (1)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30, help="wrk's per-request timeout, s (default 30)")
    parser.add_argument("--workers", type=int, default=1,
                        help="app processes of the product and of the floor (default 1; >1 needs yishi serve "
                             f"--workers, and Redis for the product's broker: {REDIS_FOR_WORKERS})")
    parser.add_argument("--only", help="comma list of endpoint keys to measure (default: all)")
    parser.add_argument("--profile", action="store_true",
                        help="after the rounds, record py-spy profiles of the product under load (installs py-spy)")
    parser.add_argument("--profile-endpoints", default="topic_detail,list_district,stats_district,write_research")
    parser.add_argument("--profile-seconds", type=float, default=10)
    parser.add_argument("--verify-audit", action="store_true",
                        help="after the build, run `yishi audit verify` over the whole chain (about 3 minutes)")
    parser.add_argument("--divisions", type=Path, default=ROOT.parent / "shared" / "data" / "divisions-2023")
    return parser.parse_args(argv)


def export_revision(rev: str) -> Path:
    """``git archive`` of REV into a temp tree, without its bench/ (this clone's bench measures it)."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True,
                         check=True).stdout.strip()
    tree = Path(f"/tmp/yishi-bench-tree-{sha}")
    if not tree.exists():
        tmp = Path(f"{tree}.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", "--format=tar", sha], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(tmp)], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            raise SystemExit(f"!! git archive {rev} failed")
        shutil.rmtree(tmp / "bench", ignore_errors=True)
        tmp.rename(tree)
    return tree


def describe_tree() -> str:
    if TREE != ROOT:
        return f"revision {TREE.name.rsplit('-', 1)[-1]} (exported to {TREE})"
    head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", "core",
                            "plugins", "migrations", "admin_ui"], capture_output=True, text=True).stdout.strip()
    return f"working tree at {head[:90]}" + (" (with uncommitted changes in core/plugins/migrations/admin_ui)"
                                             if dirty else "")


async def writer_identity(database: str, username: str) -> tuple[int, str]:
    import asyncpg

    conn = await asyncpg.connect(dsn(database))
    try:
        row = await conn.fetchrow("SELECT id, username, display_name FROM users WHERE username = $1", username)
    finally:
        await conn.close()
    return row["id"], (row["display_name"] or row["username"])[:100]


def resolution_actions() -> list[str]:
    """What the product counts as a consultation held: every procedure action of kind "resolution"."""
    from core.builtin import make_plugin_manager
    from core.procedures.registry import procedure_registry

    registry = procedure_registry(make_plugin_manager())
    keys = {"record_resolution"}
    for key in registry.keys():
        for version in registry.versions(key):
            for step in registry.get(key, version).steps:
                keys.update(a.key for a in step.actions if a.kind == "resolution")
    return sorted(keys)


def login(server, username: str, password: str) -> str:
    import httpx

    answer = httpx.post(server.url + "/api/v1/auth/login", json={"username": username, "password": password},
                        timeout=60)
    if answer.status_code != 200:
        raise SystemExit(f"!! login of {username} on the product: {answer.status_code} {answer.text[:300]}")
    return answer.json()["token"]


def fetch(server, endpoint, token, path=None):
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = server.url + (path or endpoint.first)
    started = time.perf_counter()
    if endpoint.method == "GET":
        answer = httpx.get(url, headers=headers, timeout=120)
    else:
        answer = httpx.post(url, headers=headers, json=endpoint.body, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code >= 400:
        raise SystemExit(f"!! {server.name} {endpoint.method} {url}: {answer.status_code} {answer.text[:500]}")
    return answer.json(), elapsed


def compare(endpoint, product: dict, floor: dict) -> list[str]:
    """What both must agree on for the comparison to be one of the same work."""
    key = endpoint.key
    problems = []

    def same(what, a, b):
        if a != b:
            problems.append(f"{key}: {what}: product {a!r}, floor {b!r}")

    if key == "topic_detail":
        same("topic id", product["id"], floor["id"])
        same("step", product["step"]["key"] if isinstance(product["step"], dict) else product["step"], floor["step"])
        same("history entries", len(product["history"]), len(floor["history"]))
    elif key.startswith("list_") or key.startswith("children_") or key.startswith("board_"):
        ident = "code" if key.startswith("children_") else "id"
        same("total", product["total"], floor["total"])
        same("first page", [i[ident] for i in product["items"]], [i[ident] for i in floor["items"]])
    elif key.startswith("stats_"):
        for figure in ("topics_total", "topics_by_step", "topics_by_status", "consultations_held", "topics_resolved",
                       "open_notices", "overdue_tasks"):
            if figure in product:
                same(figure, product[figure], floor[figure])
        p, f = product.get("median_days_to_resolution"), floor.get("median_days_to_resolution")
        if (p is None) != (f is None) or (p is not None and abs(p - f) > 1.0):
            problems.append(f"{key}: median days to resolution: product {p!r}, floor {f!r}")
    return problems


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.rev and not os.environ.get("BENCH_TREE"):
        tree = export_revision(args.rev)
        env = dict(os.environ, BENCH_TREE=str(tree), PYTHONPATH=str(ROOT), BENCH_VENV=str(VENV))
        os.chdir(tree)
        os.execve(PYTHON, [PYTHON, "-m", "bench.cli", *sys.argv[1:]], env)
    for key in [k for k in os.environ if k.startswith("YISHI_")]:
        del os.environ[key]
    if args.drop:
        from bench.dataset import drop_database

        asyncio.run(drop_database(args.drop))
        print(f"==> dropped {args.drop}")
        return

    from bench import dataset, load, report, sqlcount
    from bench.endpoints import endpoints

    began = time.monotonic()
    stamp = datetime.now().strftime("%Y-%m-%d-%H%M%S")
    folder = RESULTS / stamp
    folder.mkdir(parents=True, exist_ok=True)
    host = report.machine()
    load_before = load.cpu_load()
    print(f"==> bench {stamp}: {host['nproc']} × {host['cpu']}, {host['memory']}; load average "
          f"{load_before[0]:.2f}; product: {describe_tree()}")
    if args.workers > 1 and not load.serve_supports_workers():
        raise SystemExit("!! this tree's `yishi serve` has no --workers: run with --workers 1")

    timings = Timings()
    created = None
    servers: list = []
    failed = False
    try:
        if args.reuse:
            meta = dataset.Meta.load(args.reuse)
            print(f"==> reusing {args.reuse}, built {meta.built_at} ({meta.counts.get('topics', 0):,} topics)")
        else:
            created = DB_PREFIX + stamp.replace("-", "_")
            meta = dataset.build(created, args.topics, args.divisions, timings, verify_audit=args.verify_audit)
        database = meta.database
        build_seconds = timings.total()
        wanted = endpoints(meta)
        if args.only:
            keys = set(args.only.split(","))
            wanted = [e for e in wanted if e.key in keys]

        with timings.step("SQL statements per request (in-process product, test client)"):
            counted = asyncio.run(sqlcount.count_all(meta, wanted))
            with open(folder / "sql.txt", "w") as out:
                for key, count in counted.items():
                    print(f"    {key:<26} {count.statements:>3} statements, {count.checkouts} connection checkout(s)")
                    out.write(f"{key}: {count.statements} statements\n")
                    out.writelines(f"    {' '.join(s.split())}\n" for s in count.sql)

        writer_id, writer_name = asyncio.run(writer_identity(database, meta.writer[0]))
        with timings.step(f"start the product (yishi serve{' --workers %d' % args.workers if args.workers > 1 else ''})"
                          f" and the floor ({args.workers} process{'es' if args.workers > 1 else ''} each)"):
            product = load.start_product(database, args.workers, folder, REDIS_FOR_WORKERS)
            servers.append(product)
            floor = load.start_floor(database, args.workers, folder, meta.city, resolution_actions(),
                                     writer_id, writer_name)
            servers.append(floor)
            product.wait_ready()
            floor.wait_ready()
            print(f"    product pid {product.pid} on {product.url}, floor pid {floor.pid} on {floor.url}")

        with timings.step("read a sample back through the API (product and floor must agree)"):
            tokens = {"reader": login(product, *meta.reader), "writer": login(product, *meta.writer)}
            problems = []
            rows = {e.key: report.Measured(e) for e in wanted}
            for endpoint in wanted:
                token = tokens.get(endpoint.who)
                floor_answer, _ = fetch(floor, endpoint, None)
                if endpoint.product:
                    product_answer, _ = fetch(product, endpoint, token)
                    if endpoint.method == "GET":
                        problems += compare(endpoint, product_answer, floor_answer)
                count = counted.get(endpoint.key)
                if count is not None:
                    rows[endpoint.key].statements = count.statements
                    rows[endpoint.key].checkouts = count.checkouts
                # One request at a time: the median of three more.
                if endpoint.product:
                    rows[endpoint.key].product_alone_ms = statistics.median(
                        fetch(product, endpoint, token, endpoint.paths[i % len(endpoint.paths)])[1] for i in range(3))
                rows[endpoint.key].floor_alone_ms = statistics.median(
                    fetch(floor, endpoint, None, endpoint.paths[i % len(endpoint.paths)])[1] for i in range(3))
                print(f"    {endpoint.key:<26} ok; alone: product "
                      f"{report.ms(rows[endpoint.key].product_alone_ms)}, floor "
                      f"{report.ms(rows[endpoint.key].floor_alone_ms)}")
            if problems:
                raise SystemExit("!! the product and the floor disagree, so they are not doing the same work:\n  "
                                 + "\n  ".join(problems))

        scratch = folder / "requests"
        options = dict(duration=args.duration, connections=args.connections, threads=args.threads,
                       timeout=args.timeout)
        if args.warmup > 0:
            with timings.step(f"warm-up: {args.warmup:g} s of wrk per endpoint and server, not counted"):
                for endpoint in wanted:
                    for server in ([product] if endpoint.product else []) + [floor]:
                        load.wrk(server, endpoint, tokens.get(endpoint.who) if server is product else None, scratch,
                                 **{**options, "duration": args.warmup})
                        asyncio.run(load.settle(database))
        with timings.step(f"{args.rounds} rounds of wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, "
                          "product then floor for each endpoint"):
            for number in range(1, args.rounds + 1):
                for endpoint in wanted:
                    for server in ([product] if endpoint.product else []) + [floor]:
                        run = load.wrk(server, endpoint, tokens.get(endpoint.who) if server is product else None,
                                       scratch, **options)
                        settled = asyncio.run(load.settle(database))
                        (rows[endpoint.key].product if server is product else rows[endpoint.key].floor).append(run)
                        errors = f", errors {run.errors}" if run.errors else ""
                        print(f"    round {number} {endpoint.key:<26} {server.name:<7} {run.rps:8.1f} req/s  "
                              f"p50 {report.ms(run.p50_ms):>8}  p99 {report.ms(run.p99_ms):>8}{errors}"
                              + (f"  (settled in {settled:.1f} s)" if settled > 1 else ""))

        measured = [rows[e.key] for e in wanted]
        load_after = load.cpu_load()
        write_results(stamp, folder, args, meta, host, measured, timings, build_seconds, time.monotonic() - began,
                      (load_before, load_after), {})
        profiles = {}
        if args.profile:
            try:
                profiles = profile(args, product, [e for e in wanted if e.product], tokens, scratch, folder,
                                   database, timings, options)
            except Exception as exc:  # the rounds are measured and written; a profile is extra
                print(f"!! profiling failed: {exc!r}")

        for server in servers:
            server.stop()
        servers.clear()
        text = report.table(measured)
        elapsed = time.monotonic() - began
        print()
        print(text)
        print()
        print(f"{host['nproc']} × {host['cpu']}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}, "
              f"load average {load_before[0]:.2f} before and {load_after[0]:.2f} after; "
              f"whole run {elapsed / 60:.1f} min (build {build_seconds / 60:.1f} min)")
        path = write_results(stamp, folder, args, meta, host, measured, timings, build_seconds, elapsed,
                             (load_before, load_after), profiles)
        print(f"results: {path.relative_to(ROOT)}")
        errors = [(m.endpoint.key, r.errors) for m in measured for r in m.product + m.floor if r.errors]
        if errors:
            print("!! some requests failed (their rows are marked ⚠; see the servers' logs in "
                  f"{folder.relative_to(ROOT)}): " + "; ".join(f"{k} {e}" for k, e in errors))
        if elapsed > 15 * 60:
            print(f"!! the run took {elapsed / 60:.1f} minutes, more than 15: the load average says how busy the "
                  "machine was; --reuse skips the build")
        failed = bool(errors)
    finally:
        for server in servers:
            server.stop()
        if created and not args.keep:
            asyncio.run(dataset.drop_database(created))
            print(f"==> dropped {created}")
        elif created:
            print(f"==> kept {created} (state in {state_dir(created).relative_to(ROOT)}); "
                  f"measure it again with: bench/run --reuse {created}"
                  + (f" --rev {args.rev}" if args.rev else "") + f"; drop it with: bench/run --drop {created}")
    if failed:
        sys.exit(1)


def profile(args, product, wanted, tokens, scratch, folder, database, timings, options) -> dict[str, str]:
    """py-spy on the product under the same load as the rounds, one endpoint at a time."""
    from bench import load, report

    spy = Path(PYTHON).with_name("py-spy")
    if not spy.exists():
        with timings.step("install py-spy into the virtualenv (PyPI)"):
            subprocess.run([PYTHON, "-m", "pip", "install", "-q", "py-spy"], check=True)
    keys = args.profile_endpoints.split(",")
    summaries = {}
    with timings.step(f"profiles: py-spy record on the product, {args.profile_seconds:g} s per endpoint"):
        for endpoint in [e for e in wanted if e.key in keys]:
            out = folder / f"profile-{endpoint.key}.txt"
            recorder = subprocess.Popen([str(spy), "record", "--pid", str(product.pid), "--rate", "100",
                                         "--duration", f"{args.profile_seconds:g}", "--format", "raw", "--gil",
                                         "--nonblocking", "--subprocesses", "--output", str(out)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(0.5)
            load.wrk(product, endpoint, tokens.get(endpoint.who), scratch,
                     **{**options, "duration": args.profile_seconds})
            _, err = recorder.communicate(timeout=60)
            asyncio.run(load.settle(database))
            if not out.exists():
                summaries[endpoint.key] = f"(py-spy wrote nothing: {err.strip()[-300:]})"
                continue
            try:
                summaries[endpoint.key] = report.summarize_profile(out)
            except Exception as exc:
                summaries[endpoint.key] = f"(could not read {out.name}: {exc!r})"
            print(f"    {endpoint.key}: {out.relative_to(ROOT)} (collapsed stacks; speedscope.app opens them)")
    return summaries


def write_results(stamp, folder, args, meta, host, measured, timings, build_seconds, elapsed, loads,
                  profiles) -> Path:
    from bench import report

    lines = [f"# Bench {stamp}", "",
             f"Product: {describe_tree()}. Floor: bench/floor.py. "
             f"`wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s`, {args.rounds} rounds, product then "
             f"floor for each endpoint, {args.workers} app process{'es' if args.workers > 1 else ''} each; "
             "req/s is the median of the rounds (lowest–highest), p50 and p99 the medians of the rounds'.", "",
             report.table(measured), "",
             f"Machine: {host['nproc']} × {host['cpu']}, {host['memory']}, Linux {host['kernel']}, Python "
             f"{host['python']}, {host['postgres client']}; {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}; load "
             f"average {loads[0][0]:.2f} / {loads[0][1]:.2f} / {loads[0][2]:.2f} before, {loads[1][0]:.2f} / "
             f"{loads[1][1]:.2f} / {loads[1][2]:.2f} after (anything else running on the machine shows in it).", "",
             f"Dataset {meta.database} (built {meta.built_at}): " + ", ".join(
                 f"{table} {n:,}" for table, n in meta.counts.items()) + ".", "",
             "Where: " + "; ".join(f"{m.endpoint.title}: {m.endpoint.note}" for m in measured) + ".", "",
             "## One request at a time", "", report.alone_table(measured), "",
             "## Every round", "", report.rounds_table(measured), "",
             "## Time", "",
             "| step | seconds |", "|---|---|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in
              (list(meta.build_seconds.items()) if args.reuse else []) + timings.steps]
    lines += [f"| whole run | {elapsed:.0f} |", ""]
    if profiles:
        lines += ["## Profiles (py-spy, product under the same load)", ""]
        for key, summary in profiles.items():
            lines += [f"### {key}", "", f"Collapsed stacks: `{(folder / f'profile-{key}.txt').relative_to(ROOT)}`.",
                      "", "```", summary, "```", ""]
    path = RESULTS / f"{stamp}.md"
    path.write_text("\n".join(lines))
    return path


if __name__ == "__main__":
    main()
