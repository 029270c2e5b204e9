"""Consultation homes (seed 003 §三): designated at a street or community, of the kind
the division gives, named after the place; pilots chosen by the district, 3–4 of them (§五)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from core import clock
from core.models import AuditEntry, Council
from plugins.lianyungang import homes
from plugins.lianyungang.models import Home
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.plugins.lianyungang.conftest import (
    BAITA, BAITABU, BINHAI, CITY, DONGHAI, DONGYUAN, LIANYUN, NANXIANG, NIUSHAN, NIUSHAN_COMMUNITY, XIYUAN,
    LYG, XUGOU, YUANQIAN, designate, write_lyg)
from tests.conftest import Seed

API = "/api/v1/plugins/lianyungang"


@pytest.fixture(autouse=True)
def _today():
    clock.set_now(datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc))  # 1 July 2026, 10:00 in Beijing


PEOPLE = {"city": [("city_admin", CITY)], "lianyun": [("district_admin", LIANYUN)],
          "donghai": [("district_admin", DONGHAI)], "xugou": [("street_staff", XUGOU)],
          "cppcc": [("cppcc_member", DONGYUAN)]}


async def _write_people(runtime) -> None:
    async with runtime.read_sessions() as db:
        await write_lyg(db)
        for name, grants in PEOPLE.items():
            await make_user(db, name, *grants)


# The tree and PEOPLE, written once per backend (hashing passwords is what made these tests slow).
WITH_PEOPLE = Seed("lianyungang_homes", LYG.now, _write_people)


@pytest.fixture
def database_seed(request) -> Seed | None:
    return WITH_PEOPLE if "client" in request.fixturenames else LYG if "lyg" in request.fixturenames else None


@pytest_asyncio.fixture
async def client(runtime, db, lyg):
    """PEOPLE logged in; they and the tree are in the WITH_PEOPLE template."""
    async with app_client(runtime) as test_client:
        test_client.tokens = {name: bearer(await login(test_client, name)) for name in PEOPLE}
        yield test_client


@pytest.mark.parametrize(("code", "name", "kind"), [
    (XUGOU, "墟沟街道", "citizens"),
    (DONGYUAN, "东园社区居委会", "citizens"),
    (NIUSHAN_COMMUNITY, "牛山社区居民委员会", "citizens"),
    (BAITABU, "白塔埠镇", "villagers"),
    ("320722104", "石梁河镇", "villagers"),
    ("320722200", "驼峰乡", "villagers"),
    (BAITA, "白塔村委会", "villagers"),
])
def test_the_division_decides_villagers_or_citizens(code, name, kind):
    assert homes.home_kind(code, name) == kind


def test_a_home_is_named_after_the_place_and_its_kind():
    assert homes.home_name("东园社区居委会", "citizens")[0] == "东园社区政协市民协商民主之家"
    assert homes.home_name("白塔村委会", "villagers")[0] == "白塔村政协村民协商民主之家"
    assert homes.home_name("白塔埠镇", "villagers")[0] == "白塔埠镇政协村民协商民主之家"
    assert homes.home_name("墟沟街道", "citizens")[1] == "CPPCC citizens' consultation home of 墟沟街道"


async def test_street_staff_designate_a_community_home_and_its_council_takes_the_name(client, db):
    answer = await client.post(f"{API}/regions/{DONGYUAN}/home", json={}, headers=client.tokens["xugou"])
    assert answer.status_code == 201, answer.text
    home = answer.json()
    assert (home["kind"], home["kind_zh"], home["name"]) == ("citizens", "政协市民协商民主之家",
                                                             "东园社区政协市民协商民主之家")
    assert (home["is_pilot"], home["designated_on"]) == (False, "2026-07-01")
    council = await db.scalar(select(Council).where(Council.region_code == DONGYUAN))
    assert council.name == "东园社区政协市民协商民主之家" and home["council_id"] == council.id
    audited = (await db.scalars(select(AuditEntry.action).where(AuditEntry.region_code == DONGYUAN,
                                                                AuditEntry.action != "role.grant")
                                .order_by(AuditEntry.id))).all()
    assert audited == ["council.create", "council.update", "lianyungang.home.designate"]

    shown = await client.get(f"{API}/regions/{DONGYUAN}/home", headers=client.tokens["cppcc"])
    assert shown.status_code == 200 and shown.json()["name"] == "东园社区政协市民协商民主之家"

    again = await client.post(f"{API}/regions/{DONGYUAN}/home", json={}, headers=client.tokens["xugou"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "home_exists"


async def test_a_township_home_is_a_villagers_home(client):
    answer = await client.post(f"{API}/regions/{BAITABU}/home", json={"designated_on": "2019-08-16"},
                               headers=client.tokens["donghai"])
    assert answer.status_code == 201, answer.text
    assert (answer.json()["kind"], answer.json()["name"], answer.json()["designated_on"]) == (
        "villagers", "白塔埠镇政协村民协商民主之家", "2019-08-16")


async def test_bad_designations_are_refused_in_both_languages_and_write_nothing(client, db):
    district = await client.post(f"{API}/regions/{LIANYUN}/home", json={}, headers=client.tokens["lianyun"])
    assert district.status_code == 400
    [field] = district.json()["error"]["fields"]
    assert field["field"] == "code" and "街道" in field["message_zh"] and "street" in field["message_en"]

    future = await client.post(f"{API}/regions/{XIYUAN}/home", json={"designated_on": "2026-07-02"},
                               headers=client.tokens["xugou"])
    assert future.status_code == 400
    assert future.json()["error"]["fields"][0]["field"] == "designated_on"

    unknown = await client.post(f"{API}/regions/{XIYUAN}/home", json={"head": "张三"},
                                headers=client.tokens["xugou"])
    assert unknown.status_code == 400

    # CPPCC members read councils but do not manage them.
    denied = await client.post(f"{API}/regions/{DONGYUAN}/home", json={}, headers=client.tokens["cppcc"])
    assert denied.status_code == 403
    # Outside the caller's reach: the same 404 as a region that does not exist.
    beyond = await client.post(f"{API}/regions/{NIUSHAN}/home", json={}, headers=client.tokens["xugou"])
    assert beyond.status_code == 404
    assert await db.scalar(select(func.count()).select_from(Home)) == 0
    assert await db.scalar(select(func.count()).select_from(Council)) == 0


async def test_no_home_where_the_plugin_is_off(db, runtime, lyg):
    from core.errors import ApiError
    from core.models import RegionPlugin

    db.add(RegionPlugin(region_code=DONGHAI, plugin="lianyungang", enabled=False))
    await db.commit()
    with pytest.raises(ApiError) as refused:
        await homes.designate(db, runtime.plugins, None, NIUSHAN_COMMUNITY)
    assert refused.value.status_code == 409 and "未启用" in refused.value.message_zh
    with pytest.raises(ApiError):
        await homes.designate(db, runtime.plugins, None, "330203001001")  # 宁波, never enabled


async def test_homes_of_a_subtree_are_listed(client, db, runtime):
    for code in (DONGYUAN, XIYUAN, NIUSHAN_COMMUNITY):
        await designate(db, runtime, code)
    listed = await client.get(f"{API}/regions/{LIANYUN}/homes", headers=client.tokens["lianyun"])
    assert listed.status_code == 200, listed.text
    assert [h["region_code"] for h in listed.json()["items"]] == [DONGYUAN, XIYUAN]
    everything = await client.get(f"{API}/regions/{CITY}/homes?page_size=2", headers=client.tokens["city"])
    assert everything.json()["total"] == 3 and len(everything.json()["items"]) == 2
    own = await client.get(f"{API}/regions/{DONGYUAN}/homes", headers=client.tokens["cppcc"])
    assert [h["name"] for h in own.json()["items"]] == ["东园社区政协市民协商民主之家"]


# -- pilots (§五 注重试点推广: 每个县区都要选择3~4个…进行试点) -----------------------------

async def test_a_district_marks_3_to_4_pilots_and_the_5th_is_refused(client, db, runtime):
    five = [DONGYUAN, XIYUAN, YUANQIAN, BINHAI, NANXIANG]
    for code in five:
        await designate(db, runtime, code)
    headers = client.tokens["lianyun"]

    async def mark(code, on=True):
        return await client.put(f"{API}/regions/{LIANYUN}/homes/{code}/pilot", json={"is_pilot": on},
                                headers=headers)

    async def coverage():
        answer = await client.get(f"{API}/regions/{LIANYUN}/pilots", headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["districts"][0]

    for code in five[:2]:
        assert (await mark(code)).json()["is_pilot"] is True
    below = await coverage()
    assert (below["pilots"], below["status"], below["within"]) == (2, "below", False)
    assert below["detail_zh"] == "连云区试点协商民主之家 2 个，要求 3~4 个"

    await mark(five[2])
    assert (await coverage())["status"] == "within"
    await mark(five[3])
    within = await coverage()
    assert (within["pilots"], within["within"]) == (4, True)
    assert [h["region_code"] for h in within["pilot_homes"]] == five[:4]

    refused = await mark(five[4])
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "pilots_full" and "4" in error["message_zh"] and "at most 4" in error["message_en"]
    assert await db.scalar(select(func.count()).select_from(Home).where(Home.is_pilot.is_(True))) == 4

    # Unmarking frees a place.
    assert (await mark(five[0], False)).json()["is_pilot"] is False
    assert (await mark(five[4])).status_code == 200


async def test_pilots_are_chosen_at_the_district_for_its_own_homes(client, db, runtime):
    await designate(db, runtime, DONGYUAN)
    await designate(db, runtime, NIUSHAN_COMMUNITY)
    # 东海县's home is not 连云区's to mark.
    other = await client.put(f"{API}/regions/{LIANYUN}/homes/{NIUSHAN_COMMUNITY}/pilot", json={"is_pilot": True},
                             headers=client.tokens["lianyun"])
    assert other.status_code == 404
    # The street may not choose pilots (the guard checks council.manage at the district).
    street = await client.put(f"{API}/regions/{LIANYUN}/homes/{DONGYUAN}/pilot", json={"is_pilot": True},
                              headers=client.tokens["xugou"])
    assert street.status_code == 404
    at_street = await client.put(f"{API}/regions/{XUGOU}/homes/{DONGYUAN}/pilot", json={"is_pilot": True},
                                 headers=client.tokens["xugou"])
    assert at_street.status_code == 400 and at_street.json()["error"]["fields"][0]["field"] == "code"
    bad = await client.put(f"{API}/regions/{LIANYUN}/homes/{DONGYUAN}/pilot", json={"is_pilot": "yes"},
                           headers=client.tokens["lianyun"])
    assert bad.status_code == 400
    assert await db.scalar(select(func.count()).select_from(Home).where(Home.is_pilot.is_(True))) == 0


async def test_city_pilot_report_covers_every_district(client, db, runtime):
    for code in (DONGYUAN, XIYUAN, YUANQIAN):
        await designate(db, runtime, code)
        await homes.set_pilot(db, runtime.plugins, None, LIANYUN, code, True)
    await db.commit()
    report = await client.get(f"{API}/regions/{CITY}/pilots", headers=client.tokens["city"])
    assert report.status_code == 200, report.text
    by_code = {d["code"]: d for d in report.json()["districts"]}
    assert set(by_code) == {LIANYUN, DONGHAI, "320706"}
    assert (by_code[LIANYUN]["pilots"], by_code[LIANYUN]["status"]) == (3, "within")
    assert (by_code[DONGHAI]["pilots"], by_code[DONGHAI]["status"]) == (0, "below")
    assert report.json()["totals"] == {"districts": 3, "within": 1, "pilots": 3}
    street = await client.get(f"{API}/regions/{XUGOU}/pilots", headers=client.tokens["xugou"])
    assert street.status_code == 400
