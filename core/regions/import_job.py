"""A city's division import started from a page and run as a job, with its progress and summary.

:func:`start_import` checks the data completely while the user waits (:func:`read_divisions`:
a malformed line is refused with its ``file:line`` and nothing is written), keeps uploaded files
in the run's folder and enqueues the job in the caller's transaction. The job applies the data
in one transaction of its own (:func:`apply_divisions`), reporting each batch it handles.

Progress and outcome are kept in ``<data_dir>/imports/<run>/status.json``, replaced whole at each
step so a reader never sees half of it: the page polls it while the job's own transaction is
still open, which no other transaction could read from the database before the commit. The job's
outbox row says whether a run is still under way, so a run whose enqueueing was rolled back
blocks nothing and is not listed.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.errors import ApiError, conflict
from core.jobs import enqueue, job
from core.jobs.outbox import DISPATCHED, PENDING
from core.jobs.outbox import DONE as JOB_DONE, FAILED as JOB_FAILED
from core.models import OutboxJob
from core.regions.importer import FILE_SPECS, ImportReport, apply_divisions, read_divisions

IMPORT_JOB = "regions.import_divisions"
# The files a division directory holds, as the importer names them.
FILE_STEMS = tuple(spec.stem for spec in FILE_SPECS)
_RUN_ID = re.compile(r"^[0-9a-f]{16}$")
_GZIP_MAGIC = b"\x1f\x8b"
# Runs listed on the import page.
RECENT_RUNS = 5
RETIRED_LISTED = 100

QUEUED, READING, WRITING, DONE, FAILED = "queued", "reading", "writing", "done", "failed"


@dataclass
class ImportStatus:
    run_id: str
    city_code: str
    # "upload" or "shipped"
    source: str
    started_by: str
    started_at: str
    job_id: int | None = None
    state: str = QUEUED
    total: int = 0
    done: int = 0
    finished_at: str | None = None
    # Per level: created, renamed, reactivated, unchanged, retired.
    summary: dict[str, dict[str, int]] = field(default_factory=dict)
    # (zh, en) of what stopped the run.
    errors: list[list[str]] = field(default_factory=list)
    # The first codes retired (no longer in the data), for the summary to name.
    retired: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    def totals(self) -> dict[str, int]:
        """Created, renamed, reactivated, unchanged and retired regions over every level."""
        keys = ("created", "renamed", "reactivated", "unchanged", "retired")
        return {key: sum(level.get(key, 0) for level in self.summary.values()) for key in keys}


def imports_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "imports"


def _run_dir(data_dir: Path, run_id: str) -> Path:
    if not _RUN_ID.match(run_id):
        raise ValueError(f"not a run id: {run_id!r}")
    return imports_dir(data_dir) / run_id


def read_status(data_dir: Path, run_id: str) -> ImportStatus | None:
    """The run's status, or None for an id that is malformed or names no run."""
    if not _RUN_ID.match(run_id or ""):
        return None
    try:
        return ImportStatus(**json.loads((_run_dir(data_dir, run_id) / "status.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _write_status(data_dir: Path, status: ImportStatus) -> None:
    folder = _run_dir(data_dir, status.run_id)
    temporary = folder / "status.json.tmp"
    temporary.write_text(json.dumps(asdict(status), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, folder / "status.json")


async def run_status(session: AsyncSession, data_dir: Path, run_id: str) -> ImportStatus | None:
    """The run's status as the page shows it; None for no run, or one whose enqueueing never committed.

    A job that ended without saying so (its worker did not know it, say) is shown as failed
    rather than waiting for ever."""
    status = read_status(data_dir, run_id)
    if status is None or status.job_id is None:
        return None
    job_state = await session.scalar(select(OutboxJob.status).where(OutboxJob.id == status.job_id))
    if job_state is None:
        return None
    if not status.finished and job_state in (JOB_DONE, JOB_FAILED):
        status.state = FAILED
        status.errors = [["导入任务已结束但未报告结果；可以再次导入，导入只改动与数据不同之处",
                          "the import job ended without reporting its result; importing again is safe, "
                          "an import changes only what differs"]]
    return status


async def _running_job_ids(session: AsyncSession, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(await session.scalars(select(OutboxJob.id).where(OutboxJob.id.in_(ids),
                                                                  OutboxJob.status.in_((PENDING, DISPATCHED)))))


async def recent_runs(session: AsyncSession, data_dir: Path, city_code: str) -> list[ImportStatus]:
    """The city's latest runs, newest first, leaving out any whose job never committed."""
    folder = imports_dir(data_dir)
    runs = [status for path in (folder.iterdir() if folder.is_dir() else ())
            if (status := read_status(data_dir, path.name)) is not None and status.city_code == city_code]
    ids = [r.job_id for r in runs if r.job_id is not None]
    existing = set(await session.scalars(select(OutboxJob.id).where(OutboxJob.id.in_(ids)))) if ids else set()
    runs = [r for r in runs if r.job_id in existing]
    return sorted(runs, key=lambda r: r.started_at, reverse=True)[:RECENT_RUNS]


async def run_in_progress(session: AsyncSession, data_dir: Path, city_code: str) -> ImportStatus | None:
    runs = await recent_runs(session, data_dir, city_code)
    running = await _running_job_ids(session, [r.job_id for r in runs if r.job_id is not None])
    return next((r for r in runs if r.job_id in running), None)


def _store_uploads(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir()
    for stem, content in files.items():
        # The importer tells the two apart by the name: keep a compressed upload compressed.
        name = f"{stem}.csv.gz" if content.startswith(_GZIP_MAGIC) else f"{stem}.csv"
        (folder / name).write_bytes(content)


async def start_import(session: AsyncSession, data_dir: Path, city_code: str, *, actor: Any, started_by: str,
                       uploads: dict[str, bytes] | None = None, shipped: Path | None = None) -> ImportStatus:
    """Check the city's division data (``uploads``: the four files' contents by stem; or the
    ``shipped`` directory) and enqueue its import in the caller's transaction.

    Raises a validation error naming each bad ``file:line`` (nothing kept, nothing enqueued), or
    409 while another import of the city is under way.
    """
    if await run_in_progress(session, data_dir, city_code) is not None:
        raise conflict("import_running", "本市的区划导入正在进行，请等待其完成",
                       "an import of this city's divisions is under way; wait for it to finish")
    run_id = secrets.token_hex(8)
    folder = _run_dir(data_dir, run_id)
    source = folder / "data" if uploads is not None else Path(shipped)
    folder.mkdir(parents=True)
    try:
        if uploads is not None:
            _store_uploads(source, uploads)
        divisions = read_divisions(source, [city_code])
    except ApiError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    status = ImportStatus(run_id=run_id, city_code=city_code, started_by=started_by,
                          source="upload" if uploads is not None else "shipped",
                          started_at=clock.now().isoformat(), total=divisions.count())
    row = await enqueue(session, IMPORT_JOB, run_id=run_id, city_code=city_code, source=str(source))
    status.job_id = row.id
    _write_status(data_dir, status)
    await record(session, actor=actor, action="regions.import", object_type="division_import", object_id=run_id,
                 region_code=city_code, after={"source": status.source, "rows": status.total, "job_id": row.id})
    return status


def _summary(report: ImportReport) -> dict[str, dict[str, int]]:
    return {level.value: {"created": c.created, "renamed": c.updated, "reactivated": c.reactivated,
                          "unchanged": c.unchanged, "retired": c.deactivated}
            for level, c in report.levels.items()}


@job(name=IMPORT_JOB, max_retries=0)
async def import_divisions(runtime, run_id: str, city_code: str, source: str) -> None:
    """Apply the checked division data of ``city_code`` from ``source``, reporting to the run's status."""
    data_dir = runtime.config.data_dir
    status = read_status(data_dir, run_id)
    if status is None or status.finished:
        return  # a redelivered message of a run already over
    status.state, status.done = READING, 0
    _write_status(data_dir, status)

    def advance(handled: int) -> None:
        status.done = min(status.total, status.done + handled)
        _write_status(data_dir, status)

    try:
        divisions = read_divisions(source, [city_code])
        status.state, status.total = WRITING, divisions.count()
        _write_status(data_dir, status)
        async with runtime.sessions() as session, session.begin():
            report = await apply_divisions(session, divisions, progress=advance)
            status.summary, status.retired = _summary(report), report.deactivated_codes[:RETIRED_LISTED]
            await record(session, actor=f"job:{IMPORT_JOB}", action="regions.import.done",
                         object_type="division_import", object_id=run_id, region_code=city_code,
                         after={"levels": status.summary, "retired": status.retired})
    except ApiError as err:
        status.state, status.errors = FAILED, [[f.message_zh, f.message_en] for f in err.fields] or [
            [err.message_zh, err.message_en]]
        raise
    except BaseException:
        status.state = FAILED
        status.errors = [["导入未完成，未写入任何内容", "the import did not finish; nothing was written"]]
        raise
    else:
        status.state, status.done = DONE, status.total
    finally:
        status.finished_at = clock.now().isoformat()
        _write_status(data_dir, status)
        if status.finished and status.source == "upload":
            shutil.rmtree(Path(source), ignore_errors=True)
