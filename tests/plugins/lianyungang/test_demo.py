"""The demo (``yishi_demo_seeded``): the seeded councils of 连云港 become homes of the kind their
division gives, three homes of one district are pilots, and the special committees the setting
names become bodies with members, the same for the same seed."""
from __future__ import annotations

from sqlalchemy import select

from core.models import Council, Region
from core.tenants.loader import TENANTS_DIR, load_tenants, read_tenant
from plugins.lianyungang import homes
from plugins.lianyungang.demo import choose_pilots, committee_members
from plugins.lianyungang.models import Committee, CommitteeMember, Home
from plugins.lianyungang.settings import DEFAULT_COMMITTEES


def test_committee_members_are_made_up_from_the_seed_each_person_once():
    found = committee_members(["城乡建设委员会", "教科卫体委员会"], 3207)
    assert found == committee_members(["城乡建设委员会", "教科卫体委员会"], 3207)
    people = [p for members in found.values() for p in members]
    assert [len(m) for m in found.values()] == [3, 3] and len(set(people)) == 6


def test_pilots_are_chosen_from_the_seed_three_in_one_district():
    codes = ["320703001", "320703001001", "320703001006", "320706001", "320706001001", "320706001002",
             "320722101", "320722101200"]
    district, pilots = choose_pilots(codes, 3207)
    assert choose_pilots(codes, 3207) == (district, pilots)
    assert district in ("320703", "320706") and len(pilots) == 3
    assert all(code.startswith(district) for code in pilots)
    # Only one district with three homes: that one, whatever the seed.
    assert {choose_pilots(codes[:3] + codes[6:], seed)[0] for seed in range(20)} == {"320703"}


async def test_the_lianyungang_demo_designates_the_seeded_councils_and_three_pilots(db, runtime):
    path = TENANTS_DIR / "lianyungang.toml"
    assert read_tenant(path, runtime.plugins).plugins == ("lianyungang",)
    [report] = await load_tenants(runtime, [path])
    assert report.demo is not None and not report.demo.skipped
    council_codes = sorted((await db.scalars(select(Council.region_code))).all())
    rows = (await db.execute(select(Home, Region.name).join(Region, Region.code == Home.region_code)
                             .order_by(Home.region_code))).all()
    assert [home.region_code for home, _ in rows] == [c for c in council_codes if len(c) in (9, 12)]
    assert all(home.kind == homes.home_kind(home.region_code, name) for home, name in rows)
    pilots = [home.region_code for home, _ in rows if home.is_pilot]
    district, chosen = choose_pilots([home.region_code for home, _ in rows], 3207)
    assert pilots == chosen and len(pilots) == 3 and {code[:6] for code in pilots} == {district}
    # The councils carry the homes' names.
    names = dict((await db.execute(select(Council.region_code, Council.name))).all())
    assert all(names[home.region_code].endswith("协商民主之家") for home, _ in rows)
    # The committees the default setting names, each with the items it names it for and three CPPCC members.
    bodies = {c.name: c for c in await db.scalars(select(Committee).where(Committee.city_code == "3207"))}
    assert set(bodies) == set(DEFAULT_COMMITTEES.values())
    for name, body in bodies.items():
        assert body.categories == sorted(item for item, named in DEFAULT_COMMITTEES.items() if named == name)
        members = (await db.scalars(select(CommitteeMember).where(CommitteeMember.committee_id == body.id))).all()
        assert len(members) == 3 and all(m.is_cppcc for m in members)
