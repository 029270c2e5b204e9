"""Councils over HTTP, under ``/regions/{code}/council``.

The guard has already checked ``council.read`` / ``council.manage`` at the
region in the path. Saves answer with the roster and the composition rules'
remarks; a rule marked blocking turns the save into a 409.
"""
from __future__ import annotations

from datetime import date

from litestar import get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.principal import Principal
from core.councils import service
from core.councils.cppcc import placement_report
from core.councils.nominations import confirmation_state
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.councils.schemas import Confirmation, CouncilEdit, DocumentData, MemberData, MemberLeave, TermStart
from core.councils.service import RosterChange
from core.errors import not_found
from core.public.service import open_door_region
from core.region_context import region_context
from core.models import Council, Region
from core.runtime import Runtime

READ = {"action": "council.read"}
MANAGE = {"action": "council.manage"}


async def _context(db: AsyncSession, runtime, code: str):
    return await region_context(db, runtime.plugins, code)


async def _overview(db: AsyncSession, runtime, code: str, council: Council | None) -> dict:
    if council is None:
        # Not created until first written to; show what it would be.
        region = await db.get(Region, code)
        if region is None:  # pragma: no cover - the guard answered 404 already
            raise not_found("区划", "region")
        return {"council": {"id": None, "region_code": code, "kind": region.level,
                            "name": service.default_council_name(region), "venue": "", "exists": False},
                "term": None, "terms": [], "roster": [], "confirmation": confirmation_state([]), "violations": []}
    term = await service.current_term(db, council)
    members = await service.roster(db, term) if term else []
    violations = await service.check_composition(db, council, await _context(db, runtime, code), term)
    return {"council": {**service.council_dict(council), "exists": True},
            "term": service.term_dict(term) if term else None,
            "terms": [service.term_dict(t) for t in await service.list_terms(db, council)],
            "roster": [service.member_dict(m) for m in members],
            "confirmation": confirmation_state(members),
            "violations": [v.as_dict() for v in violations]}


async def _change_answer(db: AsyncSession, change: RosterChange) -> dict:
    # A term starting later shows the roster it will start with.
    members = (await service.roster(db, change.term, max(clock.today(), change.term.starts_on))
               if change.term else [])
    answer = {"council": {**service.council_dict(change.council), "exists": True},
              "term": service.term_dict(change.term) if change.term else None,
              "roster": [service.member_dict(m) for m in members],
              "violations": [v.as_dict() for v in change.violations]}
    if change.member is not None:
        answer["member"] = service.member_dict(change.member)
    return answer


@get("/regions/{code:str}/council", opt=READ, summary="The region's council, current term, roster and rule remarks")
async def council_detail(code: FromPath[str], db: NamedDependency[AsyncSession],
                         runtime: NamedDependency[Runtime]) -> dict:
    return await _overview(db, runtime, code, await service.get_council(db, code))


@put("/regions/{code:str}/council", opt=MANAGE, summary="Name the council and its venue (creates it if needed)")
async def council_edit(code: FromPath[str], data: JSONBody[CouncilEdit], db: NamedDependency[AsyncSession],
                       runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]) -> dict:
    council = await service.ensure_council(db, code, actor=principal)
    await service.update_council(db, council, actor=principal, name=data.name, venue=data.venue, grids=data.grids)
    return await _overview(db, runtime, code, council)


@get("/regions/{code:str}/council/members", opt=READ,
     summary="Members serving on a date (default today); with history=true, everyone in the term")
async def council_members(code: FromPath[str], db: NamedDependency[AsyncSession],
                          on: FromQuery[date | None] = None, history: FromQuery[bool] = False) -> dict:
    council = await service.existing_council(db, code)
    term = await service.current_term(db, council, on)
    if term is None:
        return {"term": None, "members": []}
    members = await service.term_members(db, term) if history else await service.roster(db, term, on)
    return {"term": service.term_dict(term), "members": [service.member_dict(m) for m in members]}


@post("/regions/{code:str}/council/members", opt=MANAGE, summary="Seat a member (creates the council if needed)")
async def council_member_add(code: FromPath[str], data: JSONBody[MemberData], db: NamedDependency[AsyncSession],
                             runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]) -> dict:
    council = await service.ensure_council(db, code, actor=principal)
    change = await service.add_member(db, council, data, actor=principal, context=await _context(db, runtime, code))
    return await _change_answer(db, change)


@put("/regions/{code:str}/council/members/{member_id:int}", opt=MANAGE, summary="Correct a member's details")
async def council_member_edit(code: FromPath[str], member_id: FromPath[int], data: JSONBody[MemberData],
                              db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                              principal: NamedDependency[Principal]) -> dict:
    council = await service.existing_council(db, code)
    change = await service.update_member(db, council, member_id, data, actor=principal,
                                         context=await _context(db, runtime, code))
    return await _change_answer(db, change)


@post("/regions/{code:str}/council/members/{member_id:int}/leave", opt=MANAGE, status_code=200,
      summary="Record that a member left (the history keeps them)")
async def council_member_leave(code: FromPath[str], member_id: FromPath[int], data: JSONBody[MemberLeave],
                               db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                               principal: NamedDependency[Principal]) -> dict:
    council = await service.existing_council(db, code)
    change = await service.member_leaves(db, council, member_id, data.left_on, actor=principal,
                                         context=await _context(db, runtime, code), notes=data.notes)
    return await _change_answer(db, change)


@post("/regions/{code:str}/council/confirmations", opt=MANAGE, status_code=200,
      summary="The party organisation confirms the list: every serving fixed member not yet confirmed")
async def council_confirm(code: FromPath[str], data: JSONBody[Confirmation], db: NamedDependency[AsyncSession],
                          runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]) -> dict:
    council = await service.existing_council(db, code)
    confirmed = await service.confirm_list(db, council, data, actor=principal)
    return {**await _overview(db, runtime, code, council), "confirmed": [m.id for m in confirmed]}


@get("/regions/{code:str}/council/terms", opt=READ, summary="The council's terms, first to last")
async def council_terms(code: FromPath[str], db: NamedDependency[AsyncSession]) -> dict:
    council = await service.get_council(db, code)
    terms = await service.list_terms(db, council) if council else []
    return {"terms": [service.term_dict(t) for t in terms]}


@post("/regions/{code:str}/council/terms", opt=MANAGE,
      summary="Start the next term, carrying over the members who have not left")
async def council_term_start(code: FromPath[str], data: JSONBody[TermStart], db: NamedDependency[AsyncSession],
                             runtime: NamedDependency[Runtime], principal: NamedDependency[Principal]) -> dict:
    council = await service.ensure_council(db, code, actor=principal)
    change = await service.start_term(db, council, data.starts_on, data.ends_on, actor=principal,
                                      context=await _context(db, runtime, code))
    return await _change_answer(db, change)


@get("/regions/{code:str}/council/documents", opt=READ,
     summary="The council's documents on file (rules, catalogue, signage and facility photos…)")
async def council_documents(code: FromPath[str], db: NamedDependency[AsyncSession],
                            history: FromQuery[bool] = False) -> dict:
    council = await service.get_council(db, code)
    documents = await service.documents_on_file(db, council, with_withdrawn=history) if council else []
    return {"items": [service.document_dict(d) for d in documents]}


@post("/regions/{code:str}/council/documents", opt=MANAGE,
      summary="File an uploaded attachment as a council document (creates the council if needed)")
async def council_document_file(code: FromPath[str], data: JSONBody[DocumentData], db: NamedDependency[AsyncSession],
                                principal: NamedDependency[Principal]) -> dict:
    council = await service.ensure_council(db, code, actor=principal)
    return service.document_dict(await service.file_document(db, council, data, actor=principal))


@post("/regions/{code:str}/council/documents/{document_id:int}/withdraw", opt=MANAGE, status_code=200,
      summary="Withdraw a council document (the record stays)")
async def council_document_withdraw(code: FromPath[str], document_id: FromPath[int],
                                    db: NamedDependency[AsyncSession], principal: NamedDependency[Principal]) -> dict:
    council = await service.existing_council(db, code)
    return service.document_dict(await service.withdraw_document(db, council, document_id, actor=principal))



@get("/regions/{code:str}/cppcc-placement", opt=READ,
     summary="CPPCC members of the city's or district's committee placed in its councils, and the councils "
             "without any CPPCC member")
async def cppcc_placement(code: FromPath[str], db: NamedDependency[AsyncSession], on: FromQuery[date | None] = None,
                          page: FromQuery[int] = 1, page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    region = await db.get(Region, code)
    if region is None:  # pragma: no cover - the guard answered 404 already
        raise not_found("区划", "region")
    return await placement_report(db, region, Paging.checked(page, page_size), on)


@get("/public/regions/{code:str}/council", opt={"public": True},
     summary="A street's or community's council as posted for residents: its name and the members serving, "
             "by 1+7+X category (no login, no contact details)")
async def public_council(code: FromPath[str], db: NamedDependency[AsyncSession]) -> dict:
    region = await open_door_region(db, code)
    council, members = await service.public_roster(db, region.code)
    return {"region_code": region.code, "region_name": region.name,
            "council": {"name": council.name} if council is not None else None, "members": members}

ROUTES = [public_council, council_detail, council_edit, council_members, council_member_add, council_member_edit,
          council_member_leave, council_confirm, cppcc_placement, council_terms, council_term_start, council_documents, council_document_file,
          council_document_withdraw]
