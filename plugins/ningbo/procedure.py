"""Ningbo's general consultation procedure (协商的一般程序), seed 001 §二(四).

研究筛选议题 → 确定协商方案 → 提前公示协商方案并通报协商主体 → 组织协商 →
公示协商结果 → 组织实施 → 追踪监督、评估评议, plus the residents'
(representatives') meeting (居民(代表)会议) for what consultation cannot
settle or what is contested.

Version 2 adds reserved matters (现行政策规定应居民(代表)会议决定的事项): a topic
staff mark as one (at screening or any later step before the results are
confirmed) cannot have its results confirmed until the residents'
(representatives') meeting has decided on them, whether or not anyone
objected during the notice. Topics begun under version 1 keep it.

The generic procedure's actions are reused wherever 001 asks the same
(rejection, research, the resolution and its notice, objections,
confirmation, progress, closing); only the moves that differ are declared
here. What Ningbo's own actions record, and what the guards cannot see
(evaluation reports), is handled by :mod:`plugins.ningbo.topic_actions`
and :mod:`plugins.ningbo.assembly` inside the action's transaction.
"""
from __future__ import annotations

from dataclasses import replace

from core.implementation.guards import tasks_done
from core.procedures import guards
from core.procedures.generic import GENERIC, LEADS
from core.procedures.model import Action, Guard, Procedure, Reason, Stage, Step, TopicContext

KEY = "ningbo"
VERSION = 2

_generic = {action.key: action for step in GENERIC.steps for action in step.actions}
REJECT = _generic["reject"]
RECORD_RESEARCH = _generic["record_research"]
RECORD_RESOLUTION = _generic["record_resolution"]
OBJECT = _generic["object"]
DISMISS_OBJECTION = _generic["dismiss_objection"]
UPHOLD_OBJECTION = _generic["uphold_objection"]
CONFIRM_RESULTS = _generic["confirm_results"]
RECORD_PROGRESS = _generic["record_progress"]
CLOSE = _generic["close"]
# The same notice period as the generic resolution (core.notice_days).
NOTICE_TIMER = next(t for t in RECORD_RESOLUTION.timers if t.key == guards.NOTICE)

PUBLISH_PLAN = "publish_plan"
REFER_TO_ASSEMBLY = "refer_to_assembly"
REFER_RESERVED = "refer_reserved_matter"
ASSEMBLY_DECISION = "record_assembly_decision"
ASSEMBLY_REJECTS = "assembly_rejects"
MARK_RESERVED = "mark_reserved_matter"
UNMARK_RESERVED = "unmark_reserved_matter"
TO_EVALUATION = "to_evaluation"
RECTIFY = "rectify"

# Counters the guards read: whether the topic is a reserved matter, and whether the
# residents' meeting has decided on its latest results (a new resolution sets it
# back to 0: plugins.ningbo.assembly.consulted_again).
RESERVED = "ningbo.reserved_matter"
ASSEMBLY_DECIDED = "ningbo.assembly_decided"

NOT_RESERVED = Reason("本议题未认定为依规应由居民（代表）会议决定的事项",
                      "this topic is not marked as a matter reserved to the residents' (representatives') meeting")


def awaits_assembly(counters) -> bool:
    """A reserved matter whose latest results the residents' meeting has not yet decided on."""
    return int((counters or {}).get(RESERVED, 0)) > 0 and int((counters or {}).get(ASSEMBLY_DECIDED, 0)) <= 0


def _not_reserved(ctx: TopicContext) -> Reason | None:
    if ctx.state.count(RESERVED) > 0:
        return Reason("已认定为依规应由居民（代表）会议决定的事项",
                      "already marked as a matter reserved to the residents' (representatives') meeting")
    return None


def _reserved(ctx: TopicContext) -> Reason | None:
    return None if ctx.state.count(RESERVED) > 0 else NOT_RESERVED


def _awaiting_assembly(ctx: TopicContext) -> Reason | None:
    if ctx.state.count(RESERVED) <= 0:
        return NOT_RESERVED
    if ctx.state.count(ASSEMBLY_DECIDED) > 0:
        return Reason("居民（代表）会议已对本次协商结果作出决定",
                      "the residents' (representatives') meeting has already decided on these results")
    return None


def _decided_if_reserved(ctx: TopicContext) -> Reason | None:
    if awaits_assembly(ctx.state.counters):
        return Reason("依规应由居民（代表）会议决定的事项，须先将协商结果提交居民（代表）会议决定",
                      "a matter reserved to the residents' (representatives') meeting: its results go to "
                      "that meeting for decision first")
    return None


not_reserved = Guard("ningbo_not_reserved", _not_reserved)
reserved = Guard("ningbo_reserved", _reserved)
awaiting_assembly = Guard("ningbo_awaiting_assembly", _awaiting_assembly)
decided_if_reserved = Guard("ningbo_decided_if_reserved", _decided_if_reserved)

STAGES = (
    Stage("preparation", "协商准备", "preparing the consultation"),
    Stage("consultation", "协商议事", "consultation"),
    Stage("implementation", "成果落实", "carrying out the results"),
)

# The party organisation and the residents' committee research and screen
# (研究、筛选议题); admitting a topic that spans communities hands it to the
# street (§二(二), done by the core's escalation on ``screen_admit``).
ADMIT = Action("admit", "研究筛选通过，形成协商议题", "admit as a consultation topic", LEADS, to_step="plan",
               kind="screen_admit")
# Scheduling fixes the plan (确定协商方案): the meeting carries it, to be
# published before the meeting.
SCHEDULE = Action("schedule_meeting", "确定协商方案并安排协商", "fix the plan and schedule the consultation", LEADS,
                  to_step="announce", guards=(guards.research_recorded,), kind="schedule_meeting")
# Publishes the meeting's plan through the core (if the meetings API has not
# already), tells the council members invited (plugins.ningbo.topic_actions) and
# posts it on the public notice board (plugins.ningbo.plan_notice); how many days
# ahead is the core's consultation.plan_notice_days.
PUBLISH = Action(PUBLISH_PLAN, "公示协商方案并通报协商主体", "publish the plan and inform the participants", LEADS,
                 to_step="consult")
# What consultation cannot settle, or what is contested, goes to the
# residents' (representatives') meeting: from the consultation itself, not
# only after an objection.
REFER_FROM_CONSULT = Action(REFER_TO_ASSEMBLY, "提交居民（代表）会议决定", "refer to the residents' (representatives') meeting",
                            LEADS, to_step="assembly", note_required=True)
REFER_FROM_NOTICE = Action(REFER_TO_ASSEMBLY, "提交居民（代表）会议决定", "refer to the residents' (representatives') meeting",
                           LEADS, to_step="assembly", counts=((guards.OBJECTIONS_OPEN, -1),), stops=(guards.NOTICE,),
                           guards=(guards.has_open_objection,), note_required=True)
# The meeting's decision is published like a resolution (payload ``text``: the
# decision; ``starts_at`` and ``place``: when and where the meeting sat).
ASSEMBLY_DECIDES = Action(ASSEMBLY_DECISION, "记录居民（代表）会议决定并公示", "record the meeting's decision and publish it",
                          LEADS, to_step="publicize", timers=(NOTICE_TIMER,), note_required=True)
ASSEMBLY_REFUSES = Action(ASSEMBLY_REJECTS, "居民（代表）会议未予通过", "the residents' meeting did not approve",
                          LEADS, to_status="rejected", note_required=True)

# Reserved matters (version 2). Staff mark one at screening or later, citing the
# provision (payload ``text``); its results, once their notice has run and every
# objection is answered, go to the residents' meeting (with an open objection,
# ``refer_to_assembly`` takes them there with the objections), and no
# confirmation until that meeting has decided.
MARK = Action(MARK_RESERVED, "认定为依规应由居民（代表）会议决定的事项",
              "mark as a matter reserved to the residents' (representatives') meeting", LEADS,
              guards=(not_reserved,), counts=((RESERVED, 1),))
UNMARK = Action(UNMARK_RESERVED, "撤销认定（非依规应由居民（代表）会议决定的事项）",
                "withdraw the mark: not a matter reserved to the residents' (representatives') meeting", LEADS,
                guards=(reserved,), counts=((RESERVED, -1),), note_required=True)
REFER_RESERVED_FROM_NOTICE = Action(
    REFER_RESERVED, "依规将协商结果提交居民（代表）会议决定",
    "refer the results of a reserved matter to the residents' (representatives') meeting", LEADS,
    to_step="assembly", stops=(guards.NOTICE,),
    guards=(awaiting_assembly, guards.notice_period_over, guards.no_open_objection))
ASSEMBLY_DECIDES_COUNTED = replace(ASSEMBLY_DECIDES, counts=((ASSEMBLY_DECIDED, 1),))
CONFIRM_UNLESS_AWAITING = replace(CONFIRM_RESULTS, guards=(*CONFIRM_RESULTS.guards, decided_if_reserved))
FINISH = Action(TO_EVALUATION, "实施完成，转入追踪监督、评估评议", "implementation done: evaluate", LEADS,
                to_step="evaluate", guards=(tasks_done,))
# An evaluation that finds the results wanting sends them back (整改).
SEND_BACK = Action(RECTIFY, "评估发现问题，退回整改", "evaluation found shortcomings: back to implementation", LEADS,
                   to_step="implement", note_required=True)

def _steps(*, reserved_matters: bool) -> tuple[Step, ...]:
    # Marking is offered until the results are confirmed; at the assembly step the
    # matter is before the residents' meeting already.
    marks = (MARK, UNMARK) if reserved_matters else ()
    refer_reserved = (REFER_RESERVED_FROM_NOTICE,) if reserved_matters else ()
    return (
        Step("screen", "研究筛选议题", "research and screen topics", "preparation", (ADMIT, REJECT, *marks)),
        Step("plan", "确定协商方案", "fix the consultation plan", "preparation",
             (RECORD_RESEARCH, SCHEDULE, REJECT, *marks)),
        Step("announce", "提前公示协商方案并通报协商主体", "publish the plan in advance and inform the participants",
             "preparation", (PUBLISH, *marks)),
        Step("consult", "组织协商", "hold the consultation", "consultation",
             (RECORD_RESOLUTION, REFER_FROM_CONSULT, *marks)),
        Step("assembly", "居民（代表）会议决定", "residents' (representatives') meeting decides", "consultation",
             (ASSEMBLY_DECIDES_COUNTED if reserved_matters else ASSEMBLY_DECIDES, ASSEMBLY_REFUSES)),
        Step("publicize", "公示协商结果", "publish the results", "consultation",
             (OBJECT, DISMISS_OBJECTION, UPHOLD_OBJECTION, REFER_FROM_NOTICE, *refer_reserved,
              CONFIRM_UNLESS_AWAITING if reserved_matters else CONFIRM_RESULTS, *marks)),
        # Tasks, progress and third-party evaluation reports belong to the
        # implementation phase, which starts here (the core finds it by the
        # ``tasks_done`` guard).
        Step("implement", "组织实施", "carry out the results", "implementation", (RECORD_PROGRESS, FINISH)),
        Step("evaluate", "追踪监督、评估评议", "track, supervise and evaluate", "implementation", (SEND_BACK, CLOSE)),
    )


TITLE = ("宁波社区协商一般程序", "Ningbo community consultation procedure")
STEPS = _steps(reserved_matters=True)
NINGBO = Procedure(KEY, VERSION, *TITLE, STAGES, STEPS)
# What topics begun before reserved matters keep.
NINGBO_V1 = Procedure(KEY, 1, *TITLE, STAGES, _steps(reserved_matters=False))
PROCEDURES = (NINGBO_V1, NINGBO)
