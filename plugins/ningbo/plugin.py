"""Plugin ``ningbo``: 宁波市 community consultation (seed 001). See README.md.

The hooks only delegate: the procedure (``procedure``), 五个有
(``five_haves``, ``report``), demonstration points (``demonstration``),
housing-estate joint meetings (``estate_joint``) and what Ningbo's own
actions record and require (``topic_actions``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.consultation.service import MeetingKind
from core.escalation.service import plugin_host_of
from core.plugins import hookimpl
# models: imported so that the plugin's tables join the metadata migrations see.
from plugins.ningbo import catalogue, demonstration, estate_joint, five_haves, models, topic_actions  # noqa: F401
from plugins.ningbo.manifest import MANIFEST
from plugins.ningbo.procedure import KEY, NINGBO


@hookimpl
def yishi_manifest():
    return MANIFEST


@hookimpl
def yishi_procedures():
    return [NINGBO]


@hookimpl
def yishi_procedure_for_region(region_code: str, settings: Mapping[str, Any]):
    return KEY


@hookimpl
def yishi_catalogue(region_code: str):
    return list(catalogue.ITEMS)


# 001 §二(四): matters of wide concern may take a special session (专题议事会)
# or a hearing (民主听证会, a core kind); §二(三): the estate joint meeting.
SPECIAL_SESSION = MeetingKind("special_session", "专题议事会", "special session")


@hookimpl
def yishi_meeting_kinds(region_code: str):
    return [estate_joint.KIND, SPECIAL_SESSION]


@hookimpl
def yishi_compliance_checks(session, region_code: str, level: str, on_date):
    if level != "community":
        return None
    return five_haves.check_community(session, plugin_host_of(session), region_code, on_date)


@hookimpl(wrapper=True)
def yishi_topic_action_taken(session, topic, action, payload, event, principal):
    # A wrapper, so that its work is awaited after the built-ins have
    # recorded what the action carries (the outcome a joint meeting's
    # parties are checked against).
    answers = yield
    return [*(answers or []), topic_actions.after_action(session, plugin_host_of(session), topic, action,
                                                         payload or {}, event, principal)]


@hookimpl
def yishi_topic_view_sections(session, topic, principal):
    if topic.procedure_key != KEY:
        return None
    return _ningbo_section(session, topic)


async def _ningbo_section(session, topic):
    return {"ningbo": await topic_actions.evaluation_section(session, plugin_host_of(session), topic)}


@hookimpl
def yishi_demo_seeded(session, city_code, council_regions, seed):
    return demonstration.seed_demo_points(session, list(council_regions))


@hookimpl
def yishi_routes():
    from plugins.ningbo.routes import ROUTES

    return ROUTES
