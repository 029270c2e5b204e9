"""The procedure engine: what may happen to a topic now, and what happens.

Pure functions over a :class:`Procedure` and a :class:`TopicState`; the
topic service loads and stores, the engine decides. Refusals are ApiErrors
carrying the reason in both languages: 409 when the topic's state forbids
the action, 403 when the caller's roles do.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta

from core.authz.roles import Role
from core.errors import ApiError, conflict, forbidden
from core.procedures.model import OPEN, Action, Procedure, Reason, TopicContext, TopicState

NOT_ALLOWED = "action_not_allowed"


@dataclass(frozen=True)
class ActionOption:
    """An action the caller's roles permit at the current step, and whether
    a guard blocks it right now (``reason``)."""

    action: Action
    reason: Reason | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Transition:
    action: Action
    before: TopicState
    after: TopicState


def _blocked(action: Action, context: TopicContext) -> Reason | None:
    for guard in action.guards:
        reason = guard.check(context)
        if reason is not None:
            return reason
    return None


def action_options(procedure: Procedure, state: TopicState, actor_roles: Iterable[Role],
                   context: TopicContext) -> list[ActionOption]:
    """Every action at the current step the roles permit, each with its blocking reason if any."""
    if state.status != OPEN:
        return []
    step = procedure.step(state.step)
    if step is None:
        return []
    roles = frozenset(actor_roles)
    context = context.at(state)
    return [ActionOption(a, _blocked(a, context)) for a in step.actions if a.roles & roles]


def available_actions(procedure: Procedure, state: TopicState, actor_roles: Iterable[Role],
                      context: TopicContext) -> list[Action]:
    """The actions the roles may take now: permitted at this step and unblocked by guards."""
    return [o.action for o in action_options(procedure, state, actor_roles, context) if o.allowed]


def _step_title(procedure: Procedure, key: str) -> tuple[str, str]:
    step = procedure.step(key)
    return (step.title_zh, step.title_en) if step else (key, key)


def check(procedure: Procedure, state: TopicState, action_key: str, actor_roles: Iterable[Role],
          context: TopicContext) -> Action:
    """The action if the roles may take it now; otherwise raise the ApiError that says why."""
    if action_key not in procedure.action_keys():
        raise ApiError(404, "not_found", f"程序“{procedure.title_zh}”中没有操作“{action_key}”",
                       f"procedure '{procedure.title_en}' has no action '{action_key}'")
    if state.status != OPEN:
        raise conflict(NOT_ALLOWED, f"议题已结束（{state.status}），不能再执行操作",
                       f"the topic has ended ({state.status}); no further action is possible")
    step = procedure.step(state.step)
    action = step.action(action_key) if step else None
    zh_step, en_step = _step_title(procedure, state.step)
    if action is None:
        here = [a.key for a in step.actions] if step else []
        raise conflict(NOT_ALLOWED,
                       f"当前步骤“{zh_step}”不能执行“{action_key}”；此步骤可执行：{'、'.join(here) or '无'}",
                       f"'{action_key}' cannot be taken at step '{en_step}'; "
                       f"this step allows: {', '.join(here) or 'nothing'}")
    if not action.roles & frozenset(actor_roles):
        raise forbidden(f"您的角色不能在“{zh_step}”步骤执行“{action.title_zh}”",
                        f"your roles may not '{action.title_en}' at step '{en_step}'")
    reason = _blocked(action, context.at(state))
    if reason is not None:
        raise conflict(NOT_ALLOWED, f"现在不能执行“{action.title_zh}”：{reason.zh}",
                       f"'{action.title_en}' is not possible now: {reason.en}")
    return action


def apply(procedure: Procedure, state: TopicState, action_key: str, actor_roles: Iterable[Role],
          context: TopicContext) -> Transition:
    """The state after ``action_key``; raises like :func:`check` when it may not be taken."""
    action = check(procedure, state, action_key, actor_roles, context)
    counters = dict(state.counters)
    for name, delta in action.counts:
        counters[name] = counters.get(name, 0) + delta
    timers = {k: v for k, v in state.timers.items() if k not in action.stops}
    for timer in action.timers:
        timers[timer.key] = context.now + timedelta(days=timer.days(context))
    after = replace(
        state,
        step=action.to_step or state.step,
        status=action.to_status or state.status,
        counters=counters,
        # An ended topic has nothing left to wait for.
        timers=timers if action.to_status is None else {},
    )
    return Transition(action, state, after)
