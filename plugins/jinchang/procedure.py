"""六步议事法 as Jinchang runs it (seed 002).

The six steps and their stages are the generic ones (收集议题 → 确定议题 →
议前调研 → 协商议事 → 公开公示 → 跟踪落实); the generic actions are reused
as they are, research included (不调研不协商: no meeting without research).
Two things differ, both from "急事快议":

* an urgent topic may take the fast track at collection: admitted and sent
  straight to research, skipping 确定议题;
* an urgent topic's resolution stays on public notice for
  ``jinchang.urgent_notice_days`` instead of ``core.notice_days``.
"""
from __future__ import annotations

from dataclasses import replace

from core.procedures import generic, guards
from core.procedures.model import Action, Guard, Procedure, Reason, Step, Timer, TopicContext

from plugins.jinchang.settings import PROCEDURE_KEY, URGENT_NOTICE_DAYS

URGENT = "urgent"
FAST_TRACK = "fast_track"


def _urgent_only(ctx: TopicContext) -> Reason | None:
    if ctx.scale == URGENT:
        return None
    return Reason("急事快议只适用于规模为“急事”的议题；其他议题须先确定议题",
                  "the fast track (急事快议) is for urgent topics only; other topics are confirmed first")


urgent_only = Guard("urgent_only", _urgent_only)

fast_track = Action(
    FAST_TRACK, "急事快议：受理并直接调研", "urgent: admit and go straight to research", generic.LEADS,
    to_step="research", guards=(urgent_only,), kind="screen_admit", note_required=True)


def _with_urgent_notice(action: Action) -> Action:
    timers = tuple(replace(t, by_scale=((URGENT, URGENT_NOTICE_DAYS),)) if t.key == guards.NOTICE else t
                   for t in action.timers)
    return replace(action, timers=timers)


def _step(step: Step) -> Step:
    if step.key == "collect":
        return replace(step, actions=(*step.actions, fast_track))
    if any(t.key == guards.NOTICE for a in step.actions for t in a.timers):
        return replace(step, actions=tuple(_with_urgent_notice(a) for a in step.actions))
    return step


JINCHANG = Procedure(PROCEDURE_KEY, 1, "六步议事法（金昌）", "six-step consultation (Jinchang)",
                     generic.STAGES, tuple(_step(s) for s in generic.STEPS))


def notice_timer(procedure: Procedure) -> Timer | None:
    """The timer that starts the public notice, for views that state the period."""
    return next((t for s in procedure.steps for a in s.actions for t in a.timers if t.key == guards.NOTICE), None)
