"""Plugin ``ningbo``: 宁波市 community consultation (seed 001). See README.md.

Everything the variant supplies, in one declaration: its procedure (made
the region's default), its catalogue, two kinds of meeting, the 五个有
standard, what its own actions record and require, the topic view
section, demo points, routes, and its tables with their alembic branch.
"""
from __future__ import annotations

from pathlib import Path

from core.consultation.kinds import MeetingKind
from core.plugins import ActionReaction, ComplianceStandard, Variant, variant_plugin
from plugins.ningbo import (assembly, catalogue, demonstration, estate_joint, five_haves, models, plan_notice,
                            topic_actions)
from plugins.ningbo.procedure import (ASSEMBLY_DECISION, ASSEMBLY_REJECTS, CLOSE, KEY, MARK_RESERVED, PROCEDURES,
                                      PUBLISH_PLAN, RECORD_RESOLUTION, REFER_RESERVED, REFER_TO_ASSEMBLY,
                                      UNMARK_RESERVED)
from plugins.ningbo.routes import ROUTES
from plugins.ningbo.settings import NAME, SETTINGS

# 001 §二(四): matters of wide concern may take a special session (专题议事会)
# or a hearing (民主听证会, a core kind); §二(三): the estate joint meeting.
SPECIAL_SESSION = MeetingKind("special_session", "专题议事会", "special session")

VARIANT = Variant(
    name=NAME,
    title_zh="宁波市社区协商",
    title_en="Ningbo community consultation",
    description="Ningbo's general consultation procedure, the 五个有 standard with the district and city "
                "report, demonstration points (示范观察点) and housing-estate joint meetings (seed 001).",
    settings=SETTINGS,
    # Version 1 stays for the topics begun under it.
    procedures=PROCEDURES,
    default_procedure=KEY,
    catalogue=catalogue.ITEMS,
    meeting_kinds=(estate_joint.KIND, SPECIAL_SESSION),
    compliance=(ComplianceStandard(five_haves.STANDARD, ("community",), five_haves.check_community),),
    view_sections={"ningbo": topic_actions.view_section},
    # After the built-ins have recorded what the action carries: the outcome a
    # joint meeting's parties are checked against, the meeting whose plan is
    # published, the results notice the plan's notice gives way to, the objections
    # a referral to the residents' meeting takes along.
    on_action_recorded=(
        # Any procedure: the joint meeting's four parties are Ningbo's rule, not its procedure's.
        ActionReaction(estate_joint.require_parties_for_outcome, kinds=("resolution",)),
        ActionReaction(topic_actions.publish_plan, keys=(PUBLISH_PLAN,), procedure=KEY),
        ActionReaction(plan_notice.give_way, keys=(RECORD_RESOLUTION.key, ASSEMBLY_DECISION), procedure=KEY),
        ActionReaction(topic_actions.require_evaluation, keys=(CLOSE.key,), procedure=KEY),
        ActionReaction(assembly.mark, keys=(MARK_RESERVED,), procedure=KEY),
        ActionReaction(assembly.unmark, keys=(UNMARK_RESERVED,), procedure=KEY),
        ActionReaction(assembly.consulted_again, kinds=("resolution",), procedure=KEY),
        ActionReaction(assembly.refer, keys=(REFER_TO_ASSEMBLY, REFER_RESERVED), procedure=KEY),
        ActionReaction(assembly.decide, keys=(ASSEMBLY_DECISION, ASSEMBLY_REJECTS), procedure=KEY),
    ),
    demo_seed=demonstration.seed_demo_points,
    routes=ROUTES,
    models=models,
    migrations=Path(__file__).with_name("migrations"),
)

PLUGIN = variant_plugin(VARIANT)
