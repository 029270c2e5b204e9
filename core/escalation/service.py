"""Escalation upward (上移), the inboxes above, joint meetings' invitees,
upward reports (提案, 社情民意信息) and similar topics of sibling communities.

A topic whose affected communities span more than one community belongs to
the council of their lowest common ancestor (DOMAIN.md §5: two communities →
the street, two streets → the district, two districts → the city), unless a
plugin names another target (``yishi_escalation_target``). It moves there
when admitted at screening, or when staff ask (``request_escalation``), and
the source communities keep reading it (``core.topics.service.load_topic``).

Access follows the topic service: no ``{code}`` in a topic's routes, so the
topic's own region decides: 404 if the caller cannot read the topic, 403 if
they may read but not do this, 409 if the topic's state forbids it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role, covers
from core.councils.categories import ROLES_IN_COUNCIL
from core.councils.service import current_term, ensure_council, get_council, roster
from core.errors import FieldError, conflict, forbidden, not_found, validation_failed
from core.fields import required_text as _required_text
from core.escalation import similarity
from core.models import Region, Topic, TopicEvent, TopicFeedback, TopicRegion
from core.models.escalation import REPORT_KINDS, Escalation, TopicLink, UpwardReport
from core.models.region import RegionLevel, subtree_upper_bound
from core.plugins import PluginHost, make_plugin_manager
from core.procedures.registry import procedure_registry
from core.regions.queries import Paging
from core.tenants.settings import enabled_plugins
from core.plugins import PLUGINS_INFO_KEY
from core.topics.service import MAX_AFFECTED, MAX_TEXT, MAX_TITLE, actor_name, load_topic, topic_summary

ESCALATION_READ = "escalation.read"
ESCALATION_MANAGE = "escalation.manage"
REPORT_READ = "report.read"
REPORT_MANAGE = "report.manage"

ESCALATE = "escalate"

LEVEL_LENGTHS = (4, 6, 9, 12)
# Who handles topics at a council and may therefore see what the platform
# suggests about them (similar topics, invitees). Matches the topic
# service's handlers.
STAFF_ROLES = frozenset({Role.platform_admin, Role.city_admin, Role.district_admin, Role.street_staff,
                         Role.council_chair, Role.council_secretary})
# Members who speak for their council at a joint meeting (联席会议).
REPRESENTATIVE_ROLES = ("chair", "vice_chair", "convenor", "head")
TRIGGER_LABELS = {"admit": ("受理时上移", "moved up at screening"), "request": ("应申请上移", "moved up on request")}
KIND_LABELS = {"proposal": ("提案", "proposal"), "social_opinion": ("社情民意信息", "social-opinion bulletin")}
STATUS_LABELS = {"submitted": ("已报送", "submitted"), "accepted": ("已受理", "accepted"),
                 "answered": ("已答复", "answered")}


# -- the tree -----------------------------------------------------------------

def lowest_common_ancestor(codes: Iterable[str]) -> str | None:
    """The narrowest region whose subtree holds every code: the longest level
    prefix (12, 9, 6 or 4 digits) they all share; None if they share no city."""
    codes = list(codes)
    if not codes:
        return None
    for length in reversed(LEVEL_LENGTHS):
        if all(len(code) >= length for code in codes) and len({code[:length] for code in codes}) == 1:
            return codes[0][:length]
    return None


def parent_code(code: str) -> str | None:
    """The level directly above ``code``, or None for a city."""
    shorter = [n for n in LEVEL_LENGTHS if n < len(code)]
    return code[:shorter[-1]] if shorter else None


def is_upward(target: str | None, current: str) -> bool:
    return bool(target) and target != current and len(target) in LEVEL_LENGTHS and current.startswith(target)


async def _region_names(session: AsyncSession, codes: Iterable[str]) -> dict[str, str]:
    codes = set(codes)
    if not codes:
        return {}
    return dict((await session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))).all())


async def affected_codes(session: AsyncSession, topic_id: int) -> list[str]:
    return list(await session.scalars(select(TopicRegion.region_code).where(TopicRegion.topic_id == topic_id)
                                      .order_by(TopicRegion.region_code)))


def _staff_at(principal: Principal | None, region_code: str) -> bool:
    """Whether the caller handles topics at ``region_code`` (role reach, no casbin:
    the view hooks get no authorizer; this only decides what is *shown*)."""
    if principal is None:
        return False
    return any(role in STAFF_ROLES and covers(role, where, region_code) for role, where in principal.grants)


def _reaches(principal: Principal | None, region_codes: Iterable[str]) -> bool:
    if principal is None:
        return False
    return any(covers(role, where, code) for role, where in principal.grants for code in region_codes)


# -- choosing the target ------------------------------------------------------

@lru_cache(maxsize=1)
def _installed_host() -> PluginHost:
    return make_plugin_manager()


def plugin_host_of(session: AsyncSession) -> PluginHost:
    """The plugin host for code reached only through a hook (which gets a session).

    A runtime puts its host in ``session.info[PLUGINS_INFO_KEY]``; without one,
    the installed plugins (built-ins and entry points) are what a default
    runtime runs, so they are consulted instead.
    """
    host = session.info.get(PLUGINS_INFO_KEY)
    return host if host is not None else _installed_host()


async def escalation_target(session: AsyncSession, plugins: PluginHost, topic: Topic,
                            affected: Iterable[str]) -> str:
    """Where the topic belongs given its affected communities: a plugin's answer,
    else the lowest common ancestor (the built-in plugin answers last)."""
    hooks = plugins.hooks_for(await enabled_plugins(session, plugins, topic.region_code))
    target = hooks.yishi_escalation_target(topic_region_code=topic.region_code,
                                           affected_region_codes=tuple(sorted(set(affected))),
                                           category=topic.category)
    return target or topic.region_code


# -- moving -------------------------------------------------------------------

async def move_topic(session: AsyncSession, topic: Topic, target: str, *, principal: Principal | None,
                     trigger: str, reason: str, affected: list[str]) -> Escalation:
    """Hand the topic to the council of ``target``: the record, the topic's new
    owner, its history, the proposer's feedback and the audit entry."""
    region = await session.get(Region, target)
    if region is None or region.city_code != topic.region_code[:4]:
        raise conflict("escalation_target_unknown", f"上移目标区划 {target} 不存在或不在本市",
                       f"the escalation target {target} does not exist or is in another city")
    council = await ensure_council(session, target, actor=principal)
    now = clock.now()
    origin = topic.region_code
    escalation = Escalation(topic_id=topic.id, from_region_code=origin, to_region_code=target, trigger=trigger,
                            reason=reason, source_region_codes=list(affected), at=now,
                            by_user_id=principal.user_id if principal else None, by_name=actor_name(principal))
    session.add(escalation)
    topic.region_code = target
    topic.updated_at = now
    await session.flush()
    session.add(TopicEvent(topic_id=topic.id, at=now, actor_user_id=escalation.by_user_id,
                           actor_name=escalation.by_name, action=ESCALATE, from_step=topic.step,
                           to_step=topic.step, status=topic.status, note=reason,
                           data={"from_region": origin, "to_region": target, "trigger": trigger,
                                 "escalation_id": escalation.id}))
    if topic.proposer_user_id is not None or topic.proposer_name:
        session.add(TopicFeedback(
            topic_id=topic.id, recipient_user_id=topic.proposer_user_id, recipient_name=topic.proposer_name,
            # The reason says why (several communities, city departments, a staff member's request).
            text_zh=f"您提出的议题“{topic.title}”已上移至{council.name}协商。原因：{reason}",
            text_en=f"Your topic \"{topic.title}\" has moved up to {council.name} for consultation. "
                    f"Reason: {reason}",
            created_at=now))
    await session.flush()
    await record(session, actor=principal, action="topic.escalate", object_type="topic", object_id=topic.id,
                 region_code=target, before={"region_code": origin},
                 after={"region_code": target, "council_id": council.id, "trigger": trigger, "reason": reason,
                        "affected_regions": list(affected), "escalation_id": escalation.id})
    return escalation


async def escalate_on_admit(session: AsyncSession, topic: Topic, principal: Principal | None,
                            plugins: PluginHost) -> Escalation | None:
    """At screening: move an admitted topic that spans communities; else nothing."""
    affected = await affected_codes(session, topic.id)
    target = await escalation_target(session, plugins, topic, affected)
    if not is_upward(target, topic.region_code):
        return None
    names = await _region_names(session, affected)
    reason = "涉及" + "、".join(names.get(code, code) for code in affected)
    return await move_topic(session, topic, target, principal=principal, trigger="admit", reason=reason,
                            affected=affected)


async def _more_affected(session: AsyncSession, topic: Topic, raw: Any, known: list[str],
                         errors: list[FieldError]) -> list[str]:
    """Communities the caller adds to those the topic affects (same city only)."""
    field = "affected_regions"
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
        errors.append(FieldError(field, "涉及区划应为区划代码列表", "affected_regions must be a list of codes"))
        return []
    codes = [code for code in dict.fromkeys(c.strip() for c in raw) if code not in known]
    if len(codes) + len(known) > MAX_AFFECTED:
        errors.append(FieldError(field, f"涉及区划不得超过 {MAX_AFFECTED} 个",
                                 f"at most {MAX_AFFECTED} affected regions"))
        return []
    found = dict((await session.execute(
        select(Region.code, Region.level).where(Region.code.in_(codes)))).all()) if codes else {}
    for code in codes:
        if code[:4] != topic.region_code[:4]:
            errors.append(FieldError(field, f"{code} 与本议题不属于同一城市", f"{code} is not in this topic's city"))
        elif found.get(code) != RegionLevel.community.value:
            errors.append(FieldError(field, f"{code} 不是社区（村）", f"{code} is not a community"))
    return codes


def _reason(data: Mapping[str, Any], errors: list[FieldError]) -> str:
    value = data.get("reason")
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError("reason", "请说明上移理由", "say why the topic moves up"))
        return ""
    if len(value.strip()) > MAX_TEXT:
        errors.append(FieldError("reason", f"上移理由不得超过 {MAX_TEXT} 字",
                                 f"reason must be at most {MAX_TEXT} characters"))
    return value.strip()


async def request_escalation(session: AsyncSession, principal: Principal, topic_id: int,
                             data: Mapping[str, Any] | None, *, plugins: PluginHost,
                             authorizer: Authorizer) -> Escalation:
    """Staff move a topic up: ``reason`` (required) and, optionally,
    ``affected_regions``, communities it also concerns (e.g. those of the
    similar topics the platform linked). The target is the plugins' answer
    or the lowest common ancestor; a topic that spans nothing wider than
    its council answers 409."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise validation_failed(FieldError("body", "请求内容应为对象", "the request body must be an object"))
    topic = await load_topic(session, principal, topic_id, authorizer=authorizer, for_update=True)
    if not authorizer.allowed(principal, ESCALATION_MANAGE, topic.region_code):
        raise forbidden("您不能上移此议题", "you may not move this topic up")
    errors: list[FieldError] = []
    reason = _reason(data, errors)
    known = await affected_codes(session, topic.id)
    added = await _more_affected(session, topic, data.get("affected_regions"), known, errors)
    if errors:
        raise validation_failed(*errors)
    if topic.status != "open":
        raise conflict("topic_not_open", "议题已办结或不予协商，不能上移",
                       "the topic is closed or rejected and cannot move up")
    affected = sorted({*known, *added})
    target = await escalation_target(session, plugins, topic, affected)
    if not is_upward(target, topic.region_code):
        raise conflict("escalation_not_needed", "议题涉及的社区都在本议事会辖区内，无需上移；如涉及其他社区，请一并填写",
                       "every community this topic affects is within this council; name the other "
                       "communities it concerns to move it up")
    session.add_all(TopicRegion(topic_id=topic.id, region_code=code) for code in added)
    await session.flush()
    return await move_topic(session, topic, target, principal=principal, trigger="request", reason=reason,
                            affected=affected)


# -- the inbox above ----------------------------------------------------------

def _topic_summaries(rows: list[Topic], plugins: PluginHost) -> dict[int, dict[str, Any]]:
    registry = procedure_registry(plugins)
    out = {}
    for topic in rows:
        try:
            procedure = registry.get(topic.procedure_key, topic.procedure_version)
        except LookupError:
            procedure = None
        out[topic.id] = topic_summary(topic, procedure)
    return out


async def escalation_inbox(session: AsyncSession, region_code: str, paging: Paging, *, plugins: PluginHost,
                           status: str | None = None) -> dict[str, Any]:
    """Topics escalated to ``region_code``'s council, newest move first, with
    the communities they came from and where each stands now."""
    conditions = [Escalation.to_region_code == region_code]
    if status is not None:
        conditions.append(Topic.status == status)
    base = select(Escalation, Topic).join(Topic, Topic.id == Escalation.topic_id).where(*conditions)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = (await session.execute(base.order_by(Escalation.at.desc(), Escalation.id.desc())
                                  .offset(paging.offset).limit(paging.page_size))).all()
    summaries = _topic_summaries([topic for _, topic in rows], plugins)
    names = await _region_names(session, {c for e, t in rows for c in (*e.source_region_codes, e.from_region_code,
                                                                      t.region_code)})

    def named(code: str) -> dict[str, str]:
        return {"code": code, "name": names.get(code, "")}

    items = [{"escalation_id": e.id, "topic": summaries[t.id], "status": t.status,
              "from_region": named(e.from_region_code), "source_regions": [named(c) for c in e.source_region_codes],
              "current_region": named(t.region_code), "trigger": e.trigger, "reason": e.reason,
              "at": e.at.isoformat(), "by_name": e.by_name} for e, t in rows]
    return {"items": items, "total": total or 0, "page": paging.page, "page_size": paging.page_size}


# -- joint meetings (联席会议) ------------------------------------------------

async def joint_meeting_invitees(session: AsyncSession, topic: Topic, *,
                                 representatives_only: bool = False) -> list[dict[str, Any]]:
    """Who speaks for each affected community at a joint meeting on ``topic``:
    the serving members of each community council's current term (chairs and
    other representatives first), or only the representatives."""
    codes = await affected_codes(session, topic.id)
    names = await _region_names(session, codes)
    invitees: list[dict[str, Any]] = []
    for code in codes:
        council = await get_council(session, code)
        term = await current_term(session, council) if council is not None else None
        if term is None:
            continue
        members = [m for m in await roster(session, term)
                   if not representatives_only or m.role_in_council in REPRESENTATIVE_ROLES]
        members.sort(key=lambda m: (m.role_in_council not in REPRESENTATIVE_ROLES, m.id))
        for member in members:
            role = ROLES_IN_COUNCIL.get(member.role_in_council, (member.role_in_council, member.role_in_council))
            invitees.append({"region_code": code, "region_name": names.get(code, ""), "council_id": council.id,
                             "council_name": council.name, "member_id": member.id, "user_id": member.user_id,
                             "name": member.name, "category": member.category,
                             "role_in_council": member.role_in_council, "role_zh": role[0], "role_en": role[1],
                             "representative": member.role_in_council in REPRESENTATIVE_ROLES})
    return invitees


# -- upward reports (提案, 社情民意信息) ---------------------------------------

def report_dict(report: UpwardReport) -> dict[str, Any]:
    kind = KIND_LABELS.get(report.kind, (report.kind, report.kind))
    status = STATUS_LABELS.get(report.status, (report.status, report.status))
    return {"id": report.id, "topic_id": report.topic_id, "kind": report.kind, "kind_zh": kind[0],
            "kind_en": kind[1], "from_region_code": report.from_region_code,
            "to_region_code": report.to_region_code, "title": report.title, "body": report.body,
            "status": report.status, "status_zh": status[0], "status_en": status[1], "answer": report.answer,
            "filed_by_name": report.filed_by_name, "filed_at": report.filed_at.isoformat(),
            "accepted_at": report.accepted_at.isoformat() if report.accepted_at else None,
            "answered_at": report.answered_at.isoformat() if report.answered_at else None,
            "answered_by_name": report.answered_by_name}


def _report_snapshot(report: UpwardReport) -> dict[str, Any]:
    return {"topic_id": report.topic_id, "kind": report.kind, "from_region_code": report.from_region_code,
            "to_region_code": report.to_region_code, "title": report.title, "status": report.status,
            "answer": report.answer}




async def _topic_event(session: AsyncSession, topic: Topic, principal: Principal, action: str, note: str,
                       data: dict[str, Any]) -> None:
    session.add(TopicEvent(topic_id=topic.id, at=clock.now(), actor_user_id=principal.user_id,
                           actor_name=actor_name(principal), action=action, from_step=topic.step,
                           to_step=topic.step, status=topic.status, note=note, data=data))


def _report_target(region_code: str, raw: Any, errors: list[FieldError]) -> str | None:
    """Where an upward report goes: ``raw`` if it is a level above ``region_code``, else
    the level directly above (None for a city: there is none)."""
    allowed = [region_code[:n] for n in (4, 6, 9) if n < len(region_code)]
    if raw is None or not allowed:
        return parent_code(region_code)
    if not isinstance(raw, str) or raw not in allowed:
        listed = "、".join(allowed)
        errors.append(FieldError("to_region", f"报送对象应为本议事会的上级区划：{listed}",
                                 f"to_region must be a level above the topic's council: {', '.join(allowed)}"))
        return None
    return raw


async def file_upward_report(session: AsyncSession, principal: Principal, topic_id: int,
                             data: Mapping[str, Any] | None, *, authorizer: Authorizer) -> UpwardReport:
    """Report from the topic's council upward: ``kind`` (proposal /
    social_opinion), ``title``, ``body`` and optionally ``to_region``: any
    level above the council (default the one directly above), so a
    community's concentrated concern can reach the city's party committee
    and government (Lianyungang, seed 003 §四)."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise validation_failed(FieldError("body", "请求内容应为对象", "the request body must be an object"))
    topic = await load_topic(session, principal, topic_id, authorizer=authorizer, for_update=True)
    if not authorizer.allowed(principal, REPORT_MANAGE, topic.region_code):
        raise forbidden("您不能为此议题向上报送", "you may not report this topic upward")
    errors: list[FieldError] = []
    kind = data.get("kind")
    if kind not in REPORT_KINDS:
        labels = "、".join(f"{k}（{KIND_LABELS[k][0]}）" for k in REPORT_KINDS)
        errors.append(FieldError("kind", f"未知的报送类型“{kind}”，应为：{labels}",
                                 f"unknown report kind '{kind}', expected one of: {', '.join(REPORT_KINDS)}"))
    title = _required_text(data, "title", MAX_TITLE, "标题", "title", errors)
    body = _required_text(data, "body", MAX_TEXT, "正文", "body", errors)
    parent = _report_target(topic.region_code, data.get("to_region"), errors)
    if errors:
        raise validation_failed(*errors)
    if parent is None or await session.get(Region, parent) is None:
        raise conflict("no_level_above", "议题所属议事会已是平台最高一级，无处上报",
                       "the topic's council is the highest level on the platform: there is no level above")
    now = clock.now()
    report = UpwardReport(topic_id=topic.id, kind=kind, from_region_code=topic.region_code, to_region_code=parent,
                          title=title, body=body, status="submitted", answer="", filed_by_user_id=principal.user_id,
                          filed_by_name=actor_name(principal), filed_at=now, answered_by_name="")
    session.add(report)
    await session.flush()
    await _topic_event(session, topic, principal, "upward_report", title,
                       {"report_id": report.id, "kind": kind, "to_region": parent})
    await session.flush()
    await record(session, actor=principal, action="upward_report.file", object_type="upward_report",
                 object_id=report.id, region_code=parent, before=None, after=_report_snapshot(report))
    return report


async def load_report(session: AsyncSession, principal: Principal, report_id: int, *, authorizer: Authorizer,
                      for_update: bool = False) -> UpwardReport:
    """The report if the caller may read it at either end; otherwise 404."""
    query = select(UpwardReport).where(UpwardReport.id == report_id)
    if for_update:
        query = query.with_for_update()
    report = await session.scalar(query)
    if report is None or not (authorizer.allowed(principal, REPORT_READ, report.to_region_code)
                              or authorizer.allowed(principal, REPORT_READ, report.from_region_code)):
        raise not_found("上报事项", "upward report")
    return report


async def _answering(session: AsyncSession, principal: Principal, report_id: int,
                     authorizer: Authorizer) -> tuple[UpwardReport, Topic]:
    report = await load_report(session, principal, report_id, authorizer=authorizer, for_update=True)
    if not authorizer.allowed(principal, REPORT_MANAGE, report.to_region_code):
        raise forbidden("只有上一级可以受理和答复", "only the level above may accept and answer")
    topic = await session.get(Topic, report.topic_id)
    return report, topic


async def accept_upward_report(session: AsyncSession, principal: Principal, report_id: int, *,
                               authorizer: Authorizer) -> UpwardReport:
    report, topic = await _answering(session, principal, report_id, authorizer)
    if report.status != "submitted":
        raise conflict("report_not_submitted", f"该事项{STATUS_LABELS[report.status][0]}，不能再受理",
                       f"the report is already {report.status}")
    before = _report_snapshot(report)
    report.status = "accepted"
    report.accepted_at = clock.now()
    await _topic_event(session, topic, principal, "upward_report_accepted", "",
                       {"report_id": report.id, "to_region": report.to_region_code})
    await session.flush()
    await record(session, actor=principal, action="upward_report.accept", object_type="upward_report",
                 object_id=report.id, region_code=report.to_region_code, before=before,
                 after=_report_snapshot(report))
    return report


async def answer_upward_report(session: AsyncSession, principal: Principal, report_id: int,
                               data: Mapping[str, Any] | None, *, authorizer: Authorizer) -> UpwardReport:
    """The level above answers (``answer``); the topic's history shows it."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise validation_failed(FieldError("body", "请求内容应为对象", "the request body must be an object"))
    report, topic = await _answering(session, principal, report_id, authorizer)
    errors: list[FieldError] = []
    answer = _required_text(data, "answer", MAX_TEXT, "答复", "answer", errors)
    if errors:
        raise validation_failed(*errors)
    if report.status == "answered":
        raise conflict("report_answered", "该事项已答复", "the report has already been answered")
    before = _report_snapshot(report)
    now = clock.now()
    report.status = "answered"
    report.answer = answer
    report.answered_at = now
    report.accepted_at = report.accepted_at or now
    report.answered_by_user_id = principal.user_id
    report.answered_by_name = actor_name(principal)
    await _topic_event(session, topic, principal, "upward_report_answered", answer,
                       {"report_id": report.id, "to_region": report.to_region_code})
    await session.flush()
    await record(session, actor=principal, action="upward_report.answer", object_type="upward_report",
                 object_id=report.id, region_code=report.to_region_code, before=before,
                 after=_report_snapshot(report))
    return report


async def report_inbox(session: AsyncSession, region_code: str, paging: Paging,
                       status: str | None = None) -> dict[str, Any]:
    """Reports filed to ``region_code`` from the level below, newest first."""
    conditions = [UpwardReport.to_region_code == region_code]
    if status is not None:
        conditions.append(UpwardReport.status == status)
    total = await session.scalar(select(func.count()).select_from(UpwardReport).where(*conditions))
    rows = (await session.scalars(select(UpwardReport).where(*conditions)
                                  .order_by(UpwardReport.filed_at.desc(), UpwardReport.id.desc())
                                  .offset(paging.offset).limit(paging.page_size))).all()
    return {"items": [report_dict(r) for r in rows], "total": total or 0, "page": paging.page,
            "page_size": paging.page_size}


# -- similar topics -----------------------------------------------------------

# Enough to cover a street's open topics; older ones are rarely the match.
MAX_CANDIDATES = 500


async def link_similar_topics(session: AsyncSession, topic: Topic) -> list[TopicLink]:
    """Link ``topic`` to open topics of the other communities in its streets
    that read alike (``similarity.THRESHOLD``)."""
    affected = await affected_codes(session, topic.id)
    streets = sorted({code[:9] for code in affected if len(code) == 12})
    if not streets:
        return []
    in_streets = or_(*[(TopicRegion.region_code >= street) & (TopicRegion.region_code < subtree_upper_bound(street))
                       for street in streets])
    candidate_ids = (select(TopicRegion.topic_id)
                     .where(in_streets, TopicRegion.region_code.not_in(affected)).distinct())
    candidates = (await session.execute(
        select(Topic.id, Topic.title, Topic.description)
        .where(Topic.id.in_(candidate_ids), Topic.id != topic.id, Topic.status == "open")
        .order_by(Topic.id.desc()).limit(MAX_CANDIDATES))).all()
    if not candidates:
        return []
    mine = similarity.topic_vector(topic.title, topic.description)
    now = clock.now()
    links = []
    for other_id, title, description in candidates:
        score = similarity.cosine(mine, similarity.topic_vector(title, description))
        if score >= similarity.THRESHOLD:
            links.append(TopicLink(topic_id=topic.id, similar_topic_id=other_id, score=round(score, 4),
                                   created_at=now))
    session.add_all(links)
    await session.flush()
    return links


async def similar_section(session: AsyncSession, topic: Topic, principal: Principal | None) -> dict[str, Any] | None:
    """The linked topics and the suggestion to escalate, for staff only."""
    if not _staff_at(principal, topic.region_code):
        return None
    rows = (await session.execute(
        select(TopicLink, Topic).join(Topic, or_(
            (TopicLink.topic_id == topic.id) & (Topic.id == TopicLink.similar_topic_id),
            (TopicLink.similar_topic_id == topic.id) & (Topic.id == TopicLink.topic_id)))
        .where(or_(TopicLink.topic_id == topic.id, TopicLink.similar_topic_id == topic.id))
        .order_by(TopicLink.score.desc()))).all()
    others = [(link, other) for link, other in rows if other.id != topic.id]
    other_regions = {o.id: await affected_codes(session, o.id) for _, o in others}
    names = await _region_names(session, {c for codes in other_regions.values() for c in codes}
                                | {o.origin_region_code for _, o in others})
    links = []
    for link, other in others:
        codes = other_regions[other.id]
        # Only what the caller could reach anyway is named: a community's
        # chair learns that a neighbour has a like topic, not what it says.
        shown = _reaches(principal, [other.region_code, *codes])
        links.append({"topic_id": other.id, "title": other.title if shown else None,
                      "score": link.score, "status": other.status, "region_code": other.region_code,
                      "affected_regions": [{"code": c, "name": names.get(c, "")} for c in codes],
                      "escalated": other.region_code != other.origin_region_code})
    section: dict[str, Any] = {"links": links, "suggestion": None}
    open_links = [link for link in links if link["status"] == "open"]
    if open_links and topic.status == "open":
        mine = await affected_codes(session, topic.id)
        together = {*mine, *(region["code"] for link in open_links for region in link["affected_regions"])}
        target = lowest_common_ancestor(together)
        target_name = (await _region_names(session, [target])).get(target, target) if target else ""
        section["suggestion"] = {
            "escalate_to": target,
            "affected_regions": sorted(together - set(mine)),
            "text_zh": f"同一街道其他社区有 {len(open_links)} 个相似议题，建议上移至{target_name}协商议事会统一协商。",
            "text_en": f"{len(open_links)} similar open topic(s) in other communities of the same street: "
                       f"consider moving this topic up to the council of {target_name} to consult on them together.",
        }
    return section


# -- the topic view -----------------------------------------------------------

async def escalation_section(session: AsyncSession, topic: Topic, principal: Principal | None) -> dict[str, Any]:
    moves = (await session.scalars(select(Escalation).where(Escalation.topic_id == topic.id)
                                   .order_by(Escalation.id))).all()
    reports = (await session.scalars(select(UpwardReport).where(UpwardReport.topic_id == topic.id)
                                     .order_by(UpwardReport.id))).all()
    affected = await affected_codes(session, topic.id)
    names = await _region_names(session, {*affected, topic.origin_region_code, topic.region_code,
                                          *(m.from_region_code for m in moves)})
    section: dict[str, Any] = {
        "escalated": bool(moves),
        "origin_region": {"code": topic.origin_region_code, "name": names.get(topic.origin_region_code, "")},
        "current_region": {"code": topic.region_code, "name": names.get(topic.region_code, "")},
        "source_regions": [{"code": c, "name": names.get(c, "")} for c in affected],
        "moves": [{"from_region_code": m.from_region_code, "to_region_code": m.to_region_code,
                   "trigger": m.trigger, "trigger_zh": TRIGGER_LABELS[m.trigger][0],
                   "trigger_en": TRIGGER_LABELS[m.trigger][1], "reason": m.reason, "at": m.at.isoformat(),
                   "by_name": m.by_name} for m in moves],
        "upward_reports": [report_dict(r) for r in reports],
    }
    if len(affected) > 1 and _staff_at(principal, topic.region_code):
        section["joint_meeting_invitees"] = await joint_meeting_invitees(session, topic)
    return section

