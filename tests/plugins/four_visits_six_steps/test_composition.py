""""1+7+X" with the deputy party secretary in the chair (seed 004 §一): the chair is a
party committee member (the deputy secretary), anything else is a remark; the fixed
members the report names that map onto the core's categories are remarked on when
missing; never blocking, community councils only."""
from __future__ import annotations

from core.councils.rules import CouncilSnapshot, MemberSnapshot
from plugins.four_visits_six_steps import composition
from plugins.four_visits_six_steps.composition import CHAIR_RULE, FIXED_RULE
from tests.plugins.four_visits_six_steps.conftest import (BAOYUNLI, CHANGKANGYUAN, CHENGGUAN, YONGFUYUAN, member,
                                                          seat, seed_text)

OURS = (CHAIR_RULE, FIXED_RULE)


def ours(violations) -> dict[str, object]:
    return {v.rule_id: v for v in violations if v.rule_id in OURS}


def council(kind: str = "community") -> CouncilSnapshot:
    return CouncilSnapshot(region_code=YONGFUYUAN, kind=kind, name="永福苑社区协商议事会", term_number=1,
                           term_starts_on=None, term_ends_on=None)


def test_the_rules_quote_the_report():
    text = seed_text()
    assert composition.CHAIR_TEXT in text and composition.FIXED_TEXT in text
    assert all(zh in composition.FIXED_TEXT for zh, _en, _present in composition.FIXED_KINDS)


async def test_the_council_seated_as_the_report_says_draws_no_remark(db, county, client, people):
    shown = await client.get(f"/api/v1/regions/{YONGFUYUAN}/council", headers=await people("chair"))
    assert shown.status_code == 200, shown.text
    assert not [v for v in shown.json()["violations"] if v["rule_id"] in OURS]
    [chair] = [m for m in shown.json()["roster"] if m["role_in_council"] == "chair"]
    assert (chair["name"], chair["category"]) == ("社区党委副书记", "party_committee")


async def test_a_chair_who_is_not_the_deputy_secretary_is_remarked_on_member_by_member(db, county):
    changes = await seat(db, county.plugins, CHANGKANGYUAN, [
        member("社区党委书记", "party_secretary", role_in_council="chair"),
        member("社区党委副书记", "party_committee", role_in_council="chair"),
    ])
    [first, second] = [ours(c.violations) for c in changes]
    remark = first[CHAIR_RULE]
    assert not remark.blocking
    assert "应由社区党委副书记担任" in remark.message_zh and "由党组织书记担任" in remark.message_zh
    assert composition.CHAIR_TEXT in remark.message_zh
    assert "deputy secretary chairs the council" in remark.message_en
    # Seated anyway; then two chairs are one too many.
    assert "只应有一名" in second[CHAIR_RULE].message_zh and not second[CHAIR_RULE].blocking


def test_no_chair_or_a_chair_of_another_kind_is_remarked_on():
    deputy = MemberSnapshot(id=1, name="副书记", category="party_committee", role_in_council="chair")
    resident = MemberSnapshot(id=2, name="老刘", category="resident", role_in_council="chair")
    nobody = ours(composition.check(council(), (MemberSnapshot(id=3, name="老王", category="resident"),)))
    assert "尚未指定协商议事会主席" in nobody[CHAIR_RULE].message_zh
    other = ours(composition.check(council(), (resident,)))
    assert "现任主席老刘为德高望重、公道正派的居民代表" in other[CHAIR_RULE].message_zh
    assert CHAIR_RULE not in ours(composition.check(council(), (deputy,)))


def test_the_fixed_members_the_report_names_are_remarked_on_when_missing():
    deputy = MemberSnapshot(id=1, name="副书记", category="party_committee", role_in_council="chair")
    alone = ours(composition.check(council(), (deputy,)))[FIXED_RULE]
    assert not alone.blocking
    assert alone.message_zh.startswith("固定成员中尚缺：政协委员、社区“两委”班子代表、群众代表（")
    roster = (deputy, MemberSnapshot(id=2, name="主任", category="residents_committee"),
              MemberSnapshot(id=3, name="律师", category="legal_worker", is_cppcc=True),
              MemberSnapshot(id=4, name="老王", category="resident"))
    assert FIXED_RULE not in ours(composition.check(council(), roster))
    # A CPPCC member invited for one topic (an X) is not a fixed member.
    guest = (*roster[:2], roster[3], MemberSnapshot(id=5, name="委员", category="expert", is_cppcc=True))
    assert ours(composition.check(council(), guest))[FIXED_RULE].message_zh.startswith("固定成员中尚缺：政协委员（")


async def test_street_councils_and_other_regions_are_not_held_to_it(db, county):
    assert composition.check(council("street"), ()) == []
    street = await seat(db, county.plugins, CHENGGUAN, [member("街道党工委委员", "party_committee")])
    assert not ours(street[-1].violations)
    elsewhere = await seat(db, county.plugins, BAOYUNLI, [member("党组织书记", "party_secretary",
                                                                   role_in_council="chair")])
    assert not ours(elsewhere[-1].violations)


def test_who_chairs_is_a_setting_004s_deputy_secretary_or_000s_secretary():
    secretary = MemberSnapshot(id=1, name="书记", category="party_secretary", role_in_council="chair")
    deputy = MemberSnapshot(id=2, name="副书记", category="party_committee", role_in_council="chair")
    as_004 = council()
    as_000 = CouncilSnapshot(region_code=YONGFUYUAN, kind="community", name="永福苑社区协商议事会", term_number=1,
                             term_starts_on=None, term_ends_on=None,
                             settings={"four_visits_six_steps.chair": "party_secretary"})
    assert CHAIR_RULE in ours(composition.check(as_004, (secretary,)))
    assert CHAIR_RULE not in ours(composition.check(as_004, (deputy,)))
    assert CHAIR_RULE not in ours(composition.check(as_000, (secretary,)))
    assert ours(composition.check(as_000, (deputy,)))[CHAIR_RULE].message_zh.startswith("协商议事会主席应由党组织书记担任")
