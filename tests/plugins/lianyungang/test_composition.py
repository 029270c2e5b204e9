"""Who sits in a home (seed 003 §三): "每个协商民主之家至少安排3名以上政协委员参加，并指定一名委员作为负责人"."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from core.region_context import region_context
from core import clock
from core.councils import service as councils
from core.councils.rules import CouncilSnapshot, MemberSnapshot
from core.councils.service import MemberData
from plugins.lianyungang.composition import home_rules
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.plugins.lianyungang.conftest import DONGYUAN, XUGOU

COMMUNITY = CouncilSnapshot(DONGYUAN, "community", "东园社区政协市民协商民主之家", 1, date(2024, 1, 1), None)


@pytest.fixture(autouse=True)
def _today():
    clock.set_now(datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc))


def cppcc(name: str, **kw) -> MemberSnapshot:
    return MemberSnapshot(id=None, name=name, category="deputies", is_cppcc=True, **kw)


def rules_of(roster, council=COMMUNITY) -> dict[str, tuple[str, str, bool]]:
    return {v.rule_id: (v.message_zh, v.message_en, v.blocking) for v in home_rules(council, tuple(roster))}


def test_three_cppcc_members_with_one_of_them_head_comply():
    assert rules_of([cppcc("甲", role_in_council="head"), cppcc("乙"), cppcc("丙")]) == {}


def test_fewer_than_3_cppcc_members_is_named_with_the_numbers_and_does_not_block():
    found = rules_of([cppcc("甲", role_in_council="head"), cppcc("乙"),
                      MemberSnapshot(id=None, name="丁", category="resident")])
    zh, en, blocking = found["lianyungang.cppcc_members"]
    assert zh == "协商民主之家政协委员 2 人，少于 3 人"
    assert en == "2 CPPCC members in the consultation home, fewer than 3"
    assert blocking is False
    assert set(found) == {"lianyungang.cppcc_members"}


def test_the_minimum_is_the_regions_setting():
    stricter = CouncilSnapshot(DONGYUAN, "community", "东园社区政协市民协商民主之家", 1, None, None,
                               settings={"lianyungang.min_cppcc_members": 5})
    found = rules_of([cppcc("甲", role_in_council="head"), cppcc("乙"), cppcc("丙")], stricter)
    assert found["lianyungang.cppcc_members"][0] == "协商民主之家政协委员 3 人，少于 5 人"


def test_a_home_needs_exactly_one_head_who_is_a_cppcc_member():
    none = rules_of([cppcc("甲"), cppcc("乙"), cppcc("丙")])
    assert "未指定负责人" in none["lianyungang.head_designated"][0]
    assert "no head designated" in none["lianyungang.head_designated"][1]

    two = rules_of([cppcc("甲", role_in_council="head"), cppcc("乙", role_in_council="head"), cppcc("丙")])
    assert two["lianyungang.head_designated"][0] == "指定了 2 名负责人（甲、乙），只能指定 1 名"
    assert two["lianyungang.head_designated"][1] == "2 heads designated (甲, 乙); designate exactly 1"

    outsider = rules_of([cppcc("甲"), cppcc("乙"), cppcc("丙"),
                         MemberSnapshot(id=None, name="王书记", category="party_secretary", role_in_council="head")])
    assert set(outsider) == {"lianyungang.head_is_cppcc"}
    assert outsider["lianyungang.head_is_cppcc"][0] == "负责人王书记不是政协委员，负责人应由政协委员担任"


def test_street_homes_are_held_to_it_and_district_councils_are_not():
    street = CouncilSnapshot(XUGOU, "street", "墟沟街道政协市民协商民主之家", 1, None, None)
    assert set(rules_of([], street)) == {"lianyungang.cppcc_members", "lianyungang.head_designated"}
    district = CouncilSnapshot("320703", "district", "连云区协商议事会", None, None, None)
    assert rules_of([], district) == {}


async def test_the_roster_is_built_up_step_by_step_with_the_remarks_shown(db, runtime, lyg):
    council = await councils.ensure_council(db, DONGYUAN)
    hooks = await region_context(db, runtime.plugins, DONGYUAN)
    change = await councils.add_member(db, council, MemberData(name="甲", category="deputies", is_cppcc=True,
                                                              role_in_council="head"), context=hooks)
    ids = {v.rule_id for v in change.violations}
    assert "lianyungang.cppcc_members" in ids and "lianyungang.head_designated" not in ids
    await councils.add_member(db, council, MemberData(name="乙", category="deputies", is_cppcc=True), context=hooks)
    change = await councils.add_member(db, council, MemberData(name="丙", category="deputies", is_cppcc=True),
                                       context=hooks)
    await db.commit()
    assert not {v.rule_id for v in change.violations} & {"lianyungang.cppcc_members", "lianyungang.head_designated",
                                                           "lianyungang.head_is_cppcc"}


async def test_the_council_page_shows_the_remarks_where_the_plugin_is_on_only(db, runtime, lyg):
    await make_user(db, "xugou", ("street_staff", XUGOU))
    await make_user(db, "ningbo", ("street_staff", "330203001"))
    async with app_client(runtime) as client:
        headers = bearer(await login(client, "xugou"))
        saved = await client.post(f"/api/v1/regions/{DONGYUAN}/council/members", headers=headers,
                                  json={"name": "甲", "category": "deputies", "is_cppcc": True})
        assert saved.status_code == 201, saved.text
        remarks = {v["rule_id"]: v for v in saved.json()["violations"]}
        assert remarks["lianyungang.cppcc_members"]["message_zh"] == "协商民主之家政协委员 1 人，少于 3 人"
        assert remarks["lianyungang.head_designated"]["blocking"] is False

        elsewhere = await client.post("/api/v1/regions/330203001001/council/members",
                                      headers=bearer(await login(client, "ningbo")),
                                      json={"name": "甲", "category": "deputies", "is_cppcc": True})
        assert elsewhere.status_code == 201, elsewhere.text
        assert not [v for v in elsewhere.json()["violations"] if v["rule_id"].startswith("lianyungang.")]


async def test_a_district_setting_raises_the_minimum_on_the_council_page(db, runtime, lyg):
    from core.models import RegionSetting

    db.add(RegionSetting(region_code="320703", key="lianyungang.min_cppcc_members", value=4))
    await db.commit()
    council = await councils.ensure_council(db, DONGYUAN)
    hooks = await region_context(db, runtime.plugins, DONGYUAN)
    for name in ("甲", "乙", "丙"):
        change = await councils.add_member(db, council, MemberData(
            name=name, category="deputies", is_cppcc=True, role_in_council="head" if name == "甲" else "member"),
            context=hooks)
    remarks = {v.rule_id: v.message_zh for v in change.violations}
    assert remarks["lianyungang.cppcc_members"] == "协商民主之家政协委员 3 人，少于 4 人"
