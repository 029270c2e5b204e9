"""The one way a topic moves: a procedure action taken by someone, and the
one way anything is written to a topic's history.

Whoever acts — a council member through the API, a resident objecting on
the public board, a job — goes through :func:`take_action`: the procedure
engine decides, the topic's state is stored, the event, screening decision,
proposer's feedback and audit row are written (in that order: cause before
effect), then the region's hooks react.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.asyncutil import await_each
from core.audit.service import record
from core.authz.principal import Principal
from core.authz.roles import Role
from core.catalogue import ADMISSIBLE, EXCLUDED, ROUTES, Catalogue, CatalogueItem
from core.errors import ApiError, FieldError, validation_failed
from core.fields import text_field
from core.models import ScreeningDecision, Topic, TopicEvent, TopicFeedback
from core.procedures import engine
from core.procedures.model import Action, Procedure, TopicContext, TopicState
from core.region_context import RegionContext

MAX_TEXT = 5000
MAX_NAME = 100
SYSTEM = "system"


def actor_name(principal: Principal | None) -> str:
    if principal is None:
        return SYSTEM
    return (principal.display_name or principal.username)[:MAX_NAME]


@dataclass(frozen=True)
class Actor:
    """Who takes an action: a logged-in user, or someone without an account
    (a resident on the public board, a job) standing in ``roles``."""

    principal: Principal | None
    name: str
    roles: frozenset[Role]

    @classmethod
    def user(cls, principal: Principal, roles: frozenset[Role]) -> "Actor":
        return cls(principal, actor_name(principal), roles)

    @classmethod
    def of(cls, principal: Principal | None) -> "Actor | None":
        """Who did something that is not a procedure action (a submission, an
        escalation, an upward report): no roles are needed; None is the system."""
        return cls.user(principal, frozenset()) if principal is not None else None

    @classmethod
    def anonymous(cls, name: str, roles: frozenset[Role]) -> "Actor":
        return cls(None, name[:MAX_NAME], roles)

    @property
    def user_id(self) -> int | None:
        return self.principal.user_id if self.principal else None

    @property
    def audit_actor(self) -> Principal | str | None:
        return self.principal if self.principal is not None else self.name


# -- state <-> row ----------------------------------------------------------

def state_of(topic: Topic) -> TopicState:
    timers = {key: datetime.fromisoformat(value) for key, value in (topic.timers or {}).items()}
    return TopicState(step=topic.step, status=topic.status, counters=dict(topic.counters or {}), timers=timers)


def store_state(topic: Topic, state: TopicState) -> None:
    topic.step = state.step
    topic.status = state.status
    topic.counters = dict(state.counters)
    topic.timers = {key: value.isoformat() for key, value in state.timers.items()}
    topic.due_at = min(state.timers.values()) if state.timers else None
    topic.updated_at = clock.now()


def snapshot(topic: Topic) -> dict[str, Any]:
    """What the audit log keeps of a topic (no contact details)."""
    return {"title": topic.title, "region_code": topic.region_code, "channel": topic.channel,
            "scale": topic.scale, "category": topic.category, "step": topic.step, "status": topic.status,
            "procedure": f"{topic.procedure_key}@{topic.procedure_version}"}


def engine_context(topic: Topic, settings: Mapping[str, Any]) -> TopicContext:
    return TopicContext(now=clock.now(), settings=settings, region_code=topic.region_code,
                        channel=topic.channel, scale=topic.scale)


def procedure_of(context: RegionContext, topic: Topic) -> Procedure:
    try:
        return context.procedures.get(topic.procedure_key, topic.procedure_version)
    except LookupError:
        raise ApiError(409, "procedure_unknown",
                       f"议题所用的议事程序 {topic.procedure_key}@{topic.procedure_version} 未安装",
                       f"procedure {topic.procedure_key}@{topic.procedure_version} of this topic is not installed"
                       ) from None


# -- the history -------------------------------------------------------------

def append_event(session: AsyncSession, topic: Topic, actor: Actor | None, action: str, *,
                 from_step: str | None, note: str = "", data: Mapping[str, Any] | None = None,
                 at: datetime | None = None) -> TopicEvent:
    """Add one entry to the topic's history, at the topic's current step and status.

    ``actor`` None is the platform itself (a notice period ending).
    """
    event = TopicEvent(topic_id=topic.id, at=at or clock.now(),
                       actor_user_id=actor.user_id if actor else None,
                       actor_name=actor.name if actor else SYSTEM, action=action, from_step=from_step,
                       to_step=topic.step, status=topic.status, note=note, data=dict(data or {}))
    session.add(event)
    return event


# -- screening ---------------------------------------------------------------

def _route_of(payload: Mapping[str, Any], item: CatalogueItem | None, errors: list[FieldError]) -> str | None:
    route = payload.get("route")
    if route is None:
        return item.route if item else None
    if route not in ROUTES:
        errors.append(FieldError("route", f"未知的去向“{route}”，应为：{'、'.join(ROUTES)}",
                                 f"unknown route '{route}', expected one of: {', '.join(ROUTES)}"))
        return None
    return route


@dataclass(frozen=True)
class Referral:
    """Where a rejected matter goes when it is not forwarded upward (the proposer follows it)."""

    referred_to: str = ""
    channel: str = ""


REFERRED_TO_REQUIRED = ("refer_department",)


def _referral_of(payload: Mapping[str, Any], route: str | None, errors: list[FieldError]) -> Referral:
    referred_to = text_field(payload, "referred_to", MAX_NAME * 2, errors, required=route in REFERRED_TO_REQUIRED,
                             zh="承办部门", en="the department the matter is referred to")
    channel = text_field(payload, "referral_channel", MAX_NAME * 2, errors, zh="办理渠道", en="channel")
    return Referral(referred_to, channel)


def _cited_item(payload: Mapping[str, Any], catalogue: Catalogue, kind: str, default: str | None,
                errors: list[FieldError]) -> CatalogueItem | None:
    code = payload.get("catalogue_item") or default
    kind_zh = "可协商" if kind == ADMISSIBLE else "不予协商"
    if not code:
        errors.append(FieldError("catalogue_item", f"请引用议事目录中的{kind_zh}条目",
                                 f"cite the {kind} catalogue item the decision rests on"))
        return None
    item = catalogue.get(code) if isinstance(code, str) else None
    if item is None or item.kind != kind:
        errors.append(FieldError("catalogue_item", f"议事目录中没有{kind_zh}条目“{code}”",
                                 f"'{code}' is not an {kind} item of this region's catalogue"))
        return None
    return item


def _cited(item: CatalogueItem) -> tuple[str, str]:
    """A catalogue item as a decision cites it: its list, its number and its words."""
    if item.kind == ADMISSIBLE:
        return (f"议事目录可协商事项第 {item.number} 条“{item.text_zh}”",
                f"admissible item {item.number} of the catalogue, \"{item.text_en or item.text_zh}\"")
    return (f"议事目录不予协商事项第 {item.number} 条“{item.text_zh}”",
            f"excluded item {item.number} of the catalogue, \"{item.text_en or item.text_zh}\"")


def _feedback(topic: Topic, action: Action, note: str, item: CatalogueItem | None,
              route: str | None, referral: Referral, extra: str) -> tuple[str, str] | None:
    """The message the proposer gets, or None when this action owes them none."""
    if action.kind == "screen_admit":
        zh = f"您提出的议题“{topic.title}”已受理，将按议事程序协商。"
        en = f"Your topic \"{topic.title}\" has been admitted for consultation."
        if item is not None:
            zh += f"依据：{_cited(item)[0]}。"
            en += f" Basis: {_cited(item)[1]}."
    elif action.kind == "screen_reject":
        zh = f"您提出的议题“{topic.title}”不予协商。依据：{_cited(item)[0]}。"
        en = f"Your topic \"{topic.title}\" will not be consulted on. Basis: {_cited(item)[1]}."
        if route:
            where_zh = "、".join(part for part in (referral.referred_to, referral.channel) if part)
            where_en = ", ".join(part for part in (referral.referred_to, referral.channel) if part)
            zh += f"去向：{ROUTES[route][0]}{f'（{where_zh}）' if where_zh else ''}。"
            en += f" Next: {ROUTES[route][1]}{f' ({where_en})' if where_en else ''}."
    elif action.to_status is not None:
        zh = f"您提出的议题“{topic.title}”已{action.title_zh}。"
        en = f"Your topic \"{topic.title}\": {action.title_en}."
    else:
        return None
    if note:
        zh += f"说明：{note}"
        en += f" Note: {note}"
    if extra:
        zh += f"\n{extra}"
        en += f"\n{extra}"
    return zh, en


# -- taking an action ----------------------------------------------------------

async def take_action(context: RegionContext, topic: Topic, action_key: str, actor: Actor,
                      payload: Mapping[str, Any], *, data: Mapping[str, Any] | None = None) -> TopicEvent:
    """Take ``action_key`` on ``topic`` (loaded for update, at ``context``'s region).

    ``payload``: ``note`` (required where the action says so); for screening,
    ``catalogue_item`` (the item cited; an admitted topic defaults to its
    category), ``route`` (for a rejection; defaults to the item's usual
    route) and ``feedback`` (extra words for the proposer); the rest is for
    the hooks. ``data``: facts the caller already recorded, kept on the event.
    """
    session = context.session
    before_state = state_of(topic)
    transition = engine.apply(procedure_of(context, topic), before_state, action_key, actor.roles,
                              engine_context(topic, context.settings))
    declared = transition.action

    errors: list[FieldError] = []
    note = text_field(payload, "note", MAX_TEXT, errors, required=declared.note_required, zh="说明", en="note")
    extra = text_field(payload, "feedback", MAX_TEXT, errors, zh="给提议人的回复", en="feedback")
    item = route = None
    referral = Referral()
    if declared.kind == "screen_admit":
        item = _cited_item(payload, context.catalogue, ADMISSIBLE, topic.category, errors)
    elif declared.kind == "screen_reject":
        item = _cited_item(payload, context.catalogue, EXCLUDED, None, errors)
        route = _route_of(payload, item, errors)
        referral = _referral_of(payload, route, errors)
    if errors:
        raise validation_failed(*errors)

    before = snapshot(topic)
    store_state(topic, transition.after)
    facts: dict[str, Any] = dict(data or {})
    if item is not None:
        facts["catalogue_item"] = item.code
    if route is not None:
        facts["route"] = route
    facts.update({key: value for key, value in (("referred_to", referral.referred_to),
                                                ("referral_channel", referral.channel)) if value})
    event = append_event(session, topic, actor, declared.key, from_step=before_state.step, note=note, data=facts)
    await session.flush()
    message = _feedback(topic, declared, note, item, route, referral, extra)
    if item is not None:
        session.add(ScreeningDecision(topic_id=topic.id, event_id=event.id, admissible=item.kind == ADMISSIBLE,
                                      catalogue_code=item.code, catalogue_text=item.text_zh, route=route,
                                      referred_to=referral.referred_to, channel=referral.channel,
                                      feedback=message[0] if message else "", decided_by_user_id=actor.user_id,
                                      decided_at=event.at))
    if message is not None and (topic.proposer_user_id is not None or topic.proposer_name):
        session.add(TopicFeedback(topic_id=topic.id, recipient_user_id=topic.proposer_user_id,
                                  recipient_name=topic.proposer_name, text_zh=message[0], text_en=message[1],
                                  created_at=event.at))
    await session.flush()
    # Cause before effect in the audit chain: the action's own row, then what
    # its hooks did because of it (an escalation, a research record, a notice).
    await record(session, actor=actor.audit_actor, action=f"topic.{declared.key}", object_type="topic",
                 object_id=topic.id, region_code=topic.region_code, before=before,
                 after={**snapshot(topic), "note": note, **facts})
    arguments = dict(session=session, context=context, topic=topic, action=declared, payload=payload,
                     event=event, principal=actor.principal)
    await await_each(context.hooks.yishi_topic_action_taken(**arguments))
    await await_each(context.hooks.yishi_topic_action_recorded(**arguments))
    return event
