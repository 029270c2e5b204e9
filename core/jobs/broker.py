"""The one place a dramatiq broker is made, and the middleware that keeps
the outbox row in step with what the worker did."""
from __future__ import annotations

import logging
import traceback
from typing import Protocol

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware, Retries, ShutdownNotifications, SkipMessage, TimeLimit

from core.config import Config

log = logging.getLogger(__name__)

OUTBOX_OPTION = "outbox_id"

# Defaults for jobs that do not set their own (see core.jobs.registry.job).
DEFAULT_MAX_RETRIES = 5
DEFAULT_MIN_BACKOFF_MS = 15_000
DEFAULT_MAX_BACKOFF_MS = 60 * 60 * 1000
# Lower than the Redis lease in core.jobs.runtime, so a message re-handed
# after its lease cannot still be running in another worker.
DEFAULT_TIME_LIMIT_MS = 10 * 60 * 1000


class OutboxTracker(Protocol):
    """What the middleware needs from the runtime (called on worker threads)."""

    def job_started(self, outbox_id: int) -> bool: ...

    def job_succeeded(self, outbox_id: int) -> None: ...

    def job_errored(self, outbox_id: int, error: str, *, final: bool) -> None: ...

    def job_retry_scheduled(self, outbox_id: int, delay_ms: int) -> None: ...


class OutboxMiddleware(Middleware):
    """Marks the outbox row of each message: attempt, done, error, failed.

    Messages carry their row id in the ``outbox_id`` option; messages sent
    some other way pass through untouched.
    """

    def __init__(self, tracker: OutboxTracker):
        self.tracker = tracker

    def before_process_message(self, broker, message):
        outbox_id = message.options.get(OUTBOX_OPTION)
        if outbox_id is None:
            return
        if not self.tracker.job_started(outbox_id):
            # Delivered again after it finished (a lease expired while the
            # first delivery was slow, or two recoveries raced): at-least-once
            # delivery, but the job itself runs once per row.
            raise SkipMessage(f"outbox row {outbox_id} is not in flight")

    def after_process_message(self, broker, message, *, result=None, exception=None):
        outbox_id = message.options.get(OUTBOX_OPTION)
        if outbox_id is None:
            return
        if exception is None:
            self.tracker.job_succeeded(outbox_id)
            return
        detail = "".join(traceback.format_exception(exception, limit=20))
        # Runs after Retries (see the order in make_broker), which has by now
        # either re-enqueued the message or marked it failed.
        self.tracker.job_errored(outbox_id, detail, final=bool(message.failed))

    def after_enqueue(self, broker, message, delay):
        outbox_id = message.options.get(OUTBOX_OPTION)
        if outbox_id is not None and delay:
            self.tracker.job_retry_scheduled(outbox_id, delay)


def make_broker(config: Config, *, tracker: OutboxTracker, namespace: str = "yishi") -> dramatiq.Broker:
    """A fresh broker for one runtime: in memory by default, Redis with ``YISHI_BROKER_URL``.

    Never installed as dramatiq's global broker: actors are bound to it
    explicitly, so runtimes do not interfere and nothing falls back to
    dramatiq's implicit RabbitMQ default.

    ``before_*`` hooks run in list order and ``after_*`` hooks in reverse,
    which is what the order below relies on.
    """
    middleware = [
        # Kills a job that overruns its time limit (default 10 minutes),
        # so a stuck job cannot hold a worker thread, or its lease, forever.
        TimeLimit(time_limit=DEFAULT_TIME_LIMIT_MS),
        # Lets jobs that ask for it (notify_shutdown) be interrupted on stop.
        ShutdownNotifications(),
        # Before Retries so that its after_process_message runs *after*
        # Retries has decided between "retry later" and "failed for good".
        OutboxMiddleware(tracker),
        # Exponential backoff; a job may set its own max_retries / backoff.
        Retries(
            max_retries=DEFAULT_MAX_RETRIES,
            min_backoff=DEFAULT_MIN_BACKOFF_MS,
            max_backoff=DEFAULT_MAX_BACKOFF_MS,
        ),
        # Not used: Results (no job returns a value we keep; it would need
        # its own backend=), Callbacks and Pipelines (jobs chain by enqueuing
        # through the outbox, which keeps the chain transactional), AgeLimit,
        # and AsyncIO (coroutines run on the runtime's loop, see worker.py).
    ]
    if config.embedded_broker:
        # dramatiq's in-memory broker: nothing to install, and what it forgets
        # on restart is handed over again from the outbox.
        return StubBroker(middleware=middleware)
    return RedisBroker(url=config.broker_url, namespace=namespace, middleware=middleware)
