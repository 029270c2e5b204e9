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


# 不调研不协商 with substance (004 §三: "组织协商议事会固定成员进行实地调研,分析议题的可行性,
# 拟定议事方案"): the parts a region may require of the research before a meeting
# (setting ``consultation.research_parts``), each counted on the topic when a research
# record has it.
RESEARCH_PARTS: dict[str, tuple[str, str]] = {
    "site_visit": ("固定成员实地调研（谁去、何时、何地）", "a site visit by fixed members (who went, when, where)"),
    "feasibility": ("可行性分析", "a feasibility analysis"),
    "draft_plan": ("议事方案", "a draft consultation plan"),
}
RESEARCH_PARTS_SETTING = "consultation.research_parts"


def research_part_counter(part: str) -> str:
    return f"{RESEARCH}.{part}"


def required_research_parts(settings) -> list[str]:
    """The parts the region requires of the research before a meeting, in RESEARCH_PARTS' order."""
    wanted = (settings or {}).get(RESEARCH_PARTS_SETTING) or ()
    return [part for part in RESEARCH_PARTS if part in wanted]


def missing_research_parts(counters, settings) -> list[str]:
    """The parts the region requires that no research record of the topic has yet."""
    return [part for part in required_research_parts(settings)
            if int((counters or {}).get(research_part_counter(part), 0)) <= 0]


def research_incomplete(missing: list[str]) -> Reason:
    zh = "、".join(RESEARCH_PARTS[p][0] for p in missing)
    en = ", ".join(RESEARCH_PARTS[p][1] for p in missing)
    return Reason(f"不调研不协商：议前调研尚缺{zh}", f"no research, no consultation: the research still lacks {en}")


def _research_recorded(ctx: TopicContext) -> Reason | None:
    if ctx.state.count(RESEARCH) <= 0:
        return NO_RESEARCH
    missing = missing_research_parts(ctx.state.counters, ctx.settings)
    return research_incomplete(missing) if missing else None


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
