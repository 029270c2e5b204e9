"""How fixed members come in: nominated, then confirmed by the party organisation.

Seeds 000 §四(二) and 004 §一: residents' representatives are recommended by
the grids ("每个网格推荐1-2名"), others by the community party committee or by
democratic recommendation, and the list becomes the council's fixed members
when the party organisation confirms it ("党委研究确定", "党委确认"). Until
then the roster is shown as unconfirmed and does not pass the composition
check; a new term carries members over unconfirmed, to be confirmed again.

These are facts of every council, not a regional variant's numbers, so the
core checks them itself beside the rule plugins' remarks.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import today
from core.councils.categories import PARTY_SECRETARY, is_fixed
from core.councils.rules import Violation
from core.errors import ApiError, FieldError, validation_failed
from core.models import Council, CouncilMember, CouncilTerm, Region

GRID = "grid"
NOMINATIONS: dict[str, tuple[str, str]] = {
    GRID: ("网格推荐", "nominated by a grid"),
    "party_committee": ("党委推荐", "nominated by the party committee"),
    "democratic": ("民主推荐", "democratic recommendation"),
}

UNCONFIRMED_RULE = "council.unconfirmed"
GRID_RULE = "council.grid_without_nominee"
MAX_BODY = 200


def party_organisation_name(region: Region) -> str:
    """Who confirms a council's list by default: a community's party committee, a street's working committee."""
    return f"{region.name}党{'委' if region.level == 'community' else '工委'}"


def nomination_errors(nominated_by: str, grid: str) -> list[FieldError]:
    """What is wrong with a member's recorded nomination (an empty one is allowed: not recorded yet)."""
    if nominated_by and nominated_by not in NOMINATIONS:
        allowed = ", ".join(NOMINATIONS)
        return [FieldError("nominated_by", f"未知推荐方式“{nominated_by}”，可选：{allowed}",
                           f"unknown nomination '{nominated_by}', expected one of: {allowed}")]
    if nominated_by == GRID and not grid.strip():
        return [FieldError("grid", "网格推荐的成员须填写所在网格", "a member nominated by a grid needs the grid")]
    return []


def _needs_nomination(member: CouncilMember) -> bool:
    # The "1" sits by office; the "X" are invited per topic.
    return is_fixed(member.category) and member.category != PARTY_SECRETARY


def _names(members: Iterable[CouncilMember]) -> str:
    return "、".join(m.name for m in members)


def roster_violations(council: Council, members: list[CouncilMember]) -> list[Violation]:
    """The core's remarks on a roster: fixed members not yet confirmed, grids with no nominee."""
    found = []
    unconfirmed = [m for m in members if is_fixed(m.category) and m.confirmed_on is None]
    if unconfirmed:
        found.append(Violation(
            UNCONFIRMED_RULE,
            f"固定成员名单未经党组织确认（{len(unconfirmed)} 人待确认：{_names(unconfirmed)}），"
            "确认前不计入议事会组成",
            f"the fixed members' list is not confirmed by the party organisation ({len(unconfirmed)} "
            f"awaiting: {', '.join(m.name for m in unconfirmed)}); until then it does not count as the "
            "council's composition"))
    nominated_grids = {m.grid.strip() for m in members
                       if is_fixed(m.category) and m.nominated_by == GRID and m.grid.strip()}
    lacking = [grid for grid in council.grids or () if grid not in nominated_grids]
    if lacking:
        found.append(Violation(
            GRID_RULE,
            f"以下网格尚未推荐议事会成员（每个网格推荐1-2名）：{'、'.join(lacking)}",
            f"these grids have nominated no member yet (each grid nominates 1–2): {', '.join(lacking)}"))
    return found


def confirmation_state(members: list[CouncilMember]) -> dict[str, Any]:
    """The list's state as the council's page and API show it."""
    fixed = [m for m in members if is_fixed(m.category)]
    pending = [m for m in fixed if m.confirmed_on is None]
    last = max((m for m in fixed if m.confirmed_on is not None), key=lambda m: (m.confirmed_on, m.id),
               default=None)
    return {"confirmed": bool(fixed) and not pending, "fixed_members": len(fixed), "awaiting": len(pending),
            "last_confirmed_on": last.confirmed_on.isoformat() if last else None,
            "last_confirmed_by": last.confirmed_by if last else ""}


def clean_grids(raw: list[str]) -> list[str]:
    grids, seen = [], set()
    for grid in raw:
        name = grid.strip()
        if not name:
            raise validation_failed(FieldError("grids", "网格名称不能为空", "a grid's name cannot be empty"))
        if name not in seen:
            seen.add(name)
            grids.append(name)
    return grids


async def confirm_roster(session: AsyncSession, council: Council, term: CouncilTerm, members: list[CouncilMember],
                         *, confirmed_by: str, confirmed_on: date | None, actor: Any) -> list[CouncilMember]:
    """The party organisation confirms the list: every serving fixed member not yet confirmed.

    Refused, with nothing written, while a nominated member's nomination is
    not recorded: the list the party confirms is a list of nominations.
    """
    body = confirmed_by.strip()
    errors = []
    if not body:
        errors.append(FieldError("confirmed_by", "请填写确认名单的党组织（如：××社区党委）",
                                 "name the party organisation confirming the list"))
    elif len(body) > MAX_BODY:
        errors.append(FieldError("confirmed_by", f"党组织名称不得超过 {MAX_BODY} 字",
                                 f"at most {MAX_BODY} characters"))
    day = confirmed_on or today()
    if day > today():
        errors.append(FieldError("confirmed_on", "确认日期不能晚于今天", "the confirmation date cannot be in the future"))
    elif day < term.starts_on:
        errors.append(FieldError("confirmed_on", f"确认日期不能早于第 {term.number} 届任期开始（{term.starts_on.isoformat()}）",
                                 f"the confirmation cannot predate term {term.number} ({term.starts_on.isoformat()})"))
    if errors:
        raise validation_failed(*errors)
    pending = [m for m in members if is_fixed(m.category) and m.confirmed_on is None]
    if not pending:
        raise ApiError(409, "roster_confirmed", "名单中没有待确认的固定成员",
                       "no fixed member on the list awaits confirmation")
    unnominated = [m for m in pending if _needs_nomination(m) and not m.nominated_by]
    if unnominated:
        raise ApiError(409, "nomination_missing",
                       f"以下成员尚未记录推荐方式（网格推荐、党委推荐或民主推荐），不能确认：{_names(unnominated)}",
                       "these members have no recorded nomination (grid, party committee or democratic), "
                       f"so the list cannot be confirmed: {', '.join(m.name for m in unnominated)}")
    for member in pending:
        member.confirmed_on = day
        member.confirmed_by = body
    await session.flush()
    await audit.record(session, actor=actor, action="council.roster.confirm", object_type="council_term",
                       object_id=term.id, region_code=council.region_code,
                       after={"confirmed_on": day.isoformat(), "confirmed_by": body,
                              "members": [{"id": m.id, "name": m.name} for m in pending]})
    return pending
