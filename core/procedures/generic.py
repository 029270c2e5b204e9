"""Built-in plugin ``procedure``: the generic six-step procedure (六步议事法).

收集议题 → 确定议题 → 议前调研 → 协商议事 → 公开公示 → 跟踪落实, grouped in
three stages (议题选定 / 议题协商 / 议题决策) as in Tianshui's 三段六步 and
Jinchang's 六步议事法 (DOMAIN.md §4). Its hooks are ``trylast`` so that a
regional plugin's procedure wins where it is enabled.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.authz.roles import Role
from core.implementation.guards import tasks_done
from core.notices.guards import notice_period_open
from core.plugins import PluginManifest, SettingSpec, hookimpl
from core.procedures import guards
from core.procedures.model import Action, Procedure, Stage, Step, Timer

GENERIC_KEY = "generic"
# The region setting that names the procedure new topics start under.
PROCEDURE_SETTING = "procedure.key"
NOTICE_DAYS_SETTING = "core.notice_days"

# Who screens and runs the council's business day to day.
LEADS = frozenset({Role.council_chair, Role.council_secretary, Role.street_staff})
# Who confirms: the chair, or the street on the party organisation's behalf.
CONFIRMERS = frozenset({Role.council_chair, Role.street_staff})
MEMBERS = frozenset({Role.council_chair, Role.council_secretary, Role.council_member, Role.cppcc_member})
# Anyone the topic's region reaches may object to a public notice.
PUBLIC = frozenset(Role) - {Role.platform_admin}

_reject = Action("reject", "不予协商", "reject", LEADS, to_status="rejected", kind="screen_reject",
                 note_required=True)

STAGES = (
    Stage("selection", "议题选定", "topic selection"),
    Stage("consultation", "议题协商", "topic consultation"),
    Stage("decision", "议题决策", "topic decision"),
)

STEPS = (
    Step("collect", "收集议题", "collect topics", "selection", (
        Action("admit", "受理议题", "admit for consultation", LEADS, to_step="confirm", kind="screen_admit"),
        _reject,
    )),
    Step("confirm", "确定议题", "confirm the topic", "selection", (
        Action("confirm", "确定议题", "confirm the topic", CONFIRMERS, to_step="research"),
        _reject,
    )),
    Step("research", "议前调研", "research", "consultation", (
        # kind: the consultation plugin records what these carry (core.consultation.plugin):
        # payload method / findings / draft_plan / attachments.
        Action("record_research", "记录调研", "record research", MEMBERS,
               counts=((guards.RESEARCH, 1),), note_required=True, kind="research"),
        # payload meeting_id, or form / kind / starts_at / place / participants for a new meeting.
        Action("schedule_meeting", "安排协商会议", "schedule the meeting", LEADS, to_step="consult",
               guards=(guards.research_recorded,), kind="schedule_meeting"),
    )),
    Step("consult", "协商议事", "consult", "consultation", (
        # Needs a passed vote with quorum (409 otherwise); payload form / text /
        # responsible_party / measures / deadline makes the outcome.
        Action("record_resolution", "形成议事决议并公示", "record the resolution and publish it", LEADS,
               to_step="publicize", note_required=True, kind="resolution",
               timers=(Timer(guards.NOTICE, NOTICE_DAYS_SETTING, 7, "公示期", "notice period"),)),
    )),
    Step("publicize", "公开公示", "public notice", "decision", (
        Action("object", "提出异议", "raise an objection", PUBLIC,
               counts=((guards.OBJECTIONS_OPEN, 1),), guards=(notice_period_open,), note_required=True),
        # The council answers each objection; the answer is public on the
        # notice board (core.notices), and the results stand.
        Action("dismiss_objection", "答复异议（维持结果）", "answer an objection (the results stand)", LEADS,
               counts=((guards.OBJECTIONS_OPEN, -1),), guards=(guards.has_open_objection,), note_required=True),
        # An upheld objection reopens the consultation; a new resolution
        # starts a new notice period.
        Action("uphold_objection", "采纳异议，重新协商", "uphold an objection and consult again", LEADS,
               to_step="consult", counts=((guards.OBJECTIONS_OPEN, -1),), stops=(guards.NOTICE,),
               guards=(guards.has_open_objection,), note_required=True),
        # What the council cannot settle goes to the residents' (representatives')
        # meeting (居民(代表)会议, Ningbo); its decision is recorded as a new
        # resolution, published again.
        Action("refer_to_assembly", "提请居民（代表）会议决定", "refer to the residents' (representatives') meeting",
               LEADS, to_step="consult", counts=((guards.OBJECTIONS_OPEN, -1),), stops=(guards.NOTICE,),
               guards=(guards.has_open_objection,), note_required=True),
        Action("confirm_results", "确认协商结果", "confirm the results", CONFIRMERS, to_step="implement",
               guards=(guards.notice_period_over, guards.no_open_objection)),
    )),
    Step("implement", "跟踪落实", "implement and track", "decision", (
        Action("record_progress", "记录落实进展", "record progress", MEMBERS | {Role.supervisor},
               note_required=True),
        Action("close", "办结", "close", LEADS, to_status="closed", guards=(tasks_done,), note_required=True),
    )),
)

GENERIC = Procedure(GENERIC_KEY, 1, "六步议事法", "six-step consultation", STAGES, STEPS)

MANIFEST = PluginManifest(
    name="procedure",
    title_zh="议事程序",
    title_en="consultation procedure",
    description="The generic six-step procedure and the choice of procedure per region.",
    builtin=True,
    settings={
        # Empty: the region's plugins choose (Tianshui's 三段六步 where it is on),
        # else the generic one. A key set here wins over every plugin, so a
        # district can keep the generic procedure inside a city that has its own.
        "key": SettingSpec(str, "", "新议题采用的议事程序（留空：由本地插件决定，否则为通用六步）",
                           "procedure new topics start under (empty: the region's plugins decide, "
                           "else the generic one)"),
    },
)


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST


@hookimpl(trylast=True)
def yishi_procedures():
    return [GENERIC]


@hookimpl(trylast=True)
def yishi_procedure_for_region(region_code: str, settings: Mapping[str, Any]):
    return settings.get(PROCEDURE_SETTING) or GENERIC_KEY
