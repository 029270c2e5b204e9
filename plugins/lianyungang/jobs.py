"""The daily quarterly-activity job (seed 003 §五: 每季度开展一次协商议事活动)."""
from __future__ import annotations

from core.jobs import ScheduledJob, job
from plugins.lianyungang.quarter_checks import run_checks

CHECK_QUARTERLY_ACTIVITY = "lianyungang.check_quarterly_activity"

# 01:00 UTC is 09:00 in Beijing: reminders and flags arrive at the start of the working day.
SCHEDULE = ScheduledJob(name=CHECK_QUARTERLY_ACTIVITY, cron="0 1 * * *", job=CHECK_QUARTERLY_ACTIVITY,
                        description="Remind consultation homes without an activity late in the quarter; "
                                    "flag those that ended a quarter without one to the district and city CPPCC.")


@job(name=CHECK_QUARTERLY_ACTIVITY, max_retries=3)
async def check_quarterly_activity(runtime) -> dict:
    """One pass over every home on today's Beijing date; re-running it changes nothing."""
    return (await run_checks(runtime)).as_dict()
