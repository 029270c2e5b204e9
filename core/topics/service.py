"""Topics: submission, the procedure's actions, screening and the views.

Access is decided here as well as at the route, because the topic routes
carry no ``{code}`` for the guard to check: the topic's own region is the
one that counts. A caller who cannot read that region gets the same 404 as
for a topic that does not exist; one who sees it but whose roles do not
permit an action gets 403; an action the topic's state forbids gets 409.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.asyncutil import await_each
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role, covers
from core.authz.scope import RegionScope
from core.catalogue import ADMISSIBLE, EXCLUDED, ROUTES, Catalogue, CatalogueItem, catalogue_for_region
from core.errors import ApiError, FieldError, forbidden, not_found, validation_failed
from core.fields import text_field as _text
from core.models import Region, ScreeningDecision, Topic, TopicEvent, TopicFeedback, TopicRegion
from core.models.region import RegionLevel, subtree_upper_bound
from core.models.topic import CHANNELS, SCALES
from core.plugins import PluginHost
from core.procedures import engine
from core.procedures.model import Action, Procedure, TopicContext, TopicState
from core.procedures.registry import procedure_for_region, procedure_registry
from core.regions.queries import Paging
from core.tenants.settings import enabled_plugins, resolve_settings

READ = "topic.read"
CREATE = "topic.create"
# Route-level only: the procedure, not casbin, says who may take which action.
ACT = "topic.act"
SUBMIT = "submit"

MAX_TITLE = 200
MAX_TEXT = 5000
MAX_CONTACT = 200
MAX_NAME = 100
MAX_AFFECTED = 500

CHANNEL_LABELS = {
    "assigned": ("党政交", "assigned by party and government"),
    "member": ("委员提", "proposed by a member"),
    "resident": ("社会征", "submitted by a resident"),
    "on_behalf": ("代录", "entered for a resident"),
}
SCALE_LABELS = {
    "major": ("大事", "major"),
    "minor": ("小事", "minor"),
    "urgent": ("急事", "urgent"),
    "hard": ("难事", "hard"),
}
# Who may bring a topic in through each channel, at the council's region.
CHANNEL_ROLES: dict[str, frozenset[Role]] = {
    "assigned": frozenset({Role.city_admin, Role.district_admin, Role.street_staff, Role.council_chair}),
    "member": frozenset({Role.council_chair, Role.council_secretary, Role.council_member, Role.cppcc_member}),
    "resident": frozenset({Role.resident}),
    "on_behalf": frozenset({Role.city_admin, Role.district_admin, Role.street_staff, Role.council_chair,
                            Role.council_secretary, Role.council_member}),
}
# Who handles topics and may therefore see a proposer's contact details.
HANDLER_ROLES = frozenset({Role.city_admin, Role.district_admin, Role.street_staff, Role.council_chair,
                           Role.council_secretary})


def topic_not_found() -> ApiError:
    return not_found("议题", "topic")


# -- who the caller is at a topic's region --------------------------------

def roles_at(authorizer: Authorizer, principal: Principal, region_code: str,
             action: str = READ) -> frozenset[Role]:
    """The caller's roles that reach ``region_code`` and may take ``action`` on topics in its city.

    With ``ACT`` these are the roles a procedure's actions are offered to: the
    policy says who may act on topics at all, the procedure which action when.
    """
    city = region_code[:4]
    return frozenset(role for role, where in principal.grants
                     if covers(role, where, region_code) and authorizer.role_may(role, city, action))


def can_read(authorizer: Authorizer, principal: Principal, topic: Topic,
             source_regions: Iterable[str] = ()) -> bool:
    """Whether the caller may read the topic: at its council's region, as its
    proposer, or at one of ``source_regions`` (the communities it affects and
    the region it started in), which keep reading a topic escalated away."""
    # A proposer follows their own topic even after it moved out of their reach.
    return (authorizer.allowed(principal, READ, topic.region_code)
            or (topic.proposer_user_id is not None and topic.proposer_user_id == principal.user_id)
            or any(authorizer.allowed(principal, READ, code) for code in source_regions))


def actor_name(principal: Principal | None) -> str:
    if principal is None:
        return "system"
    return (principal.display_name or principal.username)[:MAX_NAME]


# -- regional configuration -----------------------------------------------

@dataclass(frozen=True)
class RegionalConfig:
    enabled: frozenset[str]
    settings: Mapping[str, Any]


async def regional_config(session: AsyncSession, plugins: PluginHost, region_code: str) -> RegionalConfig:
    enabled = await enabled_plugins(session, plugins, region_code)
    settings = await resolve_settings(session, plugins, region_code)
    return RegionalConfig(frozenset(enabled), settings)


async def region_catalogue(session: AsyncSession, plugins: PluginHost, region_code: str) -> Catalogue:
    enabled = await enabled_plugins(session, plugins, region_code)
    return catalogue_for_region(plugins, region_code, enabled)


# -- state <-> row ----------------------------------------------------------

def state_of(topic: Topic) -> TopicState:
    timers = {key: datetime.fromisoformat(value) for key, value in (topic.timers or {}).items()}
    return TopicState(step=topic.step, status=topic.status, counters=dict(topic.counters or {}), timers=timers)


def _store_state(topic: Topic, state: TopicState) -> None:
    topic.step = state.step
    topic.status = state.status
    topic.counters = dict(state.counters)
    topic.timers = {key: value.isoformat() for key, value in state.timers.items()}
    topic.due_at = min(state.timers.values()) if state.timers else None
    topic.updated_at = clock.now()


def _snapshot(topic: Topic) -> dict[str, Any]:
    """What the audit log keeps of a topic (no contact details)."""
    return {"title": topic.title, "region_code": topic.region_code, "channel": topic.channel,
            "scale": topic.scale, "category": topic.category, "step": topic.step, "status": topic.status,
            "procedure": f"{topic.procedure_key}@{topic.procedure_version}"}


def _context(topic: Topic, settings: Mapping[str, Any]) -> TopicContext:
    return TopicContext(now=clock.now(), settings=settings, region_code=topic.region_code,
                        channel=topic.channel, scale=topic.scale)


def _procedure_of(plugins: PluginHost, topic: Topic) -> Procedure:
    try:
        return procedure_registry(plugins).get(topic.procedure_key, topic.procedure_version)
    except LookupError:
        raise ApiError(409, "procedure_unknown",
                       f"议题所用的议事程序 {topic.procedure_key}@{topic.procedure_version} 未安装",
                       f"procedure {topic.procedure_key}@{topic.procedure_version} of this topic is not installed"
                       ) from None


# -- creating a topic --------------------------------------------------------



async def _affected_regions(session: AsyncSession, region: Region, raw: Any,
                            errors: list[FieldError]) -> list[str]:
    field = "affected_regions"
    if raw is None or raw == []:
        if region.level == RegionLevel.community.value:
            return [region.code]
        errors.append(FieldError(field, "请选择至少一个涉及的社区（村）",
                                 "name at least one affected community"))
        return []
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        errors.append(FieldError(field, "涉及区划应为区划代码列表", "affected_regions must be a list of codes"))
        return []
    codes = list(dict.fromkeys(c.strip() for c in raw))
    if len(codes) > MAX_AFFECTED:
        errors.append(FieldError(field, f"涉及区划不得超过 {MAX_AFFECTED} 个",
                                 f"at most {MAX_AFFECTED} affected regions"))
        return []
    found = dict((await session.execute(
        select(Region.code, Region.level).where(Region.code.in_(codes)))).all()) if codes else {}
    for code in codes:
        if code[:4] != region.city_code:
            errors.append(FieldError(field, f"{code} 与本议事会不属于同一城市",
                                     f"{code} is not in this council's city"))
        elif found.get(code) != RegionLevel.community.value:
            errors.append(FieldError(field, f"{code} 不是社区（村）", f"{code} is not a community"))
        # A community beyond the council's own area is allowed on purpose: a
        # matter touching a neighbour is what escalation to the common
        # street (district, city) is for.
    return codes


async def create_topic(session: AsyncSession, principal: Principal | None, region_code: str,
                       data: Mapping[str, Any], *, plugins: PluginHost,
                       authorizer: Authorizer | None = None) -> Topic:
    """Bring a topic to the council of ``region_code``.

    ``principal`` None means the system (an import, the demo): every channel
    is open and the proposer is taken from ``data``. With a principal, an
    authorizer is required and the caller must be allowed ``topic.create``
    at the region; the channel must be one the caller's roles there permit.
    ``data``: title, description, category (an admissible catalogue item
    code), channel, scale, affected_regions (community codes),
    proposer_name, proposer_contact.
    """
    if not isinstance(data, Mapping):
        raise validation_failed(FieldError("body", "请求内容应为对象", "the request body must be an object"))
    region = await session.get(Region, region_code) if isinstance(region_code, str) else None
    if principal is not None:
        if authorizer is None:
            raise TypeError("create_topic needs the authorizer when a principal is given")
        if region is None or not authorizer.visible(principal, region_code):
            raise not_found("区划", "region")
        if not authorizer.allowed(principal, CREATE, region_code):
            raise forbidden("您不能在此区划提交议题", "you may not submit topics here")
    elif region is None:
        raise not_found("区划", "region")

    errors: list[FieldError] = []
    title = _text(data, "title", MAX_TITLE, errors, required=True, zh="议题标题", en="title")
    description = _text(data, "description", MAX_TEXT, errors, zh="议题描述", en="description")
    contact = _text(data, "proposer_contact", MAX_CONTACT, errors, zh="联系方式", en="proposer_contact")
    proposer_name = _text(data, "proposer_name", MAX_NAME, errors, zh="提议人姓名", en="proposer_name")

    channel = data.get("channel")
    if channel not in CHANNELS:
        errors.append(FieldError("channel", f"未知的议题来源“{channel}”，应为：{'、'.join(CHANNELS)}",
                                 f"unknown channel '{channel}', expected one of: {', '.join(CHANNELS)}"))
    elif principal is not None:
        roles = roles_at(authorizer, principal, region.code)
        if not roles & CHANNEL_ROLES[channel]:
            zh, en = CHANNEL_LABELS[channel]
            errors.append(FieldError("channel", f"您的角色不能以“{zh}”渠道提交议题",
                                     f"your roles may not submit through the '{en}' channel"))

    scale = data.get("scale")
    if scale is not None and scale not in SCALES:
        errors.append(FieldError("scale", f"未知的议题规模“{scale}”，应为：{'、'.join(SCALES)}",
                                 f"unknown scale '{scale}', expected one of: {', '.join(SCALES)}"))

    category = data.get("category")
    if category is not None:
        item = (await region_catalogue(session, plugins, region.code)).get(category) \
            if isinstance(category, str) else None
        if item is None or item.kind != ADMISSIBLE:
            errors.append(FieldError("category", f"议事目录中没有可协商类别“{category}”",
                                     f"'{category}' is not an admissible kind in this region's catalogue"))

    affected = await _affected_regions(session, region, data.get("affected_regions"), errors)

    proposer_user_id = None
    if channel == "on_behalf" or principal is None:
        if not proposer_name:
            errors.append(FieldError("proposer_name", "代录议题须填写提议人姓名",
                                     "a topic entered for someone must name the proposer"))
    else:
        proposer_user_id = principal.user_id
        proposer_name = proposer_name or actor_name(principal)
    if errors:
        raise validation_failed(*errors)

    config = await regional_config(session, plugins, region.code)
    procedure = procedure_for_region(plugins, region.code, config.enabled, config.settings)
    now = clock.now()
    topic = Topic(region_code=region.code, origin_region_code=region.code, title=title, description=description,
                  category=category, channel=channel, scale=scale, proposer_user_id=proposer_user_id,
                  proposer_name=proposer_name, proposer_contact=contact,
                  recorded_by_user_id=principal.user_id if principal else None,
                  procedure_key=procedure.key, procedure_version=procedure.version,
                  step=procedure.initial_step, status="open", counters={}, timers={},
                  created_at=now, updated_at=now)
    session.add(topic)
    await session.flush()
    session.add_all(TopicRegion(topic_id=topic.id, region_code=code) for code in affected)
    session.add(TopicEvent(topic_id=topic.id, at=now, actor_user_id=principal.user_id if principal else None,
                           actor_name=actor_name(principal), action=SUBMIT, from_step=None,
                           to_step=topic.step, status=topic.status, note="", data={"channel": channel}))
    await session.flush()
    await record(session, actor=principal, action="topic.create", object_type="topic", object_id=topic.id,
                 region_code=topic.region_code, before=None,
                 after={**_snapshot(topic), "affected_regions": affected})
    hooks = plugins.hooks_for(config.enabled)
    await await_each(hooks.yishi_topic_created(session=session, topic=topic, principal=principal))
    return topic


# -- loading with access --------------------------------------------------------

async def load_topic(session: AsyncSession, principal: Principal, topic_id: int, *,
                     authorizer: Authorizer, for_update: bool = False) -> Topic:
    """The topic if the caller may read it; otherwise the 404 a missing topic gets."""
    query = select(Topic).where(Topic.id == topic_id)
    if for_update:
        # Two actions on one topic must not both start from the same state.
        query = query.with_for_update()
    topic = await session.scalar(query)
    if topic is None:
        raise topic_not_found()
    if not can_read(authorizer, principal, topic):
        # Only a caller the owning council does not reach costs this query.
        sources = set(await session.scalars(
            select(TopicRegion.region_code).where(TopicRegion.topic_id == topic.id)))
        sources.add(topic.origin_region_code)
        if not can_read(authorizer, principal, topic, sources):
            raise topic_not_found()
    return topic


# -- actions ------------------------------------------------------------------

def _route_of(payload: Mapping[str, Any], item: CatalogueItem | None, errors: list[FieldError]) -> str | None:
    route = payload.get("route")
    if route is None:
        return item.route if item else None
    if route not in ROUTES:
        errors.append(FieldError("route", f"未知的去向“{route}”，应为：{'、'.join(ROUTES)}",
                                 f"unknown route '{route}', expected one of: {', '.join(ROUTES)}"))
        return None
    return route


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
              route: str | None, extra: str) -> tuple[str, str] | None:
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
            zh += f"去向：{ROUTES[route][0]}。"
            en += f" Next: {ROUTES[route][1]}."
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


async def perform_action(session: AsyncSession, principal: Principal, topic_id: int, action: str,
                         payload: Mapping[str, Any] | None, *, plugins: PluginHost,
                         authorizer: Authorizer) -> Topic:
    """Take ``action`` on the topic under its own procedure version.

    ``payload``: ``note`` (required where the action says so); for screening,
    ``catalogue_item`` (the item cited; an admitted topic defaults to its
    category), ``route`` (for a rejection; defaults to the item's usual
    route) and ``feedback`` (extra words for the proposer).
    """
    payload = payload or {}
    if not isinstance(payload, Mapping):
        raise validation_failed(FieldError("body", "请求内容应为对象", "the request body must be an object"))
    topic = await load_topic(session, principal, topic_id, authorizer=authorizer, for_update=True)
    procedure = _procedure_of(plugins, topic)
    roles = roles_at(authorizer, principal, topic.region_code, ACT)
    settings = await resolve_settings(session, plugins, topic.region_code)
    before_state = state_of(topic)
    transition = engine.apply(procedure, before_state, action, roles, _context(topic, settings))
    declared = transition.action

    errors: list[FieldError] = []
    note = _text(payload, "note", MAX_TEXT, errors, required=declared.note_required, zh="说明", en="note")
    extra = _text(payload, "feedback", MAX_TEXT, errors, zh="给提议人的回复", en="feedback")
    item = route = None
    if declared.kind in ("screen_admit", "screen_reject"):
        catalogue = await region_catalogue(session, plugins, topic.region_code)
        if declared.kind == "screen_admit":
            item = _cited_item(payload, catalogue, ADMISSIBLE, topic.category, errors)
        else:
            item = _cited_item(payload, catalogue, EXCLUDED, None, errors)
            route = _route_of(payload, item, errors)
    if errors:
        raise validation_failed(*errors)

    before = _snapshot(topic)
    _store_state(topic, transition.after)
    data: dict[str, Any] = {}
    if item is not None:
        data["catalogue_item"] = item.code
    if route is not None:
        data["route"] = route
    event = TopicEvent(topic_id=topic.id, at=clock.now(), actor_user_id=principal.user_id,
                       actor_name=actor_name(principal), action=declared.key, from_step=before_state.step,
                       to_step=transition.after.step, status=transition.after.status, note=note, data=data)
    session.add(event)
    await session.flush()
    message = _feedback(topic, declared, note, item, route, extra)
    if item is not None:
        session.add(ScreeningDecision(topic_id=topic.id, event_id=event.id, admissible=item.kind == ADMISSIBLE,
                                      catalogue_code=item.code, catalogue_text=item.text_zh, route=route,
                                      feedback=message[0] if message else "", decided_by_user_id=principal.user_id,
                                      decided_at=event.at))
    if message is not None and (topic.proposer_user_id is not None or topic.proposer_name):
        session.add(TopicFeedback(topic_id=topic.id, recipient_user_id=topic.proposer_user_id,
                                  recipient_name=topic.proposer_name, text_zh=message[0], text_en=message[1],
                                  created_at=event.at))
    await session.flush()
    # Cause before effect in the audit chain: the action's own row, then what
    # its hooks did because of it (an escalation, a research record, a notice).
    await record(session, actor=principal, action=f"topic.{declared.key}", object_type="topic",
                 object_id=topic.id, region_code=topic.region_code, before=before,
                 after={**_snapshot(topic), "note": note, **data})
    hooks = plugins.hooks_for(await enabled_plugins(session, plugins, topic.region_code))
    await await_each(hooks.yishi_topic_action_taken(session=session, topic=topic, action=declared,
                                                     payload=payload, event=event, principal=principal))
    return topic


# -- views ----------------------------------------------------------------------

def _titled(key: str | None, zh: str, en: str) -> dict[str, Any]:
    return {"key": key, "title_zh": zh, "title_en": en}


def topic_summary(topic: Topic, procedure: Procedure | None = None) -> dict[str, Any]:
    """The public face of a topic: never the proposer's contact details."""
    step = procedure.step(topic.step) if procedure else None
    stage = procedure.stage_of(topic.step) if procedure else None
    return {
        "id": topic.id,
        "region_code": topic.region_code,
        "origin_region_code": topic.origin_region_code,
        "title": topic.title,
        "category": topic.category,
        "channel": topic.channel,
        "scale": topic.scale,
        "proposer_name": topic.proposer_name,
        "procedure": {"key": topic.procedure_key, "version": topic.procedure_version},
        "stage": _titled(stage.key, stage.title_zh, stage.title_en) if stage else None,
        "step": _titled(topic.step, step.title_zh, step.title_en) if step else _titled(topic.step, "", ""),
        "status": topic.status,
        "due_at": topic.due_at.isoformat() if topic.due_at else None,
        "created_at": topic.created_at.isoformat(),
        "updated_at": topic.updated_at.isoformat(),
    }


def _action_dict(action: Action) -> dict[str, Any]:
    return {"key": action.key, "title_zh": action.title_zh, "title_en": action.title_en,
            "note_required": action.note_required, "kind": action.kind}


async def topic_view(session: AsyncSession, principal: Principal, topic_id: int, *, plugins: PluginHost,
                     authorizer: Authorizer) -> dict[str, Any]:
    """Everything about a topic the caller may see: where it stands, what the
    caller may do now (and what a guard still blocks), and its full history."""
    topic = await load_topic(session, principal, topic_id, authorizer=authorizer)
    procedure = _procedure_of(plugins, topic)
    roles = roles_at(authorizer, principal, topic.region_code, ACT)
    settings = await resolve_settings(session, plugins, topic.region_code)
    options = engine.action_options(procedure, state_of(topic), roles, _context(topic, settings))
    events = (await session.scalars(
        select(TopicEvent).where(TopicEvent.topic_id == topic.id).order_by(TopicEvent.at, TopicEvent.id))).all()
    decisions = (await session.scalars(
        select(ScreeningDecision).where(ScreeningDecision.topic_id == topic.id)
        .order_by(ScreeningDecision.id))).all()
    affected = (await session.scalars(
        select(TopicRegion.region_code).where(TopicRegion.topic_id == topic.id)
        .order_by(TopicRegion.region_code))).all()
    view = topic_summary(topic, procedure)
    view.update({
        "description": topic.description,
        "procedure": {"key": procedure.key, "version": procedure.version, "title_zh": procedure.title_zh,
                      "title_en": procedure.title_en},
        "affected_regions": list(affected),
        "timers": dict(topic.timers or {}),
        "actions": [_action_dict(o.action) for o in options if o.allowed],
        "blocked_actions": [{**_action_dict(o.action), "reason_zh": o.reason.zh, "reason_en": o.reason.en}
                            for o in options if not o.allowed],
        "history": [{"at": e.at.isoformat(), "actor_user_id": e.actor_user_id, "actor_name": e.actor_name,
                     "action": e.action, "from_step": e.from_step, "to_step": e.to_step, "status": e.status,
                     "note": e.note, "data": e.data or {}} for e in events],
        "screening": [{"admissible": d.admissible, "catalogue_item": d.catalogue_code,
                       "catalogue_text": d.catalogue_text, "route": d.route, "feedback": d.feedback,
                       "decided_at": d.decided_at.isoformat()} for d in decisions],
    })
    if roles & HANDLER_ROLES:
        view["proposer_contact"] = topic.proposer_contact
    hooks = plugins.hooks_for(await enabled_plugins(session, plugins, topic.region_code))
    for sections in await await_each(hooks.yishi_topic_view_sections(session=session, topic=topic,
                                                                      principal=principal)):
        for name, value in (sections or {}).items():
            if name in view:
                raise ValueError(f"topic view section {name!r} is contributed twice")
            view[name] = value
    return view


@dataclass(frozen=True)
class TopicFilters:
    step: str | None = None
    status: str | None = None
    channel: str | None = None
    category: str | None = None


async def list_topics(session: AsyncSession, scope: RegionScope, region_code: str, filters: TopicFilters,
                      paging: Paging, *, plugins: PluginHost) -> dict[str, Any]:
    """Topics owned by councils in ``region_code``'s subtree that ``scope`` reaches, newest first."""
    conditions = [Topic.region_code >= region_code, Topic.region_code < subtree_upper_bound(region_code),
                  scope.where(Topic.region_code)]
    for name in ("step", "status", "channel", "category"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(Topic, name) == value)
    total = await session.scalar(select(func.count()).select_from(Topic).where(*conditions))
    rows = (await session.scalars(select(Topic).where(*conditions).order_by(Topic.id.desc())
                                  .offset(paging.offset).limit(paging.page_size))).all()
    registry = procedure_registry(plugins)

    def procedure_of(topic: Topic) -> Procedure | None:
        try:
            return registry.get(topic.procedure_key, topic.procedure_version)
        except LookupError:
            return None

    return {"items": [topic_summary(t, procedure_of(t)) for t in rows], "total": total or 0,
            "page": paging.page, "page_size": paging.page_size}
