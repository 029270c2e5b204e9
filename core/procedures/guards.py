"""Guards the generic procedure uses; plugin procedures may reuse them.

Each looks only at the TopicContext, so a guard behaves the same in the
API, in a background job and in a test.
"""
from __future__ import annotations

from core.clock import CHINA_TZ
from core.procedures.model import Guard, Reason, TopicContext

RESEARCH = "research"
OBJECTIONS_OPEN = "objections_open"
NOTICE = "notice"


# 不调研不协商 (004, 002): the same words wherever a path to a meeting is refused.
NO_RESEARCH = Reason("不调研不协商：须先记录议前调研（实地调研、可行性分析、议事方案）",
                     "no research, no consultation: record the research (site visit, feasibility, "
                     "draft plan) before scheduling a meeting")


def _research_recorded(ctx: TopicContext) -> Reason | None:
    if ctx.state.count(RESEARCH) > 0:
        return None
    return NO_RESEARCH


def _notice_period_over(ctx: TopicContext) -> Reason | None:
    deadline = ctx.state.timers.get(NOTICE)
    if deadline is None:
        return Reason("尚未开始公示", "the results have not been made public yet")
    if ctx.now < deadline:
        # In China time, as the notice itself and the meetings' refusals show it.
        shown = deadline.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        return Reason(f"公示期未满，{shown} 结束", f"the notice period runs until {shown} (China time)")
    return None


def _no_open_objection(ctx: TopicContext) -> Reason | None:
    open_count = ctx.state.count(OBJECTIONS_OPEN)
    if open_count <= 0:
        return None
    return Reason(f"尚有 {open_count} 条异议未处理", f"{open_count} objection(s) not yet dealt with")


def _has_open_objection(ctx: TopicContext) -> Reason | None:
    if ctx.state.count(OBJECTIONS_OPEN) > 0:
        return None
    return Reason("没有待处理的异议", "there is no objection to deal with")


research_recorded = Guard("research_recorded", _research_recorded)
notice_period_over = Guard("notice_period_over", _notice_period_over)
no_open_objection = Guard("no_open_objection", _no_open_objection)
has_open_objection = Guard("has_open_objection", _has_open_objection)
