"""Escalation and upward reports over HTTP. Thin: each handler calls the service.

The inbox routes carry ``{code}`` and are checked by the app's guard. The
topic and report routes do not: the service checks the object's own regions
with the authorizer (404 if the caller cannot read it, 403 if they may not
act, 409 if its state forbids it).
"""
from __future__ import annotations

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.escalation import service
from core.escalation.schemas import EscalationRequest, ReportAnswer, UpwardReportForm
from core.models.escalation import REPORT_STATUSES
from core.errors import FieldError, validation_failed
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime
from core.topics import service as topics


@post("/topics/{topic_id:int}/escalate", opt={"action": service.ESCALATION_MANAGE}, status_code=200,
      summary="Move a topic up to the council of its affected communities' lowest common ancestor")
async def escalate(topic_id: FromPath[int], db: NamedDependency[AsyncSession], principal: NamedDependency[Principal],
                   runtime: NamedDependency[Runtime], data: JSONBody[EscalationRequest | None] = None) -> dict:
    authorizer = await get_authorizer(runtime)
    await service.request_escalation(db, principal, topic_id, msgspec.to_builtins(data), plugins=runtime.plugins,
                                     authorizer=authorizer)
    return await topics.topic_view(db, principal, topic_id, plugins=runtime.plugins, authorizer=authorizer)


@get("/regions/{code:str}/escalations", opt={"action": service.ESCALATION_READ},
     summary="Topics escalated to this region's council, newest first")
async def escalation_inbox(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                           status: FromQuery[str | None] = None, page: FromQuery[int] = 1,
                           page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    return await service.escalation_inbox(db, code, Paging.checked(page, page_size), plugins=runtime.plugins,
                                          status=status)


@post("/topics/{topic_id:int}/upward-reports", opt={"action": service.REPORT_MANAGE}, status_code=201,
      summary="File a proposal or social-opinion bulletin from a topic to the level above")
async def file_report(topic_id: FromPath[int], db: NamedDependency[AsyncSession], principal: NamedDependency[Principal],
                      runtime: NamedDependency[Runtime], data: JSONBody[UpwardReportForm | None] = None) -> dict:
    authorizer = await get_authorizer(runtime)
    report = await service.file_upward_report(db, principal, topic_id, msgspec.to_builtins(data), authorizer=authorizer)
    return service.report_dict(report)


@get("/regions/{code:str}/upward-reports", opt={"action": service.REPORT_READ},
     summary="Reports filed to this region from the level below, newest first")
async def report_inbox(code: FromPath[str], db: NamedDependency[AsyncSession], status: FromQuery[str | None] = None,
                       page: FromQuery[int] = 1, page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    if status is not None and status not in REPORT_STATUSES:
        raise validation_failed(FieldError("status", f"未知的状态“{status}”，应为：{'、'.join(REPORT_STATUSES)}",
                                           f"unknown status '{status}', expected one of: "
                                           f"{', '.join(REPORT_STATUSES)}"))
    return await service.report_inbox(db, code, Paging.checked(page, page_size), status)


@get("/upward-reports/{report_id:int}", opt={"action": service.REPORT_READ},
     summary="One upward report, as the filing council follows it")
async def report_detail(report_id: FromPath[int], db: NamedDependency[AsyncSession],
                        principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> dict:
    authorizer = await get_authorizer(runtime)
    return service.report_dict(await service.load_report(db, principal, report_id, authorizer=authorizer))


@post("/upward-reports/{report_id:int}/accept", opt={"action": service.REPORT_MANAGE}, status_code=200,
      summary="The level above accepts a report")
async def accept_report(report_id: FromPath[int], db: NamedDependency[AsyncSession],
                        principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> dict:
    authorizer = await get_authorizer(runtime)
    return service.report_dict(await service.accept_upward_report(db, principal, report_id, authorizer=authorizer))


@post("/upward-reports/{report_id:int}/answer", opt={"action": service.REPORT_MANAGE}, status_code=200,
      summary="The level above answers a report")
async def answer_report(report_id: FromPath[int], db: NamedDependency[AsyncSession],
                        principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                        data: JSONBody[ReportAnswer | None] = None) -> dict:
    authorizer = await get_authorizer(runtime)
    report = await service.answer_upward_report(db, principal, report_id, msgspec.to_builtins(data),
                                                authorizer=authorizer)
    return service.report_dict(report)


ROUTES = [escalate, escalation_inbox, file_report, report_inbox, report_detail, accept_report, answer_report]
