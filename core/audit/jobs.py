"""The periodic checkpoint, declared as a job and scheduled by the ``core`` plugin."""
from __future__ import annotations

import logging

from core.audit.service import CheckpointRefused, take_checkpoint
from core.jobs import ScheduledJob, job

log = logging.getLogger(__name__)

CHECKPOINT_JOB = "core.audit_checkpoint"
# Our default: hourly. Entries appended and deleted again within one period are what goes unnoticed.
CHECKPOINT_CRON = "0 * * * *"


# No retries: a refusal means the chain does not check out, and trying again will not fix that.
@job(name=CHECKPOINT_JOB, max_retries=0)
async def checkpoint_audit_chain(runtime) -> int:
    """Append the chain's head to the checkpoint file; fails (and logs) when the chain does not hold."""
    async with runtime.read_sessions() as session:
        try:
            checkpoint, _ = await take_checkpoint(session)
        except CheckpointRefused as exc:
            log.error("audit checkpoint refused: %s", exc.report.describe())
            raise
    return checkpoint.entry_id


CHECKPOINT_SCHEDULE = ScheduledJob(
    name=CHECKPOINT_JOB,
    cron=CHECKPOINT_CRON,
    job=CHECKPOINT_JOB,
    description="Write the audit chain's head to <data_dir>/audit.checkpoints.",
)
