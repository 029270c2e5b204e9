"""Joint meetings (联席会议) on a topic that spans communities: who speaks for each."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.councils.categories import ROLES_IN_COUNCIL
from core.councils.service import current_term, get_council, roster
from core.escalation.regions import region_names
from core.topics.affected import affected_codes
from core.models import Topic

# Members who speak for their council at a joint meeting (联席会议).
REPRESENTATIVE_ROLES = ("chair", "vice_chair", "convenor", "head")


async def joint_meeting_invitees(session: AsyncSession, topic: Topic, *,
                                 representatives_only: bool = False) -> list[dict[str, Any]]:
    """Who speaks for each affected community at a joint meeting on ``topic``:
    the serving members of each community council's current term (chairs and
    other representatives first), or only the representatives."""
    codes = await affected_codes(session, topic.id)
    names = await region_names(session, codes)
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
