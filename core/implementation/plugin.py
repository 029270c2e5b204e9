"""Built-in plugin ``implementation``: tasks, progress, supervision, ratings.

Adds the ``implementation`` section to a topic's view and checks overdue
tasks every hour (each task is reminded at most once a day).
"""
from __future__ import annotations

from core.implementation import jobs, service
from core.jobs import ScheduledJob
from core.plugins import PluginManifest, hookimpl

MANIFEST = PluginManifest(
    name="implementation",
    title_zh="跟踪落实与评议",
    title_en="implementation and evaluation",
    description="Implementation tasks with deadlines and reminders, supervision notes, ratings and "
                "third-party evaluation reports.",
    builtin=True,
)


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST


@hookimpl(trylast=True)
def yishi_scheduled_jobs():
    return [ScheduledJob(name=jobs.REMIND_OVERDUE, cron="0 * * * *", job=jobs.REMIND_OVERDUE,
                         description="Remind responsible parties and councils of overdue tasks.")]


@hookimpl(trylast=True)
async def yishi_topic_view_sections(session, topic, principal):
    return {"implementation": await service.implementation_view(session, topic)}
