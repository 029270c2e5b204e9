"""JobRuntime: one process's broker, worker, outbox dispatcher and scheduler.

Which parts run depends on the process:

=====================  ======  =========  ========
process                worker  scheduler  dispatch
=====================  ======  =========  ========
``yishi serve``         yes     yes        yes      (embedded default)
``yishi serve``         no      no         yes      (with YISHI_BROKER_URL)
``yishi worker``        yes     no         yes      (Redis only)
``yishi scheduler``     no      yes        Redis only
=====================  ======  =========  ========

"dispatch" is handing committed outbox rows to the broker: right after
commit, at start-up (recovery) and on a periodic sweep.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import dramatiq
from sqlalchemy.exc import DBAPIError

from core import clock
from core.jobs import outbox
from core.jobs.broker import DEFAULT_TIME_LIMIT_MS, OUTBOX_OPTION, make_broker
from core.jobs.registry import JobSpec, ScheduledJob, UnknownJob, get_job, registered_jobs
from core.jobs.scheduler import DEFAULT_INTERVAL, Scheduler
from core.jobs.worker import InProcessWorker, LoopBridge

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_SWEEP_INTERVAL = 30.0
# How long a worker keeps retrying an outbox row update while the database is
# unreachable (our default; a fast PostgreSQL restart takes about 2 s).
DEFAULT_BOOKKEEPING_RETRY_SECONDS = 15.0
# Errors of an unreachable or restarting database (asyncpg's are wrapped in DBAPIError).
_DATABASE_DOWN = (DBAPIError, OSError)

T = TypeVar("T")


def lease_from(config) -> timedelta:
    """The outbox lease of ``config`` (``YISHI_OUTBOX_LEASE_SECONDS``, our default 900 s).

    A Redis message handed over this long ago and still not finished is
    presumed lost (its worker died) and handed over again. It must exceed the
    longest time a message can wait in the queue plus the job time limit
    (10 min by default), or a job that is merely slow or queued runs twice.
    """
    return timedelta(seconds=config.outbox_lease_seconds)


class JobRuntime:
    """Background jobs for one :class:`core.runtime.Runtime`.

    Job functions run with that runtime as their first argument. Coroutine
    jobs run on the loop that called :meth:`start` (the one that owns the
    database engine); plain functions run on a dramatiq worker thread.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        worker: bool,
        scheduler: bool,
        dispatch: bool = True,
        namespace: str = "yishi",
        worker_threads: int = 4,
        worker_timeout_ms: int | None = None,
        sweep_interval: float = DEFAULT_SWEEP_INTERVAL,
        scheduler_interval: float = DEFAULT_INTERVAL,
        lease: timedelta | None = None,
        stop_timeout: float = 30.0,
        bookkeeping_retry_seconds: float = DEFAULT_BOOKKEEPING_RETRY_SECONDS,
        scheduled_jobs: Sequence[ScheduledJob] | None = None,
    ):
        self.runtime = runtime
        self.backend = "embedded" if runtime.config.embedded_broker else "redis"
        self.namespace = namespace
        self.broker: dramatiq.Broker = make_broker(runtime.config, tracker=self, namespace=namespace)
        self.lease = lease if lease is not None else lease_from(runtime.config)
        if self.backend == "redis" and self.lease <= timedelta(milliseconds=DEFAULT_TIME_LIMIT_MS):
            # Allowed (the fault drill uses a short lease) but worth saying:
            # a job still running when its lease ends is handed over again.
            log.warning("outbox lease %ss is not longer than the %ss job time limit: slow jobs may run twice",
                        int(self.lease.total_seconds()), DEFAULT_TIME_LIMIT_MS // 1000)
        self.scheduler = Scheduler(runtime, scheduled_jobs, interval=scheduler_interval) if scheduler else None
        self._run_worker = worker
        self._dispatch = dispatch
        self._worker_threads = worker_threads
        # None: the configured poll (YISHI_JOB_WORKER_POLL_MS); an idle worker takes that long to stop.
        self._worker_timeout_ms = worker_timeout_ms if worker_timeout_ms is not None \
            else runtime.config.job_worker_poll_ms
        if self._worker_timeout_ms < 1:
            # 0 would have every idle worker thread spin.
            raise ValueError(f"the job worker poll (YISHI_JOB_WORKER_POLL_MS) must be at least 1 ms, "
                             f"not {self._worker_timeout_ms}")
        self._sweep_interval = sweep_interval
        self._stop_timeout = stop_timeout
        self._bookkeeping_retry_seconds = bookkeeping_retry_seconds
        self._actors: dict[str, dramatiq.Actor] = {}
        for spec in registered_jobs().values():
            self._declare(spec)
        self._worker: InProcessWorker | None = None
        self._bridge: LoopBridge | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = asyncio.Event()
        self._background: list[asyncio.Task] = []
        self._dispatches: set[asyncio.Task] = set()
        self._started = False
        self._stopping = False

    @classmethod
    def for_app(cls, runtime: Runtime, **overrides: Any) -> "JobRuntime":
        """The parts ``yishi serve`` runs: everything when embedded, only dispatch with Redis."""
        embedded = runtime.config.embedded_broker
        options: dict[str, Any] = dict(worker=embedded, scheduler=embedded, dispatch=True)
        options.update(overrides)
        return cls(runtime, **options)

    # --- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        self._loop = asyncio.get_running_loop()
        self._bridge = LoopBridge(self._loop)
        if self._run_worker:
            self._worker = InProcessWorker(
                self.broker, threads=self._worker_threads, timeout_ms=self._worker_timeout_ms
            )
            self._worker.start()
        if self._dispatch:
            # Re-hand lost messages *before* listening for commits: a row
            # claimed by the after-commit path during recovery would
            # otherwise look "dispatched, not done" and be sent twice.
            await self._guarded(self._recover_dispatched())
            outbox.register_dispatcher(self.runtime.engine, self)
            await self._guarded(self._hand_over(await outbox.claim_pending(self.runtime.sessions)))
            self._background.append(asyncio.create_task(self._sweep_loop(), name="yishi-outbox-sweep"))
        if self.scheduler is not None:
            self._background.append(asyncio.create_task(self.scheduler.run(self._stop), name="yishi-scheduler"))
        self._started = True
        log.info("jobs started: backend=%s worker=%s scheduler=%s dispatch=%s",
                 self.backend, self._run_worker, self.scheduler is not None, self._dispatch)

    async def stop(self) -> None:
        """Stop scheduling and sweeping, finish hand-overs, let running jobs end."""
        if not self._started or self._stopping:
            return
        self._stopping = True
        self._stop.set()
        outbox.unregister_dispatcher(self.runtime.engine, self)
        # Not cancelled: a sweep or tick stopped between claiming rows and
        # sending them would strand those rows until the next start or lease.
        await asyncio.gather(*self._background, return_exceptions=True)
        await asyncio.gather(*list(self._dispatches), return_exceptions=True)
        if self._worker is not None:
            await self._worker.stop(self._stop_timeout)
        self.broker.close()
        client = getattr(self.broker, "client", None)
        if client is not None:
            # The broker made the pool from the URL; closing the client alone leaves it open.
            client.connection_pool.disconnect()
        self._started = False
        log.info("jobs stopped")

    async def health(self) -> dict[str, Any]:
        """``{"status": "ok"|"error", "backend": "embedded"|"redis"}`` (plus ``detail`` on error)."""
        report: dict[str, Any] = {"status": "ok", "backend": self.backend}
        if not self._started:
            report.update(status="error", detail="job runtime not started")
        elif self.backend == "redis":
            try:
                await asyncio.wait_for(asyncio.to_thread(self.broker.client.ping), timeout=3)
            except Exception as exc:  # unreachable Redis is what this reports
                report.update(status="error", detail=f"redis unreachable: {exc}"[:200])
        elif self._worker is not None and not self._worker.running:
            report.update(status="error", detail="in-process worker is not running")
        return report

    # --- hand-over ------------------------------------------------------------

    def notify_committed(self, ids: list[int]) -> None:
        """Called by the after-commit listener, possibly from another thread."""
        if self._loop is None or self._stopping or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._spawn_dispatch, ids)

    def _spawn_dispatch(self, ids: list[int]) -> None:
        if self._stopping:
            return  # left pending; the next start or sweep hands them over
        task = asyncio.ensure_future(self._guarded(self._dispatch_committed(ids)))
        self._dispatches.add(task)
        task.add_done_callback(self._dispatches.discard)

    async def _dispatch_committed(self, ids: list[int]) -> list[int]:
        return await self._hand_over(await outbox.claim_pending(self.runtime.sessions, ids))

    async def sweep(self) -> list[int]:
        """Hand over what was left pending, and (Redis) what outlived its lease. Returns the ids sent."""
        sent = await self._hand_over(await outbox.claim_pending(self.runtime.sessions))
        if self.backend == "redis":
            stale = await outbox.claim_dispatched(self.runtime.sessions, before=clock.now() - self.lease)
            sent += await self._hand_over(stale)
        else:
            # Failed messages are also kept by the in-memory broker as dead
            # letters; the outbox row already records them, so drop the copies.
            for letters in list(getattr(self.broker, "dead_letters_by_queue", {}).values()):
                letters.clear()
        return sent

    async def _recover_dispatched(self) -> list[int]:
        # The in-memory broker forgot everything when the last process
        # ended, so every unfinished row goes again. Redis kept its
        # messages: only rows past their lease are presumed lost.
        before = None if self.backend == "embedded" else clock.now() - self.lease
        return await self._hand_over(await outbox.claim_dispatched(self.runtime.sessions, before=before))

    async def _hand_over(self, claimed: list[outbox.Claimed]) -> list[int]:
        if not claimed:
            return []
        messages: list[tuple[int, dramatiq.Actor, dict]] = []
        for row in claimed:
            try:
                actor = self._actor(row.actor)
            except UnknownJob as exc:
                # A row whose plugin is gone drops out instead of blocking the outbox.
                await outbox.mark_error(self.runtime.sessions, row.id, str(exc), final=True)
                continue
            messages.append((row.id, actor, row.kwargs))
        sent: list[int] = []

        def send_all() -> None:
            for outbox_id, actor, kwargs in messages:
                actor.send_with_options(kwargs=kwargs, **{OUTBOX_OPTION: outbox_id})
                sent.append(outbox_id)

        try:
            if self.backend == "redis":
                await asyncio.to_thread(send_all)  # redis-py is blocking
            else:
                send_all()
        except Exception as exc:
            unsent = [outbox_id for outbox_id, _, _ in messages if outbox_id not in sent]
            log.warning("broker refused %d job(s), left for the next sweep: %s", len(unsent), exc)
            await outbox.release(self.runtime.sessions, unsent, f"broker unavailable: {exc}")
        return sent

    async def _sweep_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self._sweep_interval)
                return
            except asyncio.TimeoutError:
                await self._guarded(self.sweep())

    async def _guarded(self, coro) -> Any:
        # Start-up, after-commit and sweep hand-overs must not take the app
        # down when the database or broker hiccups: rows stay in the outbox.
        try:
            return await coro
        except Exception:
            log.exception("outbox hand-over failed; will retry on the next sweep")
            return []

    # --- actors ---------------------------------------------------------------

    def _declare(self, spec: JobSpec) -> dramatiq.Actor:
        actor = dramatiq.Actor(
            self._bind(spec),
            broker=self.broker,
            actor_name=spec.name,
            queue_name=spec.queue,
            priority=0,
            options=spec.actor_options(),
        )
        self._actors[spec.name] = actor
        return actor

    def _actor(self, name: str) -> dramatiq.Actor:
        actor = self._actors.get(name)
        if actor is None:
            # A job registered after this runtime was built (a late import).
            actor = self._declare(get_job(name))
        return actor

    def _bind(self, spec: JobSpec):
        def run(**kwargs: Any) -> None:
            if spec.is_async:
                self._on_loop(spec.fn(self.runtime, **kwargs))
            else:
                spec.fn(self.runtime, **kwargs)
            # Return values are dropped on purpose: there is no Results backend.

        run.__module__ = spec.fn.__module__
        run.__qualname__ = run.__name__ = spec.fn.__name__
        return run

    def _on_loop(self, coro) -> Any:
        if self._bridge is None:
            coro.close()
            raise RuntimeError("JobRuntime is not started")
        return self._bridge.run(coro)

    # --- OutboxTracker (called on worker threads) -------------------------------

    # A database restart takes seconds (benchmarks/faults.sh), so each row
    # update is retried for a while instead of being dropped: dramatiq logs a
    # middleware error and carries on, so a lost "done" would run the job
    # again after its lease, and a lost in-flight check would run it unchecked.

    def job_started(self, outbox_id: int) -> bool:
        try:
            return self._bookkeep(lambda: outbox.mark_started(self.runtime.sessions, outbox_id))
        except _DATABASE_DOWN:
            if self.backend != "redis":
                # No lease in embedded mode to bring a skipped row back, and
                # one process holds the only copy: dramatiq runs it unchecked.
                raise
            # Not run without the check: the row stays dispatched and its
            # lease hands it over again once the database is back.
            log.warning("outbox row %s: database unreachable, job left for its lease", outbox_id)
            return False

    def job_succeeded(self, outbox_id: int) -> None:
        self._bookkeep(lambda: outbox.mark_done(self.runtime.sessions, outbox_id))

    def job_errored(self, outbox_id: int, error: str, *, final: bool) -> None:
        self._bookkeep(lambda: outbox.mark_error(self.runtime.sessions, outbox_id, error, final=final))

    def job_retry_scheduled(self, outbox_id: int, delay_ms: int) -> None:
        until = clock.now() + timedelta(milliseconds=delay_ms)
        self._bookkeep(lambda: outbox.extend_lease(self.runtime.sessions, outbox_id, until))

    def _bookkeep(self, make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
        deadline = time.monotonic() + self._bookkeeping_retry_seconds
        pause = 0.25
        while True:
            try:
                return self._on_loop(make_coro())
            except _DATABASE_DOWN as exc:
                if self._stopping or time.monotonic() + pause > deadline:
                    raise
                log.warning("outbox update failed, retrying in %.2fs: %s", pause, str(exc)[:200])
                time.sleep(pause)  # a worker thread, not the loop
                pause = min(pause * 2, 2.0)
