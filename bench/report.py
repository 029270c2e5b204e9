"""The results table, the results file and the profile summary."""
from __future__ import annotations

import platform
import sys
import statistics
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.endpoints import Endpoint
from bench.load import Run

# Statements the floor sends per request (bench/floor.py), beside the product's counted ones.
FLOOR_STATEMENTS = {"topic_detail": 2, "list_community": 2, "list_street": 2, "list_district": 2,
                    "children_district": 2, "board_community": 3, "board_community_same_sql": 3,
                    "stats_district": 8, "stats_city": 8, "write_research": 3}


def machine() -> dict[str, str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    memory = ""
    try:
        kib = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {"nproc": nproc, "cpu": model, "memory": memory, "kernel": platform.release(),
            "python": platform.python_version(), "postgres client": pg}


@dataclass
class Measured:
    endpoint: Endpoint
    product: list[Run] = field(default_factory=list)
    floor: list[Run] = field(default_factory=list)
    product_alone_ms: float | None = None
    floor_alone_ms: float | None = None
    statements: int | None = None
    checkouts: int | None = None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _rps(runs: list[Run]) -> str:
    if not runs:
        return "—"
    values = [r.rps for r in runs]
    low, high, mid = min(values), max(values), statistics.median(values)
    text = f"{_num(mid)} ({_num(low)}–{_num(high)})" if len(values) > 1 else _num(mid)
    failed = sum(r.failed for r in runs)
    # Failed requests count as requests in wrk's rate: such a figure is no measurement.
    return text + (f" ⚠ {failed} failed" if failed else "")


def _num(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def table(rows: list[Measured]) -> str:
    lines = ["| endpoint | product req/s | p50 | p99 | floor req/s | p50 | p99 | product / floor | "
             "SQL per request, product (floor) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for m in rows:
        p_rps = _median([r.rps for r in m.product])
        f_rps = _median([r.rps for r in m.floor])
        ratio = f"{p_rps / f_rps:.2f}" if p_rps and f_rps else "—"
        sql = FLOOR_STATEMENTS.get(m.endpoint.key)
        statements = (f"{m.statements} ({sql})" if m.statements is not None else f"— ({sql})") if sql else "—"
        # A run in which no request finished has no latency to give.
        done_p = [r for r in m.product if r.requests]
        done_f = [r for r in m.floor if r.requests]
        lines.append(
            f"| {m.endpoint.title} | {_rps(m.product)} | {ms(_median([r.p50_ms for r in done_p]))} | "
            f"{ms(_median([r.p99_ms for r in done_p]))} | {_rps(m.floor)} | "
            f"{ms(_median([r.p50_ms for r in done_f]))} | {ms(_median([r.p99_ms for r in done_f]))} | "
            f"{ratio} | {statements} |")
    return "\n".join(lines)


def alone_table(rows: list[Measured]) -> str:
    lines = ["| endpoint | product, one request at a time | floor | connections checked out per product request |",
             "|---|---|---|---|"]
    for m in rows:
        lines.append(f"| {m.endpoint.title} | {ms(m.product_alone_ms)} | {ms(m.floor_alone_ms)} | "
                     f"{m.checkouts if m.checkouts is not None else '—'} |")
    return "\n".join(lines)


def rounds_table(rows: list[Measured]) -> str:
    lines = ["| endpoint | round | product req/s | p50 | p99 | errors | floor req/s | p50 | p99 | errors |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for m in rows:
        for i in range(max(len(m.product), len(m.floor))):
            p = m.product[i] if i < len(m.product) else None
            f = m.floor[i] if i < len(m.floor) else None

            def cells(run: Run | None) -> str:
                if run is None:
                    return "— | — | — | —"
                if not run.requests:
                    return "0 (none finished) | — | — | " + (", ".join(f"{k} {v}" for k, v in run.errors.items()) or "0")
                errors = ", ".join(f"{k} {v}" for k, v in run.errors.items()) or "0"
                return f"{_num(run.rps)} | {ms(run.p50_ms)} | {ms(run.p99_ms)} | {errors}"
            lines.append(f"| {m.endpoint.title} | {i + 1} | {cells(p)} | {cells(f)} |")
    return "\n".join(lines)


# -- profiles ------------------------------------------------------------------------------

def _frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    return [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))], int(count)


def _records(text: str):
    """The collapsed stacks, one per sample line ("frame;frame;… count"); py-spy writes a frame
    holding a line of source with its newline now and then, so lines are joined until one ends
    in a count."""
    pending = ""
    for line in text.splitlines():
        pending += line
        tail = pending.rpartition(" ")[2]
        if tail.isdigit():
            yield pending
            pending = ""


def _path(frame: str) -> str:
    return frame[frame.rfind("(") + 1:].rstrip(")").rsplit(":", 1)[0]


PRODUCT = ("core", "plugins", "admin_ui")


def _package(frame: str) -> str:
    """The top-level package a frame's file belongs to (py-spy shortens paths to the import root)."""
    path = _path(frame)
    top = path.split("/")[0] if "/" in path else path.removesuffix(".py")
    if top in PRODUCT:
        return f"{top} (product)"
    if top in sys.stdlib_module_names:
        return f"{top} (stdlib)"
    return top


def summarize_profile(path: Path, top: int = 15) -> str:
    """Self time by package and by function, and the product's own functions by inclusive time
    (the few that wrap every sample, the server's entry points, left out)."""
    own: Counter = Counter()
    inclusive: Counter = Counter()
    packages: Counter = Counter()
    total = 0
    for line in _records(path.read_text()):
        frames, count = _frames(line)
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        packages[_package(frames[-1])] += count
        for frame in set(frames):
            if _path(frame).split("/")[0] in PRODUCT and not _path(frame).endswith("cli.py"):
                inclusive[frame] += count
    if not total:
        return "(no samples)"
    wrapping = [f for f, n in inclusive.items() if n >= 0.97 * total]
    for frame in wrapping:
        del inclusive[frame]
    out = [f"{total} samples with the GIL held (Python's own CPU time).", "",
           "self time by package: " + ", ".join(f"{name} {n / total:.0%}" for name, n in packages.most_common(12))]
    out += ["", "the product's functions by inclusive time:", ""]
    out += [f"    {n / total:5.1%}  {frame}" for frame, n in inclusive.most_common(top)]
    out += ["", "functions by self time:", ""]
    out += [f"    {n / total:5.1%}  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(out)
