"""Built-in plugin ``notices``: the public notice board and objections.

Publishes a notice when a procedure action starts the notice timer, keeps
objections and answers on the board, adds the ``notices`` section to a
topic's view and closes expired notices every ten minutes.
"""
from __future__ import annotations

from core.authz.roles import covers
from core.jobs import ScheduledJob
from core.notices import jobs, service
from core.plugins import PluginManifest, SettingSpec, hookimpl
from core.topics.service import HANDLER_ROLES

MANIFEST = PluginManifest(
    name="notices",
    title_zh="公开公示",
    title_en="public notice",
    description="Public notices of consultation results, objections and the council's answers.",
    builtin=True,
    settings={
        "objections_per_hour": SettingSpec(int, 5, "每个来源每小时最多提出的异议数",
                                           "objections one client may raise per hour", minimum=1, maximum=1000),
    },
)


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST


@hookimpl(trylast=True)
def yishi_scheduled_jobs():
    return [ScheduledJob(name=jobs.CLOSE_EXPIRED, cron="*/10 * * * *", job=jobs.CLOSE_EXPIRED,
                         description="Close public notices whose period has ended.")]


@hookimpl(trylast=True)
async def yishi_topic_action_taken(session, topic, action, payload, event, principal):
    await service.on_action_taken(session, topic, action, payload, event, principal)


def handles(principal, region_code: str) -> bool:
    """Whether the caller handles the topic's business (and may call objectors back)."""
    return principal is not None and any(
        role in HANDLER_ROLES and covers(role, where, region_code) for role, where in principal.grants)


@hookimpl(trylast=True)
async def yishi_topic_view_sections(session, topic, principal):
    return {"notices": await service.topic_notices(session, topic,
                                                   full_contact=handles(principal, topic.region_code))}
