"""Evaluation (评议): residents' and members' ratings of a completed topic (1–5),
and evaluation reports by the residents' supervisory committee or a third party
(001 §二(五) "有效发挥居务监督委员会、第三方评估机构的作用")."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role, covers
from core.errors import FieldError, conflict, validation_failed
from core.fields import text_field
from core.implementation.access import RATE, REPORT, load_topic, require
from core.implementation.fields import MAX_NAME, MAX_TEXT, attachment_ids, int_field
from core.fields import request_body
from core.implementation.phase import implementing, procedure_of
from core.models.implementation import EvaluationReport, Rating
from core.plugins import PluginHost
from core.topics.service import actor_name

EVALUATOR_KINDS: dict[str, tuple[str, str]] = {
    "supervisory_committee": ("居务监督委员会", "residents' supervisory committee"),
    "third_party": ("第三方评估机构", "third-party evaluator"),
}
# A supervisor files the committee's report, not a third party's.
SUPERVISOR_KINDS = frozenset({"supervisory_committee"})

MEMBER_ROLES = frozenset({Role.council_chair, Role.council_secretary, Role.council_member, Role.cppcc_member,
                          Role.supervisor})


def _rater_kind(principal: Principal, codes: list[str]) -> str:
    member = any(role in MEMBER_ROLES and any(covers(role, where, c) for c in codes)
                 for role, where in principal.grants)
    return "member" if member else "resident"


async def rate(session: AsyncSession, principal: Principal, topic_id: int, data: Any, *,
               authorizer: Authorizer) -> Rating:
    """Rate a completed topic's result: ``score`` 1–5 and ``comment``; once per person."""
    data = request_body(data)
    topic, affected = await load_topic(session, principal, topic_id, authorizer)
    codes = [topic.region_code, *affected]
    require(authorizer, principal, RATE, codes, "您不能评议此议题", "you may not rate this topic")
    if topic.status != "closed":
        raise conflict("not_completed", "议题办结后才能评议", "a topic is rated once it is completed")
    errors: list[FieldError] = []
    score = int_field(data, "score", 1, 5, errors, zh="评分", en="score")
    comment = text_field(data, "comment", MAX_TEXT, errors, zh="评议意见", en="comment")
    if errors:
        raise validation_failed(*errors)
    if await session.scalar(select(Rating.id).where(Rating.topic_id == topic.id,
                                                    Rating.user_id == principal.user_id)) is not None:
        raise conflict("already_rated", "您已评议过此议题", "you have already rated this topic")
    rating = Rating(topic_id=topic.id, user_id=principal.user_id, rater_name=actor_name(principal),
                    rater_kind=_rater_kind(principal, codes), score=score, comment=comment,
                    created_at=clock.now())
    session.add(rating)
    await session.flush()
    await record(session, actor=principal, action="evaluation.rate", object_type="topic", object_id=topic.id,
                 region_code=topic.region_code, before=None,
                 after={"rating_id": rating.id, "score": score, "comment": comment})
    return rating


async def attach_report(session: AsyncSession, principal: Principal, topic_id: int, data: Any, *,
                        plugins: PluginHost, authorizer: Authorizer) -> EvaluationReport:
    """Attach an evaluation report: ``evaluator_kind`` (supervisory_committee or
    third_party, the default), ``evaluator`` (the body's name), ``summary``, optional
    ``score`` (1–100) and ``attachment_ids`` (the report itself)."""
    data = request_body(data)
    topic, _ = await load_topic(session, principal, topic_id, authorizer)
    require(authorizer, principal, REPORT, [topic.region_code], "您不能为此议题附加评估报告",
            "you may not attach evaluation reports to this topic")
    if not implementing(procedure_of(plugins, topic), topic):
        raise conflict("not_implementing", "议题进入落实阶段后才能附加评估报告",
                       "evaluation reports are attached once the topic is being implemented")
    errors: list[FieldError] = []
    kind = data.get("evaluator_kind") or "third_party"
    if kind not in EVALUATOR_KINDS:
        errors.append(FieldError("evaluator_kind", f"评估主体应为：{'、'.join(zh for zh, _ in EVALUATOR_KINDS.values())}",
                                 f"evaluator_kind must be one of: {', '.join(EVALUATOR_KINDS)}"))
    elif kind not in SUPERVISOR_KINDS and not _manages(principal, authorizer, topic.region_code):
        errors.append(FieldError("evaluator_kind", "监委会成员只能提交居务监督委员会的评估报告",
                                 "a supervisory committee member files the committee's report only"))
    evaluator = text_field(data, "evaluator", MAX_NAME, errors, zh="评估机构", en="evaluator", required=True)
    summary = text_field(data, "summary", MAX_TEXT, errors, zh="评估结论", en="summary", required=True)
    score = int_field(data, "score", 1, 100, errors, zh="评估得分", en="score", required=False)
    attachments = await attachment_ids(session, data, errors)
    if errors:
        raise validation_failed(*errors)
    report = EvaluationReport(topic_id=topic.id, evaluator=evaluator, evaluator_kind=kind, summary=summary, score=score,
                              attachment_ids=attachments, uploaded_by_user_id=principal.user_id,
                              created_at=clock.now())
    session.add(report)
    await session.flush()
    await record(session, actor=principal, action="evaluation.report", object_type="topic", object_id=topic.id,
                 region_code=topic.region_code, before=None,
                 after={"report_id": report.id, "evaluator": evaluator, "evaluator_kind": kind, "score": score})
    return report


def _manages(principal: Principal, authorizer: Authorizer, region_code: str) -> bool:
    """Whether the caller files reports as the council's staff (any kind), not only as a supervisor."""
    return any(role != Role.supervisor and covers(role, where, region_code)
               and authorizer.role_may(role, region_code[:4], REPORT) for role, where in principal.grants)


def report_dict(report: EvaluationReport) -> dict[str, Any]:
    kind = EVALUATOR_KINDS.get(report.evaluator_kind, (report.evaluator_kind, report.evaluator_kind))
    return {"id": report.id, "topic_id": report.topic_id, "evaluator": report.evaluator,
            "evaluator_kind": report.evaluator_kind, "evaluator_kind_zh": kind[0], "evaluator_kind_en": kind[1],
            "summary": report.summary, "score": report.score, "attachment_ids": list(report.attachment_ids or []),
            "at": report.created_at.isoformat()}
