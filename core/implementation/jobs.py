"""The overdue reminder job."""
from __future__ import annotations

from datetime import timedelta

from core.implementation.reminders import remind_overdue
from core.jobs import job

REMIND_OVERDUE = "implementation.remind_overdue"


@job(name=REMIND_OVERDUE, max_retries=3)
async def remind_overdue_tasks(runtime, every_hours: int = 24) -> int:
    """Write reminders for overdue tasks not reminded in the last ``every_hours``."""
    # Two runs at once remind each task once: the second waits on the first's
    # row locks (PostgreSQL) or write lock (SQLite, core.db) and then finds the
    # tasks reminded.
    async with runtime.sessions() as session, session.begin():
        return await remind_overdue(session, every=timedelta(hours=every_hours))
