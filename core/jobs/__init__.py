"""Background jobs: declared with ``@job``, enqueued through the outbox,
run by dramatiq, fired on a schedule. See core/jobs/README.md.

Only the light declaration API is imported here, so a plugin module can
``from core.jobs import job, ScheduledJob, enqueue`` without pulling in
brokers or the runtime.
"""
from core.jobs.outbox import enqueue
from core.jobs.registry import ScheduledJob, UnknownJob, job

__all__ = ["ScheduledJob", "UnknownJob", "enqueue", "job"]
