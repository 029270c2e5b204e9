"""Upward reports (提案, 社情民意信息): a council reports a topic to a level above,
which accepts and answers it; the topic's history shows each step."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.errors import FieldError, conflict, forbidden, not_found, validation_failed
from core.escalation.regions import parent_code
from core.fields import request_body, required_text
from core.models import Region, Topic
from core.models.escalation import REPORT_KINDS, UpwardReport
from core.regions.queries import Paging
from core.topics.service import MAX_TEXT, MAX_TITLE, load_topic
from core.topics.transitions import Actor, actor_name, append_event

REPORT_READ = "report.read"
REPORT_MANAGE = "report.manage"
KIND_LABELS = {"proposal": ("提案", "proposal"), "plenary_speech": ("大会发言", "speech at the plenary session"),
               "special_report": ("专题报告", "special report"),
               "social_opinion": ("社情民意信息", "social-opinion bulletin")}
STATUS_LABELS = {"submitted": ("已报送", "submitted"), "accepted": ("已受理", "accepted"),
                 "answered": ("已答复", "answered")}


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
    data = request_body(data)
    topic = await load_topic(session, principal, topic_id, authorizer=authorizer, for_update=True)
    if not authorizer.allowed(principal, REPORT_MANAGE, topic.region_code):
        raise forbidden("您不能为此议题向上报送", "you may not report this topic upward")
    errors: list[FieldError] = []
    kind = data.get("kind")
    if kind not in REPORT_KINDS:
        labels = "、".join(f"{k}（{KIND_LABELS[k][0]}）" for k in REPORT_KINDS)
        errors.append(FieldError("kind", f"未知的报送类型“{kind}”，应为：{labels}",
                                 f"unknown report kind '{kind}', expected one of: {', '.join(REPORT_KINDS)}"))
    title = required_text(data, "title", MAX_TITLE, "标题", "title", errors)
    body = required_text(data, "body", MAX_TEXT, "正文", "body", errors)
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
    append_event(session, topic, Actor.of(principal), "upward_report", from_step=topic.step, note=title,
                 data={"report_id": report.id, "kind": kind, "to_region": parent})
    await session.flush()
    await record(session, actor=principal, action="upward_report.file", object_type="upward_report",
                 object_id=report.id, region_code=parent, before=None, after=_report_snapshot(report))
    return report


async def load_report(session: AsyncSession, principal: Principal, report_id: int, *, authorizer: Authorizer,
                      for_update: bool = False) -> UpwardReport:
    """The report if the caller may read it at either end (in the query); otherwise 404."""
    scope = authorizer.scope(principal, REPORT_READ)
    query = select(UpwardReport).where(UpwardReport.id == report_id,
                                       or_(scope.where(UpwardReport.to_region_code),
                                           scope.where(UpwardReport.from_region_code)))
    if for_update:
        query = query.with_for_update()
    report = await session.scalar(query)
    if report is None:
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
    append_event(session, topic, Actor.of(principal), "upward_report_accepted", from_step=topic.step,
                 data={"report_id": report.id, "to_region": report.to_region_code})
    await session.flush()
    await record(session, actor=principal, action="upward_report.accept", object_type="upward_report",
                 object_id=report.id, region_code=report.to_region_code, before=before,
                 after=_report_snapshot(report))
    return report


async def answer_upward_report(session: AsyncSession, principal: Principal, report_id: int,
                               data: Mapping[str, Any] | None, *, authorizer: Authorizer) -> UpwardReport:
    """The level above answers (``answer``); the topic's history shows it."""
    data = request_body(data)
    report, topic = await _answering(session, principal, report_id, authorizer)
    errors: list[FieldError] = []
    answer = required_text(data, "answer", MAX_TEXT, "答复", "answer", errors)
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
    append_event(session, topic, Actor.of(principal), "upward_report_answered", from_step=topic.step, note=answer,
                 data={"report_id": report.id, "to_region": report.to_region_code})
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
