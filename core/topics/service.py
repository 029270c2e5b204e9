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
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.asyncutil import await_each
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role, covers
from core.authz.scope import RegionScope
from core.catalogue import ADMISSIBLE
from core.errors import ApiError, FieldError, forbidden, not_found, validation_failed
from core.fields import request_body, text_field as _text
from core.models import Region, ScreeningDecision, Topic, TopicEvent, TopicRegion
from core.models.implementation import Task
from core.models.region import RegionLevel, subtree_upper_bound
from core.models.topic import CHANNELS, SCALES
from core.plugins import PluginHost
from core.procedures import engine
from core.procedures.model import Action, Procedure
from core.procedures.registry import procedure_registry
from core.region_context import region_context
from core.regions.queries import Paging
from core.topics.affected import affected_changed, affected_codes
from core.topics.presence import has_rows, watch
from core.topics.transitions import (MAX_NAME, MAX_TEXT, Actor, actor_name, engine_context, procedure_of,
                                     snapshot, state_of, take_action, append_event)

watch(ScreeningDecision.__table__)

READ = "topic.read"
CREATE = "topic.create"
# Route-level only: the procedure, not casbin, says who may take which action.
ACT = "topic.act"
SUBMIT = "submit"

MAX_TITLE = 200
MAX_CONTACT = 200
MAX_AFFECTED = 500

CHANNEL_LABELS = {
    "assigned": ("党政交", "assigned by party and government"),
    "member": ("委员提", "proposed by a member"),
    "resident": ("社会征", "submitted by a resident"),
    "on_behalf": ("代录", "entered for a resident"),
    "petition": ("信访事项", "a petition (letters and visits) matter"),
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
    # Handed over by the office that received the petition, or taken up by the council.
    "petition": frozenset({Role.city_admin, Role.district_admin, Role.street_staff, Role.council_chair,
                           Role.council_secretary}),
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


# -- creating a topic --------------------------------------------------------



async def community_codes(session: AsyncSession, raw: Any, city_code: str, errors: list[FieldError], *,
                          known: Iterable[str] = ()) -> list[str]:
    """The community codes of ``raw`` (a client's ``affected_regions``) not
    already ``known``, each checked to be a community of ``city_code``;
    problems go to ``errors``."""
    field = "affected_regions"
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        errors.append(FieldError(field, "涉及区划应为区划代码列表", "affected_regions must be a list of codes"))
        return []
    known = set(known)
    codes = [code for code in dict.fromkeys(c.strip() for c in raw) if code not in known]
    if len(codes) + len(known) > MAX_AFFECTED:
        errors.append(FieldError(field, f"涉及区划不得超过 {MAX_AFFECTED} 个",
                                 f"at most {MAX_AFFECTED} affected regions"))
        return []
    found = dict((await session.execute(
        select(Region.code, Region.level).where(Region.code.in_(codes)))).all()) if codes else {}
    for code in codes:
        if code[:4] != city_code:
            errors.append(FieldError(field, f"{code} 与本议事会不属于同一城市",
                                     f"{code} is not in this council's city"))
        elif found.get(code) != RegionLevel.community.value:
            errors.append(FieldError(field, f"{code} 不是社区（村）", f"{code} is not a community"))
        # A community beyond the council's own area is allowed on purpose: a
        # matter touching a neighbour is what escalation to the common
        # street (district, city) is for.
    return codes


async def _affected_regions(session: AsyncSession, region: Region, raw: Any,
                            errors: list[FieldError]) -> list[str]:
    if raw is None or raw == []:
        if region.level == RegionLevel.community.value:
            return [region.code]
        errors.append(FieldError("affected_regions", "请选择至少一个涉及的社区（村）",
                                 "name at least one affected community"))
        return []
    return await community_codes(session, raw, region.city_code, errors)


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
    data = request_body(data, required=True)
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

    context = await region_context(session, plugins, region.code)
    category = data.get("category")
    if category is not None:
        item = context.catalogue.get(category) if isinstance(category, str) else None
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

    procedure = context.procedure_for_new_topic()
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
    affected_changed(session, topic.id)
    append_event(session, topic, Actor.of(principal), SUBMIT, from_step=None, data={"channel": channel}, at=now)
    await session.flush()
    await record(session, actor=principal, action="topic.create", object_type="topic", object_id=topic.id,
                 region_code=topic.region_code, before=None,
                 after={**snapshot(topic), "affected_regions": affected})
    await await_each(context.hooks.yishi_topic_created(session=session, context=context, topic=topic,
                                                       principal=principal))
    return topic


# -- loading with access --------------------------------------------------------

def readable(scope: RegionScope, principal: Principal) -> ColumnElement[bool]:
    """Which topics the caller may read, as SQL (``scope``: the caller's
    ``topic.read`` scope): those of a council in scope; those whose origin
    or an affected community is in scope, so the source communities keep
    reading a topic escalated away; and the caller's own, which a proposer
    follows even after it moved out of their reach."""
    terms = [scope.where(Topic.region_code), scope.where(Topic.origin_region_code),
             exists().where(TopicRegion.topic_id == Topic.id, scope.where(TopicRegion.region_code))]
    if principal.user_id is not None:
        terms.append(Topic.proposer_user_id == principal.user_id)
    return or_(*terms)


async def load_topic(session: AsyncSession, principal: Principal, topic_id: int, *,
                     authorizer: Authorizer, for_update: bool = False) -> Topic:
    """The topic if the caller may read it; otherwise the 404 a missing topic gets.

    The caller's scope is part of the query, so a topic out of reach is never loaded.
    """
    query = select(Topic).where(Topic.id == topic_id, readable(authorizer.scope(principal, READ), principal))
    if for_update:
        # Two actions on one topic must not both start from the same state.
        query = query.with_for_update()
    topic = await session.scalar(query)
    if topic is None:
        raise topic_not_found()
    return topic


# -- actions ------------------------------------------------------------------

async def perform_action(session: AsyncSession, principal: Principal, topic_id: int, action: str,
                         payload: Mapping[str, Any] | None, *, plugins: PluginHost,
                         authorizer: Authorizer) -> Topic:
    """Take ``action`` on the topic under its own procedure version, as the
    caller's roles at the topic's region (see ``transitions.take_action`` for
    what ``payload`` carries)."""
    payload = request_body(payload)
    topic = await load_topic(session, principal, topic_id, authorizer=authorizer, for_update=True)
    context = await region_context(session, plugins, topic.region_code)
    actor = Actor.user(principal, roles_at(authorizer, principal, topic.region_code, ACT))
    await take_action(context, topic, action, actor, payload)
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
                     authorizer: Authorizer, acted_on: Topic | None = None) -> dict[str, Any]:
    """Everything about a topic the caller may see: where it stands, what the
    caller may do now (and what a guard still blocks), and its full history.

    ``acted_on``: the topic as :func:`perform_action` loaded it for this caller
    in this transaction, so the answer to an action shows its result without
    loading the topic again (even when the action moved it out of the caller's reach).
    """
    if acted_on is not None and acted_on.id == topic_id:
        topic = acted_on
    else:
        topic = await load_topic(session, principal, topic_id, authorizer=authorizer)
    context = await region_context(session, plugins, topic.region_code)
    procedure = procedure_of(context, topic)
    roles = roles_at(authorizer, principal, topic.region_code, ACT)
    options = engine.action_options(procedure, state_of(topic), roles, engine_context(topic, context.settings))
    events = (await session.scalars(
        select(TopicEvent).where(TopicEvent.topic_id == topic.id).order_by(TopicEvent.at, TopicEvent.id))).all()
    decisions = []
    if await has_rows(session, topic.id, ScreeningDecision.__table__):
        decisions = (await session.scalars(
            select(ScreeningDecision).where(ScreeningDecision.topic_id == topic.id)
            .order_by(ScreeningDecision.id))).all()
    affected = await affected_codes(session, topic.id)
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
                       "catalogue_text": d.catalogue_text, "route": d.route, "referred_to": d.referred_to,
                       "channel": d.channel, "feedback": d.feedback,
                       "decided_at": d.decided_at.isoformat()} for d in decisions],
    })
    if roles & HANDLER_ROLES:
        view["proposer_contact"] = topic.proposer_contact
    for sections in await await_each(context.hooks.yishi_topic_view_sections(
            session=session, context=context, topic=topic, principal=principal)):
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
    # Only open topics with an implementation task past its deadline.
    overdue: bool = False


def _listed(scope: RegionScope, region_code: str, filters: TopicFilters) -> list[ColumnElement[bool]]:
    conditions = [Topic.region_code >= region_code, Topic.region_code < subtree_upper_bound(region_code),
                  scope.where(Topic.region_code)]
    for name in ("step", "status", "channel", "category"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(Topic, name) == value)
    if filters.overdue:
        conditions += [Topic.status == "open",
                       exists().where(Task.topic_id == Topic.id, Task.status == "open", Task.deadline < clock.now())]
    return conditions


async def count_topics_by_step(session: AsyncSession, scope: RegionScope, region_code: str,
                               filters: TopicFilters) -> dict[str, int]:
    """How many of the topics :func:`list_topics` would list stand at each step, by step key."""
    rows = await session.execute(select(Topic.step, func.count()).where(*_listed(scope, region_code, filters))
                                 .group_by(Topic.step))
    return {step: count for step, count in rows.all()}


async def list_topics(session: AsyncSession, scope: RegionScope, region_code: str, filters: TopicFilters,
                      paging: Paging, *, plugins: PluginHost) -> dict[str, Any]:
    """Topics owned by councils in ``region_code``'s subtree that ``scope`` reaches, newest first."""
    conditions = _listed(scope, region_code, filters)
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
