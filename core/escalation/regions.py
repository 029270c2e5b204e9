"""The region tree as escalation reads it: levels by code length (city 4,
district 6, street 9, community 12 digits), the regions a topic affects and
their names."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Region

LEVEL_LENGTHS = (4, 6, 9, 12)


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


async def region_names(session: AsyncSession, codes: Iterable[str]) -> dict[str, str]:
    """code → name; names already read in this transaction are not read again (a topic's page
    names the same communities in several sections)."""
    known: dict[str, str] = session.info.setdefault("yishi.region_names", {})
    codes = set(codes)
    missing = codes - known.keys()
    if missing:
        known.update((await session.execute(select(Region.code, Region.name).where(Region.code.in_(missing)))).all())
    return {code: known[code] for code in codes if code in known}



