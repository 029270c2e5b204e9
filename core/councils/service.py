"""Councils, their terms and members: the one way to change them.

Every change appends an audit entry in the caller's transaction, after the
change itself (see ``core.audit.service`` for why after). A roster change is
checked against the composition rules *before* anything is written: the
roster it would produce is built in memory and shown to the rule plugins,
so a blocking violation refuses the change with nothing to undo.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.clock import today
from core.councils.categories import CATEGORY_LABELS, DOCUMENT_KINDS, ROLES_IN_COUNCIL, is_fixed
from core.councils.cppcc import CPPCC_LEVELS, level_errors as cppcc_level_errors
from core.councils.nominations import NOMINATIONS, clean_grids, nomination_errors, roster_violations
from core.councils.rules import CouncilSnapshot, MemberSnapshot, Violation, collect_violations
from core.errors import ApiError, FieldError, not_found, validation_failed
from core.region_context import RegionContext
from core.models import Council, CouncilDocument, CouncilMember, CouncilTerm, Region, User

COUNCIL_LEVELS = ("city", "district", "street", "community")


class MemberData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A member as given by a caller (the request body of add / edit)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    category: str
    user_id: int | None = None
    is_cadre: bool = False
    is_cppcc: bool = False
    grid: Annotated[str, msgspec.Meta(max_length=100)] = ""
    role_in_council: str = "member"
    is_residents_committee_director: bool = False
    is_supervisory_director: bool = False
    # Defaults to today.
    joined_on: date | None = None
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    # grid / party_committee / democratic (core.councils.nominations); "" not recorded yet.
    nominated_by: str = ""
    # A CPPCC member's committee: city / district (core.councils.cppcc); "" not recorded.
    cppcc_level: str = ""


@dataclass
class RosterChange:
    """What a saved change produced, with the rules' non-blocking remarks."""

    council: Council
    term: CouncilTerm | None
    member: CouncilMember | None = None
    violations: list[Violation] = field(default_factory=list)


# -- plain views (audit payloads and API answers) ------------------------------

def council_dict(council: Council) -> dict[str, Any]:
    return {"id": council.id, "region_code": council.region_code, "kind": council.kind, "name": council.name,
            "venue": council.venue, "grids": list(council.grids or [])}


def term_dict(term: CouncilTerm) -> dict[str, Any]:
    return {"id": term.id, "number": term.number, "starts_on": term.starts_on.isoformat(),
            "ends_on": term.ends_on.isoformat() if term.ends_on else None}


def member_dict(member: CouncilMember) -> dict[str, Any]:
    category = CATEGORY_LABELS.get(member.category, (member.category, member.category))
    role = ROLES_IN_COUNCIL.get(member.role_in_council, (member.role_in_council, member.role_in_council))
    return {
        "id": member.id, "term_id": member.term_id, "user_id": member.user_id, "name": member.name,
        "category": member.category, "category_zh": category[0], "category_en": category[1],
        "is_cadre": member.is_cadre, "is_cppcc": member.is_cppcc, "cppcc_level": member.cppcc_level,
        "cppcc_level_zh": CPPCC_LEVELS.get(member.cppcc_level, ("", ""))[0],
        "cppcc_level_en": CPPCC_LEVELS.get(member.cppcc_level, ("", ""))[1], "grid": member.grid,
        "role_in_council": member.role_in_council, "role_zh": role[0], "role_en": role[1],
        "is_residents_committee_director": member.is_residents_committee_director,
        "is_supervisory_director": member.is_supervisory_director,
        "joined_on": member.joined_on.isoformat(), "left_on": member.left_on.isoformat() if member.left_on else None,
        "notes": member.notes, "carried_from_id": member.carried_from_id,
        "nominated_by": member.nominated_by,
        "nominated_by_zh": NOMINATIONS[member.nominated_by][0] if member.nominated_by in NOMINATIONS else "",
        "nominated_by_en": NOMINATIONS[member.nominated_by][1] if member.nominated_by in NOMINATIONS else "",
        "confirmed_on": member.confirmed_on.isoformat() if member.confirmed_on else None,
        "confirmed_by": member.confirmed_by,
    }


def _snapshot_of(member: CouncilMember) -> MemberSnapshot:
    return MemberSnapshot(
        id=member.id, name=member.name, category=member.category, user_id=member.user_id,
        is_cadre=member.is_cadre, is_cppcc=member.is_cppcc, grid=member.grid,
        role_in_council=member.role_in_council,
        is_residents_committee_director=member.is_residents_committee_director,
        is_supervisory_director=member.is_supervisory_director)


def _snapshot_of_data(data: MemberData, member_id: int | None = None) -> MemberSnapshot:
    return MemberSnapshot(
        id=member_id, name=data.name.strip(), category=data.category, user_id=data.user_id,
        is_cadre=data.is_cadre, is_cppcc=data.is_cppcc, grid=data.grid.strip(),
        role_in_council=data.role_in_council,
        is_residents_committee_director=data.is_residents_committee_director,
        is_supervisory_director=data.is_supervisory_director)


def _council_snapshot(council: Council, term: CouncilTerm | None, settings: Mapping[str, Any]) -> CouncilSnapshot:
    return CouncilSnapshot(region_code=council.region_code, kind=council.kind, name=council.name,
                           term_number=term.number if term else None,
                           term_starts_on=term.starts_on if term else None,
                           term_ends_on=term.ends_on if term else None, settings=settings)


# -- councils -----------------------------------------------------------------

async def get_council(session: AsyncSession, region_code: str) -> Council | None:
    return await session.scalar(select(Council).where(Council.region_code == region_code))


async def existing_council(session: AsyncSession, region_code: str) -> Council:
    """The region's council, or 404 when it has none yet."""
    council = await get_council(session, region_code)
    if council is None:
        raise not_found("议事会", "council")
    return council


def default_council_name(region: Region) -> str:
    return f"{region.name}协商议事会"


async def ensure_council(session: AsyncSession, region_code: str, *, actor: Any = None) -> Council:
    """The region's council, created on first need (streets and communities, and
    districts and cities when a matter is escalated to them)."""
    council = await get_council(session, region_code)
    if council is not None:
        return council
    region = await session.get(Region, region_code)
    if region is None:
        raise not_found("区划", "region")
    if region.level not in COUNCIL_LEVELS:  # pragma: no cover - every level has councils today
        raise validation_failed(FieldError("code", "该级区划不设议事会", "this level has no council"))
    council = Council(region_code=region_code, kind=region.level, name=default_council_name(region), venue="")
    session.add(council)
    await session.flush()
    await audit.record(session, actor=actor, action="council.create", object_type="council",
                       object_id=council.id, region_code=region_code, after=council_dict(council))
    return council


async def update_council(session: AsyncSession, council: Council, *, actor: Any, name: str | None = None,
                         venue: str | None = None, grids: list[str] | None = None) -> Council:
    before = council_dict(council)
    if name is not None:
        if not name.strip():
            raise validation_failed(FieldError("name", "议事会名称不能为空", "the council's name cannot be empty"))
        council.name = name.strip()
    if venue is not None:
        council.venue = venue.strip()
    if grids is not None:
        council.grids = clean_grids(grids)
    after = council_dict(council)
    if after != before:
        await session.flush()
        await audit.record(session, actor=actor, action="council.update", object_type="council",
                           object_id=council.id, region_code=council.region_code, before=before, after=after)
    return council


# -- terms --------------------------------------------------------------------

async def list_terms(session: AsyncSession, council: Council) -> list[CouncilTerm]:
    return list(await session.scalars(
        select(CouncilTerm).where(CouncilTerm.council_id == council.id).order_by(CouncilTerm.number)))


async def term_on(session: AsyncSession, council: Council, on_date: date) -> CouncilTerm | None:
    """The term running on ``on_date``: the latest one already started by then."""
    return await session.scalar(
        select(CouncilTerm).where(CouncilTerm.council_id == council.id, CouncilTerm.starts_on <= on_date)
        .order_by(CouncilTerm.number.desc()).limit(1))


async def current_term(session: AsyncSession, council: Council, on_date: date | None = None) -> CouncilTerm | None:
    """The running term, else (before the first term begins) the first one."""
    term = await term_on(session, council, on_date or today())
    if term is None:
        term = await session.scalar(select(CouncilTerm).where(CouncilTerm.council_id == council.id)
                                    .order_by(CouncilTerm.number).limit(1))
    return term


def _is_active(member: CouncilMember, on_date: date) -> bool:
    # Whoever leaves on a day no longer sits that day.
    return member.joined_on <= on_date and (member.left_on is None or member.left_on > on_date)


async def term_members(session: AsyncSession, term: CouncilTerm) -> list[CouncilMember]:
    """Everyone who sat in the term at any time, those who left included (the history)."""
    return list(await session.scalars(
        select(CouncilMember).where(CouncilMember.term_id == term.id).order_by(CouncilMember.id)))


async def roster(session: AsyncSession, term: CouncilTerm, on_date: date | None = None) -> list[CouncilMember]:
    """Members serving in ``term`` on ``on_date`` (default today)."""
    on_date = on_date or today()
    return [m for m in await term_members(session, term) if _is_active(m, on_date)]


async def check_composition(session: AsyncSession, council: Council, context: RegionContext,
                            term: CouncilTerm | None = None,
                            on_date: date | None = None) -> list[Violation]:
    """What the rule plugins say about the roster as it stands."""
    term = term or await current_term(session, council, on_date)
    members = await roster(session, term, on_date) if term else []
    snapshot = _council_snapshot(council, term, context.settings)
    return [*roster_violations(council, members),
            *collect_violations(context.hooks, snapshot, tuple(_snapshot_of(m) for m in members))]


async def _refuse_if_blocking(session: AsyncSession, council: Council, term: CouncilTerm | None,
                              current: list[MemberSnapshot], prospective: list[MemberSnapshot],
                              context: RegionContext) -> list[Violation]:
    """The violations of the roster the change would produce; 409 if it breaks a blocking rule anew.

    A blocking rule already broken before the change does not stop it:
    otherwise a roster below a minimum could never be built up member by
    member, nor one above a maximum be repaired one step at a time.
    """
    snapshot = _council_snapshot(council, term, context.settings)
    violations = collect_violations(context.hooks, snapshot, tuple(prospective))
    if not any(v.blocking for v in violations):
        return violations
    already = {v.rule_id for v in collect_violations(context.hooks, snapshot, tuple(current)) if v.blocking}
    new = [v for v in violations if v.blocking and v.rule_id not in already]
    if new:
        raise composition_refused(new)
    return violations


def composition_refused(blocking: list[Violation]) -> ApiError:
    return ApiError(409, "council_composition", "议事会组成不符合规定：" + "；".join(v.message_zh for v in blocking),
                    "the council's composition breaks a rule: " + "; ".join(v.message_en for v in blocking))


async def start_term(session: AsyncSession, council: Council, starts_on: date, ends_on: date | None = None, *,
                     actor: Any = None, context: RegionContext) -> RosterChange:
    """Open the next term, carrying over every member of the previous one who has not left by its start.

    An open or overlapping previous term is closed the day before. The
    carried rows are new (``carried_from_id`` points back), so the old
    term's roster stays as it was.
    """
    if ends_on is not None and ends_on <= starts_on:
        raise validation_failed(FieldError("ends_on", "任期结束日期须晚于开始日期",
                                           "a term must end after it starts"))
    terms = await list_terms(session, council)
    previous = terms[-1] if terms else None
    if previous is not None and starts_on <= previous.starts_on:
        raise validation_failed(FieldError(
            "starts_on", f"新任期须在第 {previous.number} 届（{previous.starts_on.isoformat()} 起）之后开始",
            f"the new term must start after term {previous.number} (from {previous.starts_on.isoformat()})"))
    carried = []
    if previous is not None:
        carried = [m for m in await term_members(session, previous) if m.left_on is None or m.left_on > starts_on]
    draft = CouncilTerm(council_id=council.id, number=(previous.number + 1) if previous else 1,
                        starts_on=starts_on, ends_on=ends_on)
    before_roster = await roster(session, previous, starts_on - timedelta(days=1)) if previous else []
    violations = await _refuse_if_blocking(session, council, draft, [_snapshot_of(m) for m in before_roster],
                                     [_snapshot_of(m) for m in carried], context)

    if previous is not None and (previous.ends_on is None or previous.ends_on >= starts_on):
        before = term_dict(previous)
        previous.ends_on = starts_on - timedelta(days=1)
        await session.flush()
        await audit.record(session, actor=actor, action="council.term.close", object_type="council_term",
                           object_id=previous.id, region_code=council.region_code, before=before,
                           after=term_dict(previous))
    session.add(draft)
    await session.flush()
    copies = [CouncilMember(
        term_id=draft.id, user_id=m.user_id, name=m.name, category=m.category, is_cadre=m.is_cadre,
        is_cppcc=m.is_cppcc, grid=m.grid, role_in_council=m.role_in_council,
        is_residents_committee_director=m.is_residents_committee_director,
        is_supervisory_director=m.is_supervisory_director, joined_on=starts_on, left_on=m.left_on,
        # Carried over as nominated: the new term's list is confirmed again.
        notes=m.notes, carried_from_id=m.id, nominated_by=m.nominated_by, cppcc_level=m.cppcc_level)
        for m in carried]
    session.add_all(copies)
    await session.flush()
    await audit.record(session, actor=actor, action="council.term.start", object_type="council_term",
                       object_id=draft.id, region_code=council.region_code,
                       after={**term_dict(draft), "carried_members": [
                           {"id": c.id, "from": c.carried_from_id, "name": c.name} for c in copies]})
    return RosterChange(council=council, term=draft, violations=violations)


# -- members ------------------------------------------------------------------

async def _validate_member(session: AsyncSession, data: MemberData) -> None:
    errors = []
    if not data.name.strip():
        errors.append(FieldError("name", "姓名不能为空", "name cannot be empty"))
    if data.category not in CATEGORY_LABELS:
        allowed = ", ".join(CATEGORY_LABELS)
        errors.append(FieldError("category", f"未知成员类别“{data.category}”，可选：{allowed}",
                                 f"unknown category '{data.category}', expected one of: {allowed}"))
    if data.role_in_council not in ROLES_IN_COUNCIL:
        allowed = ", ".join(ROLES_IN_COUNCIL)
        errors.append(FieldError("role_in_council", f"未知议事会职务“{data.role_in_council}”，可选：{allowed}",
                                 f"unknown role '{data.role_in_council}', expected one of: {allowed}"))
    errors.extend(nomination_errors(data.nominated_by, data.grid))
    errors.extend(cppcc_level_errors(data.is_cppcc, data.cppcc_level))
    if data.user_id is not None and await session.get(User, data.user_id) is None:
        errors.append(FieldError("user_id", f"用户 {data.user_id} 不存在", f"user {data.user_id} does not exist"))
    if errors:
        raise validation_failed(*errors)


async def member_of(session: AsyncSession, council: Council, member_id: int) -> tuple[CouncilMember, CouncilTerm]:
    row = (await session.execute(
        select(CouncilMember, CouncilTerm).join(CouncilTerm, CouncilTerm.id == CouncilMember.term_id)
        .where(CouncilMember.id == member_id, CouncilTerm.council_id == council.id))).first()
    if row is None:
        raise not_found("议事会成员", "council member")
    return row[0], row[1]


def _within_term(term: CouncilTerm, day: date, field_name: str) -> None:
    if day < term.starts_on or (term.ends_on is not None and day > term.ends_on):
        end = term.ends_on.isoformat() if term.ends_on else "…"
        raise validation_failed(FieldError(
            field_name, f"日期 {day.isoformat()} 不在第 {term.number} 届任期（{term.starts_on.isoformat()}–{end}）内",
            f"{day.isoformat()} is outside term {term.number} ({term.starts_on.isoformat()}–{end})"))


async def add_member(session: AsyncSession, council: Council, data: MemberData, *, actor: Any = None,
                     context: RegionContext) -> RosterChange:
    """Seat a member in the term running on their joining day (the first term is opened if there is none)."""
    await _validate_member(session, data)
    joined_on = data.joined_on or today()
    term = await term_on(session, council, joined_on)
    if term is None:
        if await current_term(session, council) is not None:
            raise validation_failed(FieldError("joined_on", f"{joined_on.isoformat()} 早于第一届任期",
                                               f"{joined_on.isoformat()} is before the first term"))
    else:
        _within_term(term, joined_on, "joined_on")
        if data.user_id is not None and any(m.user_id == data.user_id for m in await roster(session, term, joined_on)):
            raise validation_failed(FieldError("user_id", "该用户已是本届议事会成员",
                                               "this user already sits on the council this term"))
    check_on = max(joined_on, today())
    current = await roster(session, term, check_on) if term else []
    current_snaps = [_snapshot_of(m) for m in current]
    violations = await _refuse_if_blocking(session, council, term, current_snaps, [*current_snaps, _snapshot_of_data(data)], context)

    if term is None:
        term = (await start_term(session, council, joined_on, None, actor=actor, context=context)).term
    member = CouncilMember(
        term_id=term.id, user_id=data.user_id, name=data.name.strip(), category=data.category,
        is_cadre=data.is_cadre, is_cppcc=data.is_cppcc, grid=data.grid.strip(), role_in_council=data.role_in_council,
        is_residents_committee_director=data.is_residents_committee_director,
        is_supervisory_director=data.is_supervisory_director, joined_on=joined_on, left_on=None,
        notes=data.notes, nominated_by=data.nominated_by, cppcc_level=data.cppcc_level)
    session.add(member)
    await session.flush()
    await audit.record(session, actor=actor, action="council.member.add", object_type="council_member",
                       object_id=member.id, region_code=council.region_code, after=member_dict(member))
    return RosterChange(council=council, term=term, member=member, violations=violations)


async def update_member(session: AsyncSession, council: Council, member_id: int, data: MemberData, *,
                        actor: Any = None, context: RegionContext) -> RosterChange:
    """Correct a member's details (category, flags, grid, role…); joining and leaving dates have their own calls."""
    await _validate_member(session, data)
    member, term = await member_of(session, council, member_id)
    if member.left_on is not None and member.left_on <= today():
        raise ApiError(409, "member_left", "该成员已退出，历史记录不可修改",
                       "this member has left; their record is history and cannot be edited")
    check_on = max(member.joined_on, today())
    serving = await roster(session, term, check_on)
    others = [_snapshot_of(m) for m in serving if m.id != member.id]
    violations = await _refuse_if_blocking(session, council, term, [_snapshot_of(m) for m in serving],
                                     [*others, _snapshot_of_data(data, member.id)], context)
    before = member_dict(member)
    member.user_id = data.user_id
    member.name = data.name.strip()
    member.category = data.category
    member.is_cadre = data.is_cadre
    member.is_cppcc = data.is_cppcc
    member.grid = data.grid.strip()
    member.role_in_council = data.role_in_council
    member.is_residents_committee_director = data.is_residents_committee_director
    member.is_supervisory_director = data.is_supervisory_director
    member.notes = data.notes
    member.nominated_by = data.nominated_by
    member.cppcc_level = data.cppcc_level
    after = member_dict(member)
    if after != before:
        await session.flush()
        await audit.record(session, actor=actor, action="council.member.update", object_type="council_member",
                           object_id=member.id, region_code=council.region_code, before=before, after=after)
    return RosterChange(council=council, term=term, member=member, violations=violations)


async def member_leaves(session: AsyncSession, council: Council, member_id: int, left_on: date | None = None, *,
                        actor: Any = None, context: RegionContext, notes: str | None = None) -> RosterChange:
    """Record that a member left; the row stays, so the term's history shows who sat when."""
    member, term = await member_of(session, council, member_id)
    if member.left_on is not None:
        raise ApiError(409, "member_left", f"该成员已于 {member.left_on.isoformat()} 退出",
                       f"this member already left on {member.left_on.isoformat()}")
    left_on = left_on or today()
    if left_on < member.joined_on:
        raise validation_failed(FieldError("left_on", "退出日期不能早于加入日期",
                                           "the leaving date cannot be before the joining date"))
    check_on = max(left_on, today())
    serving = await roster(session, term, check_on)
    violations = await _refuse_if_blocking(session, council, term, [_snapshot_of(m) for m in serving],
                                     [_snapshot_of(m) for m in serving if m.id != member.id], context)
    before = member_dict(member)
    member.left_on = left_on
    if notes:
        member.notes = f"{member.notes}\n{notes}".strip()
    await session.flush()
    await audit.record(session, actor=actor, action="council.member.leave", object_type="council_member",
                       object_id=member.id, region_code=council.region_code, before=before,
                       after=member_dict(member))
    return RosterChange(council=council, term=term, member=member, violations=violations)


class Confirmation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The party organisation confirms the list of fixed members (党委研究确定 / 党委确认)."""

    confirmed_by: Annotated[str, msgspec.Meta(max_length=200)]
    # Defaults to today.
    confirmed_on: date | None = None


async def confirm_list(session: AsyncSession, council: Council, data: Confirmation, *,
                       actor: Any = None) -> list[CouncilMember]:
    """Confirm the running term's serving fixed members not yet confirmed."""
    from core.councils.nominations import confirm_roster

    term = await current_term(session, council)
    if term is None:
        raise ApiError(409, "no_term", "议事会尚无任期和成员", "the council has no term and no members yet")
    return await confirm_roster(session, council, term, await roster(session, term),
                                confirmed_by=data.confirmed_by, confirmed_on=data.confirmed_on, actor=actor)


# -- documents on file ------------------------------------------------------------

class DocumentData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A document to file: an attachment already uploaded at the council's region."""

    kind: str
    attachment_id: int
    title: Annotated[str, msgspec.Meta(max_length=200)] = ""


def document_dict(document: CouncilDocument) -> dict[str, Any]:
    label = DOCUMENT_KINDS.get(document.kind, (document.kind, document.kind))
    return {"id": document.id, "council_id": document.council_id, "kind": document.kind,
            "kind_zh": label[0], "kind_en": label[1], "title": document.title,
            "attachment_id": document.attachment_id, "filed_by_user_id": document.filed_by_user_id,
            "filed_at": document.filed_at.isoformat(),
            "withdrawn_at": document.withdrawn_at.isoformat() if document.withdrawn_at else None}


async def documents_on_file(session: AsyncSession, council: Council, kind: str | None = None, *,
                            with_withdrawn: bool = False) -> list[CouncilDocument]:
    """The council's documents (of ``kind``), oldest first; withdrawn ones only on request."""
    query = select(CouncilDocument).where(CouncilDocument.council_id == council.id)
    if kind is not None:
        query = query.where(CouncilDocument.kind == kind)
    if not with_withdrawn:
        query = query.where(CouncilDocument.withdrawn_at.is_(None))
    return list(await session.scalars(query.order_by(CouncilDocument.id)))


async def file_document(session: AsyncSession, council: Council, data: DocumentData, *,
                        actor: Any = None) -> CouncilDocument:
    """File an uploaded attachment as one of the council's documents."""
    from core.attachments.service import attachments_exist

    if data.kind not in DOCUMENT_KINDS:
        allowed = ", ".join(DOCUMENT_KINDS)
        raise validation_failed(FieldError("kind", f"未知文档类别“{data.kind}”，可选：{allowed}",
                                           f"unknown document kind '{data.kind}', expected one of: {allowed}"))
    await attachments_exist(session, [data.attachment_id], council.region_code, field="attachment_id")
    title = data.title.strip() or DOCUMENT_KINDS[data.kind][0]
    document = CouncilDocument(council_id=council.id, kind=data.kind, title=title,
                               attachment_id=data.attachment_id,
                               filed_by_user_id=getattr(actor, "user_id", None), filed_at=clock.now())
    session.add(document)
    await session.flush()
    await audit.record(session, actor=actor, action="council.document.file", object_type="council_document",
                       object_id=document.id, region_code=council.region_code, after=document_dict(document))
    return document


async def withdraw_document(session: AsyncSession, council: Council, document_id: int, *,
                            actor: Any = None) -> CouncilDocument:
    document = await session.scalar(select(CouncilDocument).where(CouncilDocument.id == document_id,
                                                                  CouncilDocument.council_id == council.id))
    if document is None:
        raise not_found("议事会文档", "council document")
    if document.withdrawn_at is not None:
        raise ApiError(409, "document_withdrawn", "该文档已撤下", "this document was already withdrawn")
    before = document_dict(document)
    document.withdrawn_at = clock.now()
    await session.flush()
    await audit.record(session, actor=actor, action="council.document.withdraw", object_type="council_document",
                       object_id=document.id, region_code=council.region_code, before=before,
                       after=document_dict(document))
    return document


async def public_roster(session: AsyncSession, region_code: str) -> tuple[Council | None, list[dict[str, Any]]]:
    """The council and its serving members as posted on the wall (002 公示上墙): the "1" first,
    then the "7" in the seeds' order, then the "X"; names, categories and roles only, never a
    member's contact or account."""
    council = await get_council(session, region_code)
    term = await current_term(session, council) if council is not None else None
    members = await roster(session, term) if term is not None else []
    order = list(CATEGORY_LABELS)
    members.sort(key=lambda m: (order.index(m.category) if m.category in order else len(order), m.id))
    shown = []
    for member in members:
        category = CATEGORY_LABELS.get(member.category)
        role = ROLES_IN_COUNCIL.get(member.role_in_council) if member.role_in_council != "member" else None
        shown.append({"name": member.name, "fixed": is_fixed(member.category),
                      "confirmed": member.confirmed_on is not None, "category": member.category,
                      "category_zh": category[0] if category else "", "category_en": category[1] if category else "",
                      "role": member.role_in_council if role else None,
                      "role_zh": role[0] if role else "", "role_en": role[1] if role else ""})
    return council, shown
