"""Demo records: the seeded councils become homes, and one district gets its pilots."""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

from core import clock
from core.region_context import RegionContext
from plugins.lianyungang import homes
from plugins.lianyungang.quarters import Quarter

DEMO_PILOTS = 3


def home_regions(city_code: str, council_regions: Iterable[str]) -> list[str]:
    """The seeded councils that can be homes: the city's streets and communities."""
    return sorted(code for code in council_regions if code[:4] == city_code and len(code) in (9, 12))


def choose_pilots(codes: Iterable[str], seed: int) -> tuple[str, list[str]]:
    """One district (among those with room for three pilots, else the fullest) and three of its homes."""
    by_district: dict[str, list[str]] = defaultdict(list)
    for code in sorted(codes):
        by_district[code[:6]].append(code)
    if not by_district:
        return "", []
    rng = random.Random(seed)
    roomy = sorted(d for d, found in by_district.items() if len(found) >= DEMO_PILOTS)
    district = rng.choice(roomy) if roomy else max(sorted(by_district), key=lambda d: len(by_district[d]))
    return district, sorted(rng.sample(by_district[district], min(DEMO_PILOTS, len(by_district[district]))))


async def seed_homes(context: RegionContext, city_code: str, council_regions, seed: int) -> None:
    """Every seeded street and community council of the city becomes a home of the
    kind its division gives, designated on the first day of the running quarter
    (so the quarterly check applies at once); three homes of one district are pilots."""
    session, plugins = context.session, context.plugins
    since = Quarter.of(clock.today()).first_day
    codes = home_regions(city_code, council_regions)
    for code in codes:
        await homes.designate(session, plugins, None, code, since)
    district, pilots = choose_pilots(codes, seed)
    for code in pilots:
        await homes.set_pilot(session, plugins, None, district, code, True)
