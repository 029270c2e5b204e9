"""Guards about the notice period, for procedures to declare.

Kept free of database imports: ``core.procedures.generic`` imports this
module while the plugin manager is being built.
"""
from __future__ import annotations

from core.clock import CHINA_TZ
from core.procedures.guards import NOTICE
from core.procedures.model import Guard, Reason, TopicContext


def _notice_period_open(ctx: TopicContext) -> Reason | None:
    deadline = ctx.state.timers.get(NOTICE)
    if deadline is None:
        return Reason("结果尚未公示或公示已撤回", "the results are not on public notice")
    # The closing instant still belongs to the period.
    if ctx.now > deadline:
        # In China time, as the notice itself shows its period.
        shown = deadline.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        return Reason(f"公示期已于 {shown} 结束，不能再提出异议",
                      f"the notice period ended at {shown} (China time); objections are no longer accepted")
    return None


notice_period_open = Guard("notice_period_open", _notice_period_open)
