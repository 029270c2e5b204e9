"""Declaring jobs: plain functions recorded by name, not dramatiq actors.

dramatiq binds an actor to a broker when the actor is declared, and a
module-level ``@dramatiq.actor`` declared before any broker is configured
silently creates a RabbitMQ broker. So declaring a job here only records
the function; each :class:`core.jobs.runtime.JobRuntime` turns the records
into actors on its own broker. That also lets several runtimes (embedded
and Redis) live in one test process.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from croniter import croniter

DEFAULT_QUEUE = "default"


@dataclass(frozen=True)
class JobSpec:
    """A registered job: its function and how the broker should treat it."""

    name: str
    fn: Callable[..., Any]
    queue: str = DEFAULT_QUEUE
    # None means "the broker's default" (see core.jobs.broker).
    max_retries: int | None = None
    min_backoff_ms: int | None = None
    max_backoff_ms: int | None = None
    time_limit_ms: int | None = None

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    def actor_options(self) -> dict[str, Any]:
        """Options understood by dramatiq's Retries and TimeLimit middleware."""
        options = {
            "max_retries": self.max_retries,
            "min_backoff": self.min_backoff_ms,
            "max_backoff": self.max_backoff_ms,
            "time_limit": self.time_limit_ms,
        }
        return {key: value for key, value in options.items() if value is not None}


class UnknownJob(LookupError):
    """No job of that name is registered in this process."""


_JOBS: dict[str, JobSpec] = {}


def job(
    *,
    name: str,
    queue: str = DEFAULT_QUEUE,
    max_retries: int | None = None,
    min_backoff_ms: int | None = None,
    max_backoff_ms: int | None = None,
    time_limit_ms: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(runtime, **kwargs)`` (sync or async) as the job ``name``.

    The function is returned unchanged, so it can still be called directly
    (in a test, or from another job). Keyword arguments must be JSON values:
    they are stored in the outbox row and travel through the broker.
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        existing = _JOBS.get(name)
        # Re-importing the same module (reload, a second test collection)
        # re-registers the same function; two different functions under one
        # name is a mistake that would make dispatch ambiguous.
        if existing is not None and _origin(existing.fn) != _origin(fn):
            raise ValueError(f"job {name!r} is already registered by {_origin(existing.fn)}")
        _JOBS[name] = JobSpec(
            name=name,
            fn=fn,
            queue=queue,
            max_retries=max_retries,
            min_backoff_ms=min_backoff_ms,
            max_backoff_ms=max_backoff_ms,
            time_limit_ms=time_limit_ms,
        )
        return fn

    return register


def _origin(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def get_job(name: str) -> JobSpec:
    try:
        return _JOBS[name]
    except KeyError:
        raise UnknownJob(f"no job named {name!r} is registered (is its plugin installed?)") from None


def registered_jobs() -> dict[str, JobSpec]:
    return dict(_JOBS)


@dataclass(frozen=True)
class ScheduledJob:
    """A periodic job declared by a plugin through ``yishi_scheduled_jobs``.

    ``name`` identifies the schedule (its fires are recorded under it);
    ``job`` is the registered job it enqueues, with ``kwargs``. ``cron`` is a
    five- (or six-, with seconds) field expression evaluated in UTC.
    """

    name: str
    cron: str
    job: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if not croniter.is_valid(self.cron):
            raise ValueError(f"scheduled job {self.name!r}: invalid cron expression {self.cron!r}")
