"""The declarative shape of a procedure, and its validator.

Everything here is frozen: a procedure is registered once and then shared
by every request, and a topic that started under a version must see the
same declaration for the rest of its life.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from core.authz.roles import Role

OPEN = "open"
# Where a topic ends. A procedure may send a topic to any of these; anything
# else is refused by the validator so that lists and filters stay meaningful.
TERMINAL_STATUSES = frozenset({"rejected", "closed", "withdrawn"})
STATUSES = frozenset({OPEN}) | TERMINAL_STATUSES


@dataclass(frozen=True)
class Reason:
    """Why something may not happen, in both languages."""

    zh: str
    en: str


@dataclass(frozen=True)
class TopicState:
    """The part of a topic the engine reads and writes."""

    step: str
    status: str = OPEN
    # Running tallies guards look at (research records, open objections…).
    counters: Mapping[str, int] = field(default_factory=dict)
    # Deadlines by timer key, aware UTC.
    timers: Mapping[str, datetime] = field(default_factory=dict)

    def count(self, name: str) -> int:
        return int(self.counters.get(name, 0))


@dataclass(frozen=True)
class TopicContext:
    """What a guard may consult: the state, the time, the region's settings
    and a few facts about the topic."""

    now: datetime
    settings: Mapping[str, Any] = field(default_factory=dict)
    region_code: str | None = None
    channel: str | None = None
    scale: str | None = None
    state: TopicState | None = None

    def at(self, state: TopicState) -> "TopicContext":
        return self if self.state is state else replace(self, state=state)

    def setting(self, key: str, default: Any = None) -> Any:
        value = self.settings.get(key)
        return default if value is None else value


@dataclass(frozen=True)
class Guard:
    """A named condition; ``check`` returns None when it holds, else the reason."""

    name: str
    check: Callable[[TopicContext], Reason | None]


@dataclass(frozen=True)
class Timer:
    """A deadline an action starts, ``days`` read from a region setting.

    ``by_scale`` names other settings for topics of a given scale, e.g.
    ``(("urgent", "jinchang.urgent_notice_days"),)``: an urgent topic's
    notice period is read from that setting (急事快议), any other topic's
    from ``setting``.
    """

    key: str
    setting: str
    default_days: int
    title_zh: str = ""
    title_en: str = ""
    by_scale: tuple[tuple[str, str], ...] = ()

    def days(self, context: TopicContext) -> int:
        setting = dict(self.by_scale).get(context.scale or "", self.setting)
        value = context.setting(setting, None)
        if value is None and setting != self.setting:
            value = context.setting(self.setting, None)
        return int(self.default_days if value is None else value)


@dataclass(frozen=True)
class Action:
    """Something a topic's participants may do at a step.

    The action is declared inside the step(s) it may be taken from; the
    same key declared in several steps is one action with several origins.
    With neither ``to_step`` nor ``to_status`` the topic stays where it is
    (recording research, raising an objection).
    """

    key: str
    title_zh: str
    title_en: str
    roles: frozenset[Role]
    to_step: str | None = None
    to_status: str | None = None
    guards: tuple[Guard, ...] = ()
    timers: tuple[Timer, ...] = ()
    # Counter changes, e.g. (("objections_open", 1),).
    counts: tuple[tuple[str, int], ...] = ()
    # Timers that stop when this action is taken (e.g. the notice period
    # when an objection sends the topic back to consultation).
    stops: tuple[str, ...] = ()
    # What the topic service must record beyond the event ("screen_admit",
    # "screen_reject"); the engine does not interpret it.
    kind: str | None = None
    note_required: bool = False


@dataclass(frozen=True)
class Step:
    key: str
    title_zh: str
    title_en: str
    stage: str
    actions: tuple[Action, ...] = ()

    def action(self, key: str) -> Action | None:
        return next((a for a in self.actions if a.key == key), None)


@dataclass(frozen=True)
class Stage:
    key: str
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class Procedure:
    key: str
    version: int
    title_zh: str
    title_en: str
    stages: tuple[Stage, ...]
    steps: tuple[Step, ...]

    @property
    def initial_step(self) -> str:
        return self.steps[0].key

    def step(self, key: str) -> Step | None:
        # A list of topics asks this for every row: a lookup, not a walk along the steps.
        by_key = self.__dict__.get("_steps_by_key")
        if by_key is None:
            by_key = {s.key: s for s in self.steps}
            object.__setattr__(self, "_steps_by_key", by_key)
        return by_key.get(key)

    def stage_of(self, step_key: str) -> Stage | None:
        step = self.step(step_key)
        if step is None:
            return None
        return next((s for s in self.stages if s.key == step.stage), None)

    def action_keys(self) -> set[str]:
        return {a.key for s in self.steps for a in s.actions}

    @property
    def ident(self) -> str:
        return f"{self.key}@{self.version}"


class ProcedureError(ValueError):
    """A malformed procedure; the message lists every problem found."""

    def __init__(self, procedure: str, problems: list[str]):
        self.procedure = procedure
        self.problems = problems
        super().__init__(f"procedure {procedure} is malformed: " + "; ".join(problems))


def _duplicates(keys: list[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for key in keys:
        if key in seen and key not in dup:
            dup.append(key)
        seen.add(key)
    return dup


def validate_procedure(procedure: Procedure) -> Procedure:
    """Return the procedure unchanged, or raise ProcedureError listing its faults."""
    problems: list[str] = []
    if not procedure.key or not isinstance(procedure.key, str):
        problems.append("key is empty")
    if not isinstance(procedure.version, int) or isinstance(procedure.version, bool) or procedure.version < 1:
        problems.append(f"version must be a positive integer, got {procedure.version!r}")
    if not procedure.steps:
        problems.append("has no steps")
    stage_keys = [s.key for s in procedure.stages]
    step_keys = [s.key for s in procedure.steps]
    problems += [f"duplicate stage key {k!r}" for k in _duplicates(stage_keys)]
    problems += [f"duplicate step key {k!r}" for k in _duplicates(step_keys)]
    for step in procedure.steps:
        where = f"step {step.key!r}"
        if step.stage not in stage_keys:
            problems.append(f"{where} names unknown stage {step.stage!r}")
        problems += [f"{where} declares action {k!r} twice" for k in _duplicates([a.key for a in step.actions])]
        for action in step.actions:
            here = f"action {action.key!r} at {where}"
            if not action.key:
                problems.append(f"{where} has an action without a key")
            if action.to_step is not None and action.to_status is not None:
                problems.append(f"{here} goes both to a step and to a status")
            if action.to_step is not None and action.to_step not in step_keys:
                problems.append(f"{here} goes to unknown step {action.to_step!r}")
            if action.to_status is not None and action.to_status not in TERMINAL_STATUSES:
                problems.append(f"{here} goes to unknown status {action.to_status!r}")
            if not action.roles:
                problems.append(f"{here} allows no role")
            bad_roles = [r for r in action.roles if not isinstance(r, Role)]
            if bad_roles:
                problems.append(f"{here} names unknown roles {sorted(map(str, bad_roles))}")
            for guard in action.guards:
                if not isinstance(guard, Guard) or not guard.name or not callable(guard.check):
                    problems.append(f"{here} has a guard that is not a named Guard")
            for timer in action.timers:
                if not timer.key or not timer.setting or timer.default_days < 1:
                    problems.append(f"{here} has a timer without key, setting or positive default")
                if any(not scale or not setting for scale, setting in timer.by_scale):
                    problems.append(f"{here} has a timer with an empty scale or setting in by_scale")
    if problems:
        raise ProcedureError(f"{procedure.key!r}@{procedure.version!r}", problems)
    return procedure
