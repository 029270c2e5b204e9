"""What the upper levels oversee: the region tree, a street's communities at a glance, the
escalation inbox and the upward reports received (issue 13). The same services and guard as
the JSON API (core.regions.queries, core.stats, core.compliance, core.escalation), in the
request's transaction."""
from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.forms import FormErrors, earlier_answer, new_once_token, read_form, submit_form
from admin_ui.i18n import N_, Language
from admin_ui.web import language, render, with_query
from core import clock
from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.compliance.service import check_region
from core.consultation.queries import meetings_held_below
from core.errors import ApiError, not_found
from core.escalation import service as escalation
from core.escalation.reports import STATUS_LABELS as REPORT_STATUS_LABELS
from core.escalation.sections import TRIGGER_LABELS
from core.models import Region
from core.models.region import ancestor_codes
from core.periods import current_quarter
from core.escalation.regions import region_names
from core.regions import queries as regions
from core.regions.queries import Paging
from core.region_context import region_context
from core.runtime import Runtime
from core.stats.service import region_stats

PAGE_SIZE = 20
LEVEL_WORDS = {"city": N_("City"), "district": N_("District or county"), "street": N_("Street or township"),
               "community": N_("Community or village")}
TOPIC_STATUS = {"open": N_("In progress"), "closed": N_("Concluded"), "rejected": N_("Not consulted")}


async def _region(db: AsyncSession, code: str) -> Region:
    region = await db.get(Region, code)
    if region is None:  # pragma: no cover - the guard answered 404 already
        raise not_found("区划", "region")
    return region


async def parent_chain(db: AsyncSession, code: str) -> list[dict[str, str]]:
    """The region's ancestors by name, widest first (a region page says where it sits)."""
    codes = [c for c in reversed(ancestor_codes(code)) if c != code]
    names = await region_names(db, codes)
    return [{"code": c, "name": names.get(c, c)} for c in codes]


def _pick(lang: Language, pair: tuple[str, str]) -> str:
    return pair[1] if lang.english else pair[0]


# -- the region tree ---------------------------------------------------------------------------

@get("/r/{code:str}/regions", opt={"action": "region.read"}, include_in_schema=False)
async def region_tree(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                      region_scope: NamedDependency[RegionScope], q: FromQuery[str | None] = None,
                      page: FromQuery[int] = 1) -> Template:
    """A region's children (or, with ``q``, the regions below it matching a name or code), paged."""
    region = await _region(db, code)
    paging = Paging.checked(page, PAGE_SIZE)
    query = (q or "").strip()
    errors = FormErrors()
    if query:
        try:
            listing = await regions.search_regions(db, region_scope, query, paging, within=code)
        except ApiError as err:
            errors = FormErrors.of(err, language(request))
            listing = {"items": [], "total": 0, "page": 1, "page_size": PAGE_SIZE}
    else:
        listing = await regions.list_children(db, region_scope, code, paging)
    names = await region_names(db, {r["parent_code"] for r in listing["items"] if r["parent_code"]})
    for item in listing["items"]:
        item["parent_name"] = names.get(item["parent_code"], "")

    def page_url(number: int) -> str:
        return with_query(f"/r/{code}/regions", q=query or None, page=number)

    return await render(request, db, "oversight/regions.html", region=region, parents=await parent_chain(db, code),
                        listing=listing, q=query, errors=errors, page_url=page_url, level_words=LEVEL_WORDS,
                        status_code=400 if errors.fields else 200)


# -- a street's communities at a glance ----------------------------------------------------------

@get("/r/{code:str}/communities", opt={"action": "region.read"}, include_in_schema=False)
async def communities_at_a_glance(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                                  region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime],
                                  page: FromQuery[int] = 1) -> Template:
    """Per community (or unit council) under a street: topics by step, consultations this
    quarter, overdue tasks and the regional standard's standing, each linking down."""
    lang = language(request)
    region = await _region(db, code)
    paging = Paging.checked(page, PAGE_SIZE)
    listing = await regions.list_children(db, region_scope, code, paging)
    quarter = current_quarter(clock.today())
    since, until = quarter.start, quarter.end
    held = await meetings_held_below(db, code, since, until)
    procedure = (await region_context(db, runtime.plugins, code)).procedure_for_new_topic()
    rows = []
    for child in listing["items"]:
        figures = await region_stats(db, region_scope, child["code"], plugins=runtime.plugins)
        child_region = await db.get(Region, child["code"])
        standards = [{"title": lang.bilingual(r, "title"), "met": r.met_count, "total": len(r.items),
                      "complete": r.complete,
                      "missing": [lang.bilingual(i, "title") for i in r.items if not i.met]}
                     for r in await check_region(db, runtime.plugins, child_region)]
        by_step = figures["topics_by_step"]
        rows.append({**child, "topics": figures["topics_total"], "open": figures["topics_by_status"].get("open", 0),
                     "steps": [(lang.bilingual(s, "title"), by_step.get(s.key, 0)) for s in procedure.steps
                               if by_step.get(s.key)],
                     "held": held.get(child["code"], 0), "overdue": figures["overdue_tasks"],
                     "open_notices": figures["open_notices"], "standards": standards})

    def page_url(number: int) -> str:
        return with_query(f"/r/{code}/communities", page=number)

    quarter = lang.gettext("Q%(n)s %(year)s", n=(quarter.first.month - 1) // 3 + 1, year=quarter.first.year)
    return await render(request, db, "oversight/communities.html", region=region,
                        parents=await parent_chain(db, code), rows=rows, listing=listing, page_url=page_url,
                        quarter=quarter)


# -- the escalation inbox ------------------------------------------------------------------------

@get("/r/{code:str}/escalations", opt={"action": escalation.ESCALATION_READ}, include_in_schema=False)
async def escalation_inbox(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                           runtime: NamedDependency[Runtime], status: FromQuery[str | None] = None,
                           page: FromQuery[int] = 1) -> Template:
    """Topics moved up to this council: why, from which communities, and where each stands."""
    lang = language(request)
    region = await _region(db, code)
    chosen = status if status in TOPIC_STATUS else None
    inbox = await escalation.escalation_inbox(db, code, Paging.checked(page, PAGE_SIZE), plugins=runtime.plugins,
                                              status=chosen)
    for item in inbox["items"]:
        item["trigger_words"] = _pick(lang, TRIGGER_LABELS[item["trigger"]]) if item["trigger"] in TRIGGER_LABELS \
            else item["trigger"]

    def page_url(number: int) -> str:
        return with_query(f"/r/{code}/escalations", status=chosen, page=number)

    return await render(request, db, "oversight/escalations.html", region=region,
                        parents=await parent_chain(db, code), inbox=inbox, status=chosen, page_url=page_url,
                        status_words=TOPIC_STATUS)


# -- upward reports received ---------------------------------------------------------------------

async def _reports_page(request: Request, db: AsyncSession, runtime: Runtime, principal: Principal, code: str, *,
                        status: str | None, page: int, failed: dict[str, Any] | None = None,
                        status_code: int = 200) -> Template:
    region = await _region(db, code)
    chosen = status if status in REPORT_STATUS_LABELS else None
    inbox = await escalation.report_inbox(db, code, Paging.checked(page, PAGE_SIZE), status=chosen)
    names = await region_names(db, {r["from_region_code"] for r in inbox["items"]})
    for item in inbox["items"]:
        item["from_name"] = names.get(item["from_region_code"], item["from_region_code"])
        item["once"] = new_once_token()
    authorizer = await get_authorizer(runtime)

    def page_url(number: int) -> str:
        return with_query(f"/r/{code}/reports", status=chosen, page=number)

    return await render(request, db, "oversight/reports.html", status_code=status_code, region=region,
                        parents=await parent_chain(db, code), inbox=inbox, status=chosen, page_url=page_url,
                        status_words={k: v for k, v in REPORT_STATUS_LABELS.items()},
                        may_answer=authorizer.allowed(principal, escalation.REPORT_MANAGE, code),
                        failed=failed or {})


@get("/r/{code:str}/reports", opt={"action": escalation.REPORT_READ}, include_in_schema=False)
async def reports_received(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                           runtime: NamedDependency[Runtime], principal: NamedDependency[Principal],
                           status: FromQuery[str | None] = None, page: FromQuery[int] = 1) -> Template:
    """Upward reports (提案, 大会发言, 专题报告, 社情民意信息) filed to this level, with their status."""
    return await _reports_page(request, db, runtime, principal, code, status=status, page=page)


@post("/r/{code:str}/reports/{report_id:int}", opt={"action": escalation.REPORT_MANAGE}, include_in_schema=False)
async def report_respond(request: Request, code: FromPath[str], report_id: FromPath[int],
                         db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                         principal: NamedDependency[Principal]) -> Template | Redirect:
    """Accept a report, or answer it (``answer``); the filing council's topic history shows either."""
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    authorizer = await get_authorizer(runtime)
    answering = bool(form.text("answer") or form.text("do") == "answer")

    async def work() -> str:
        report = await escalation.load_report(db, principal, report_id, authorizer=authorizer)
        if report.to_region_code != code:
            raise not_found("上报事项", "upward report")
        if answering:
            await escalation.answer_upward_report(db, principal, report_id, {"answer": form.text("answer")},
                                                  authorizer=authorizer)
        else:
            await escalation.accept_upward_report(db, principal, report_id, authorizer=authorizer)
        return f"/r/{code}/reports"

    async def refused(err: ApiError) -> Template:
        return await _reports_page(request, db, runtime, principal, code, status=None, page=1,
                                   failed={"id": report_id, "errors": FormErrors.of(err, language(request)),
                                           "values": form.values()},
                                   status_code=err.status_code)

    return await submit_form(db, form, principal, work, refused,
                             flash=N_("The answer is sent to the council below.") if answering
                             else N_("The report is accepted."))


PAGES = [region_tree, communities_at_a_glance, escalation_inbox, reports_received, report_respond]
