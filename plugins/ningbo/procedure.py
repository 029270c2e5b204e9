"""Ningbo's general consultation procedure (协商的一般程序), seed 001 §二(四).

研究筛选议题 → 确定协商方案 → 提前公示协商方案并通报协商主体 → 组织协商 →
公示协商结果 → 组织实施 → 追踪监督、评估评议, plus the residents'
(representatives') meeting (居民(代表)会议) for what consultation cannot
settle or what is contested.

The generic procedure's actions are reused wherever 001 asks the same
(rejection, research, the resolution and its notice, objections,
confirmation, progress, closing); only the moves that differ are declared
here. What Ningbo's own actions record, and what the guards cannot see
(evaluation reports), is handled by :mod:`plugins.ningbo.topic_actions`
inside the action's transaction.
"""
from __future__ import annotations

from core.implementation.guards import tasks_done
from core.procedures import guards
from core.procedures.generic import GENERIC, LEADS
from core.procedures.model import Action, Procedure, Stage, Step

KEY = "ningbo"
VERSION = 1

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
ASSEMBLY_DECISION = "record_assembly_decision"
ASSEMBLY_REJECTS = "assembly_rejects"
TO_EVALUATION = "to_evaluation"
RECTIFY = "rectify"

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
# already) and tells the council members invited (plugins.ningbo.topic_actions);
# how many days ahead is the core's consultation.plan_notice_days.
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
# The meeting's decision is published like a resolution (payload ``text``: the decision).
ASSEMBLY_DECIDES = Action(ASSEMBLY_DECISION, "记录居民（代表）会议决定并公示", "record the meeting's decision and publish it",
                          LEADS, to_step="publicize", timers=(NOTICE_TIMER,), note_required=True)
ASSEMBLY_REFUSES = Action(ASSEMBLY_REJECTS, "居民（代表）会议未予通过", "the residents' meeting did not approve",
                          LEADS, to_status="rejected", note_required=True)
FINISH = Action(TO_EVALUATION, "实施完成，转入追踪监督、评估评议", "implementation done: evaluate", LEADS,
                to_step="evaluate", guards=(tasks_done,))
# An evaluation that finds the results wanting sends them back (整改).
SEND_BACK = Action(RECTIFY, "评估发现问题，退回整改", "evaluation found shortcomings: back to implementation", LEADS,
                   to_step="implement", note_required=True)

STEPS = (
    Step("screen", "研究筛选议题", "research and screen topics", "preparation", (ADMIT, REJECT)),
    Step("plan", "确定协商方案", "fix the consultation plan", "preparation", (RECORD_RESEARCH, SCHEDULE, REJECT)),
    Step("announce", "提前公示协商方案并通报协商主体", "publish the plan in advance and inform the participants",
         "preparation", (PUBLISH,)),
    Step("consult", "组织协商", "hold the consultation", "consultation", (RECORD_RESOLUTION, REFER_FROM_CONSULT)),
    Step("assembly", "居民（代表）会议决定", "residents' (representatives') meeting decides", "consultation",
         (ASSEMBLY_DECIDES, ASSEMBLY_REFUSES)),
    Step("publicize", "公示协商结果", "publish the results", "consultation",
         (OBJECT, DISMISS_OBJECTION, UPHOLD_OBJECTION, REFER_FROM_NOTICE, CONFIRM_RESULTS)),
    # Tasks, progress and third-party evaluation reports belong to the
    # implementation phase, which starts here (the core finds it by the
    # ``tasks_done`` guard).
    Step("implement", "组织实施", "carry out the results", "implementation", (RECORD_PROGRESS, FINISH)),
    Step("evaluate", "追踪监督、评估评议", "track, supervise and evaluate", "implementation", (SEND_BACK, CLOSE)),
)

NINGBO = Procedure(KEY, VERSION, "宁波社区协商一般程序", "Ningbo community consultation procedure", STAGES, STEPS)
