"""What the bench's modules share: where things are, how to reach the bench database, timing."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

# The clone the bench belongs to, and the source tree of the product it measures: the
# same one, or a git revision exported by ``bench/run --rev`` (the bench's own code then
# still comes from ROOT, the product's from TREE, which comes first on the path).
ROOT = Path(__file__).resolve().parent.parent
TREE = Path(os.environ.get("BENCH_TREE") or ROOT)
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
# Per-database state kept next to the bench: the audit key and checkpoint file the
# product uses with that database, and what the build chose (meta.json).
STATE = BENCH / ".state"
VENV = Path(os.environ.get("BENCH_VENV") or ROOT / ".venv")
PYTHON = str(VENV / "bin" / "python")
YISHI = str(VENV / "bin" / "yishi")

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
# Only databases with this prefix are ever created or dropped by the bench.
DB_PREFIX = "yishi_bench_"


def dsn(database: str) -> str:
    """asyncpg's form."""
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def sqlalchemy_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def python_path() -> str:
    return str(ROOT) if TREE == ROOT else f"{TREE}:{ROOT}"


def state_dir(database: str) -> Path:
    return STATE / database


def product_env(database: str, **extra: str) -> dict[str, str]:
    """The environment ``yishi`` runs with against the bench database."""
    env = dict(os.environ)
    # Nothing of the caller's own Yishi setup may leak into the bench.
    for key in list(env):
        if key.startswith("YISHI_"):
            del env[key]
    env.update(YISHI_DATABASE_URL=sqlalchemy_url(database), YISHI_DATA_DIR=str(state_dir(database)),
               PYTHONPATH=python_path(), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def yishi(database: str, *args: str, quiet: bool = True) -> str:
    """Run a ``yishi`` command against the bench database; its output, or a loud failure."""
    done = subprocess.run([YISHI, *args], cwd=TREE, env=product_env(database), capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"!! yishi {' '.join(args)} failed (exit {done.returncode})")
    if not quiet:
        sys.stdout.write(done.stdout)
    return done.stdout


class Timings:
    """Each step's wall time, printed as it ends and kept for the results file."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str):
        print(f"==> {name}", flush=True)
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        self.steps.append((name, elapsed))
        print(f"    {name}: {elapsed:.1f} s", flush=True)

    def total(self) -> float:
        return sum(t for _, t in self.steps)
