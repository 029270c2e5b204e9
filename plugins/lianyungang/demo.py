"""Demo records: the seeded councils become homes, and one district gets its pilots."""
from __future__ import annotations

import random
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from core.councils import service as councils
from core.escalation.service import plugin_host_of
from plugins.lianyungang import homes
from plugins.lianyungang.quarters import Quarter

DEMO_PILOTS = 3


async def seed_homes(session: AsyncSession, city_code: str, council_regions, seed: int) -> None:
    """Every seeded street and community council of the city becomes a home of the
    kind its division gives, designated on the first day of the running quarter
    (so the quarterly check applies at once); three homes of one district are pilots."""
    plugins = plugin_host_of(session)
    since = Quarter.of(councils.today()).first_day
    by_district: dict[str, list[str]] = defaultdict(list)
    for code in sorted(council_regions):
        if code[:4] != city_code or len(code) not in (9, 12):
            continue
        await homes.designate(session, plugins, None, code, since)
        by_district[code[:6]].append(code)
    if not by_district:
        return
    rng = random.Random(seed)
    # The district with room for three pilots, or the fullest one.
    roomy = sorted(d for d, codes in by_district.items() if len(codes) >= DEMO_PILOTS)
    district = rng.choice(roomy) if roomy else max(sorted(by_district), key=lambda d: len(by_district[d]))
    chosen = rng.sample(by_district[district], min(DEMO_PILOTS, len(by_district[district])))
    for code in sorted(chosen):
        await homes.set_pilot(session, plugins, None, district, code, True)
