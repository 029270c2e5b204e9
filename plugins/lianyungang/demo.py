"""Demo records: the seeded councils become homes, one district gets its pilots, and the
city CPPCC's special committees the setting names become bodies with members."""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

from core import clock
from core.region_context import RegionContext
from core.tenants.demo_data import GIVEN, SURNAMES
from plugins.lianyungang import committees, homes
from plugins.lianyungang.quarters import Quarter

DEMO_PILOTS = 3
# Our default: a demo committee's size (the seed gives none).
DEMO_COMMITTEE_MEMBERS = 3


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


def committee_members(names: Iterable[str], seed: int, size: int = DEMO_COMMITTEE_MEMBERS) -> dict[str, list[str]]:
    """Made-up CPPCC members for each committee, different people throughout, the same for the same seed."""
    rng = random.Random(seed)
    used: set[str] = set()
    found: dict[str, list[str]] = {}
    for name in names:
        found[name] = []
        while len(found[name]) < size:
            person = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            if person not in used:
                used.add(person)
                found[name].append(person)
    return found


async def seed_committees(context: RegionContext, city_code: str, seed: int) -> None:
    """Each committee the city's setting names, with the items it names it for and its members."""
    city = await context.of(city_code)
    named = committees.setting_committees(city)
    order = list(dict.fromkeys(named[item] for item in sorted(named)))
    for name, people in committee_members(order, seed).items():
        if any(c.name == name for c in await committees.committees_of(context.session, city_code)):
            continue
        await committees.create_committee(context.session, context.plugins, None, city_code,
                                          {"name": name, "members": [{"name": p} for p in people]})


async def seed_homes(context: RegionContext, city_code: str, council_regions, seed: int) -> None:
    """Every seeded street and community council of the city becomes a home of the
    kind its division gives, designated on the first day of the running quarter
    (so the quarterly check applies at once); three homes of one district are pilots;
    the special committees become bodies."""
    session, plugins = context.session, context.plugins
    since = Quarter.of(clock.today()).first_day
    codes = home_regions(city_code, council_regions)
    for code in codes:
        await homes.designate(session, plugins, None, code, since)
    district, pilots = choose_pilots(codes, seed)
    for code in pilots:
        await homes.set_pilot(session, plugins, None, district, code, True)
    await seed_committees(context, city_code, seed)
