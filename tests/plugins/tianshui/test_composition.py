"""Council composition in Tianshui (seed 000 §四(二)): 20–30 fixed members,
cadres at most half, residents' representatives 1–2 per grid, both directors
among the fixed members, a five-year term; the street council's two
convenors and the kinds of members the seed lists for it. The rules alone,
then roster saves over HTTP on both backends."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from core.region_context import region_context
from core import clock
from core.councils import service
from core.councils.rules import CouncilSnapshot, MemberSnapshot
from core.councils.service import MemberData
from core.models import CouncilMember, RegionPlugin
from plugins.tianshui.composition import (FIRST_CONVENOR_WHO, SECOND_CONVENOR_WHO, STREET_COUNCIL_WORDS,
                                          STREET_MEMBER_KINDS, council_violations)
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import add_regions

CITY, DISTRICT, STREET, COMMUNITY = "6205", "620502", "620502001", "620502001001"
REGIONS = [(CITY, "天水市"), (DISTRICT, "秦州区"), (STREET, "大城街道"), (COMMUNITY, "进步巷社区居委会")]
TERM_START, TERM_END = date(2024, 3, 1), date(2029, 2, 28)  # five years, as the residents' committee's

COMMUNITY_COUNCIL = CouncilSnapshot(COMMUNITY, "community", "进步巷社区协商议事会", 1, TERM_START, TERM_END)
STREET_COUNCIL = CouncilSnapshot(STREET, "street", "大城街道协商议事会", 1, TERM_START, TERM_END)


def compliant() -> list[dict]:
    """Twenty fixed members of every "1+7" kind, 8 of them cadres, residents two per grid at most."""
    people = [dict(name="王书记", category="party_secretary", is_cadre=True, role_in_council="chair"),
              dict(name="党委甲", category="party_committee", is_cadre=True),
              dict(name="党委乙", category="party_committee", is_cadre=True),
              dict(name="李主任", category="residents_committee", is_cadre=True,
                   is_residents_committee_director=True),
              dict(name="居委甲", category="residents_committee", is_cadre=True),
              dict(name="居委乙", category="residents_committee", is_cadre=True),
              dict(name="赵主任", category="supervisory_committee", is_cadre=True, is_supervisory_director=True),
              dict(name="监委甲", category="supervisory_committee", is_cadre=True),
              dict(name="人大代表", category="deputies"),
              dict(name="政协委员", category="deputies", is_cppcc=True),
              dict(name="律师", category="legal_worker"),
              dict(name="企业代表", category="organisation"),
              dict(name="社会组织代表", category="organisation")]
    grids = ["一网格", "一网格", "二网格", "二网格", "三网格", "三网格", "四网格"]
    people += [dict(name=f"居民{i + 1}", category="resident", grid=grid) for i, grid in enumerate(grids)]
    assert len(people) == 20
    return people


def street_roster() -> list[dict]:
    """Both convenors and, besides them, one member of each kind seed 000 lists for a street council."""
    return [dict(name="副书记", category="party_committee", is_cadre=True, role_in_council="first_convenor"),
            dict(name="孙委员", category="deputies", is_cppcc=True, role_in_council="second_convenor"),
            dict(name="钱委员", category="deputies", is_cppcc=True),
            dict(name="党员代表", category="party_committee"),
            dict(name="群众代表", category="resident"),
            dict(name="企业代表", category="organisation"),
            dict(name="城管科科员", category="department", is_cadre=True)]


# The remark on a street council with its convenors and no one else: every kind named, in the seed's order.
NO_STREET_MEMBERS = ("第一、第二召集人之外，街道协商议事会成员中没有政协委员（勾选“政协委员”）、"
                     "党员代表（类别“党组织班子代表”或“党组织书记”）、群众代表（类别“德高望重、公道正派的居民代表”）、"
                     "企事业单位代表（类别“经济组织和社会组织代表”）、相关部门公职人员（类别“政府职能部门代表”）")


def snapshots(people: list[dict]) -> tuple[MemberSnapshot, ...]:
    return tuple(MemberSnapshot(id=i, **p) for i, p in enumerate(people, start=1))


def by_rule(council, people) -> dict:
    return {v.rule_id: v for v in council_violations(council, snapshots(people))}


def with_cadres(people: list[dict], cadres: int) -> list[dict]:
    marked = sum(1 for p in people if p.get("is_cadre"))
    out = []
    for p in people:
        if not p.get("is_cadre") and marked < cadres:
            p = {**p, "is_cadre": True}
            marked += 1
        out.append(p)
    return out


# -- the rules, on snapshots ----------------------------------------------------------

def test_the_numbers_are_settings_a_region_may_tune():
    """The seed's 20–30, two per grid and five years are the defaults; a district's own
    values reach the rule through the council snapshot's resolved settings."""
    people = compliant()
    tuned = replace(COMMUNITY_COUNCIL, settings={"tianshui.min_fixed_members": 15, "tianshui.max_fixed_members": 18,
                                                 "tianshui.max_residents_per_grid": 1, "tianshui.term_years": 3})
    assert "tianshui.fixed_min" not in by_rule(tuned, people[:16])
    assert by_rule(tuned, people)["tianshui.fixed_max"].message_zh == "固定成员 20 人，多于 18 人"
    assert "一网格" in by_rule(tuned, people)["tianshui.grid_max.一网格"].message_zh
    three_years = replace(tuned, term_ends_on=date(2027, 2, 28))
    assert "tianshui.term_length" not in by_rule(three_years, people[:18])
    assert "tianshui.term_length" in by_rule(replace(COMMUNITY_COUNCIL, term_ends_on=date(2027, 2, 28)), people)


def test_a_compliant_roster_has_no_tianshui_remark():
    assert by_rule(COMMUNITY_COUNCIL, compliant()) == {}


def test_fixed_members_twenty_to_thirty():
    people = compliant()
    low = by_rule(COMMUNITY_COUNCIL, people[:18])["tianshui.fixed_min"]
    assert (low.message_zh, low.message_en, low.blocking) == ("固定成员 18 人，少于 20 人", "18 fixed members, fewer than 20",
                                                              False)
    extra = [dict(name=f"法律顾问{i}", category="legal_worker") for i in range(11)]
    assert "tianshui.fixed_max" not in by_rule(COMMUNITY_COUNCIL, people + extra[:10])  # 30
    high = by_rule(COMMUNITY_COUNCIL, people + extra)["tianshui.fixed_max"]
    assert (high.message_zh, high.blocking) == ("固定成员 31 人，多于 30 人", True)
    # Per-topic participants ("X") are no fixed members.
    topic_people = [dict(name=f"专家{i}", category="expert") for i in range(15)]
    assert by_rule(COMMUNITY_COUNCIL, people + topic_people) == {}


def test_cadres_at_most_half_of_the_fixed_members():
    assert "tianshui.cadre_half" not in by_rule(COMMUNITY_COUNCIL, with_cadres(compliant(), 10))
    eleven = by_rule(COMMUNITY_COUNCIL, with_cadres(compliant(), 11))["tianshui.cadre_half"]
    assert eleven.message_zh == "社区干部 11 人，超过固定成员 20 人的二分之一（至多 10 人）"
    twelve = by_rule(COMMUNITY_COUNCIL, with_cadres(compliant(), 12))["tianshui.cadre_half"]
    assert twelve.message_zh == "社区干部 12 人，超过固定成员 20 人的二分之一（至多 10 人）"
    assert twelve.message_en == "12 community cadres, more than half of the 20 fixed members (at most 10)"
    assert not twelve.blocking


def test_residents_representatives_one_or_two_per_grid():
    people = compliant()
    people[-1] = {**people[-1], "grid": ""}
    missing = by_rule(COMMUNITY_COUNCIL, people)["tianshui.grid_missing"]
    assert missing.message_zh == "居民代表 居民7 未填写所在网格（居民代表以网格为单位推荐）" and not missing.blocking
    people[-1] = {**people[-1], "grid": "一网格"}
    third = by_rule(COMMUNITY_COUNCIL, people)["tianshui.grid_max.一网格"]
    assert third.message_zh == "网格“一网格”推荐居民代表 3 人，多于 2 人（每个网格 1—2 人）" and third.blocking
    assert [k for k in by_rule(COMMUNITY_COUNCIL, people) if k.startswith("tianshui.grid")] == \
        ["tianshui.grid_max.一网格"]


def test_both_directors_must_be_fixed_members():
    people = [p for p in compliant() if not p.get("is_residents_committee_director")]
    found = by_rule(COMMUNITY_COUNCIL, people)
    assert found["tianshui.residents_director"].message_zh == "居委会主任应纳入议事会固定成员，固定成员中没有居委会主任"
    assert "tianshui.supervisory_director" not in found
    # A director seated only as a per-topic participant does not count.
    people = [p if not p.get("is_supervisory_director") else {**p, "category": "stakeholder"} for p in compliant()]
    assert "tianshui.supervisory_director" in by_rule(COMMUNITY_COUNCIL, people)


def test_the_term_is_the_residents_committees_five_years():
    people = compliant()
    open_ended = by_rule(replace(COMMUNITY_COUNCIL, term_ends_on=None), people)["tianshui.term_length"]
    assert open_ended.message_zh == "第 1 届任期未定结束日期；议事会任期应与居委会任期（5 年）相同，应至 2029-02-28"
    three = by_rule(replace(COMMUNITY_COUNCIL, term_ends_on=date(2027, 2, 28)), people)["tianshui.term_length"]
    assert three.message_zh == "第 1 届任期 2024-03-01 至 2027-02-28，与居委会任期（5 年）不同，应至 2029-02-28"
    assert not three.blocking
    assert by_rule(replace(COMMUNITY_COUNCIL, term_ends_on=date(2029, 3, 1)), people) == {}
    leap = replace(COMMUNITY_COUNCIL, term_starts_on=date(2024, 2, 29), term_ends_on=date(2029, 2, 27))
    assert by_rule(leap, people) == {}


def test_the_street_rules_rest_on_the_seeds_sentence():
    """The convenors' posts and the kinds of members are the seed's words, in its order
    (tests/test_seed_quotes.py checks the sentence against the seed file)."""
    assert STREET_COUNCIL_WORDS.startswith(f"街道协商议事会成员由{FIRST_CONVENOR_WHO}书记为协商议事第一召集人、"
                                           f"{SECOND_CONVENOR_WHO}为第二召集人、")
    assert STREET_COUNCIL_WORDS.endswith("第二召集人、" + "、".join(k.words for k in STREET_MEMBER_KINDS) + "组成。")


def test_street_council_has_one_first_and_one_cppcc_second_convenor():
    people = street_roster()
    first, second, others = people[0], people[1], people[2:]
    assert by_rule(STREET_COUNCIL, people) == {}
    empty = by_rule(STREET_COUNCIL, [])
    assert empty["tianshui.first_convenor"].message_zh == "缺少第一召集人（街道党工委副书记）"
    assert empty["tianshui.second_convenor"].message_zh == "缺少第二召集人（政协委员）"
    assert not any(v.blocking for v in empty.values())
    two = by_rule(STREET_COUNCIL, [first, {**first, "name": "另一副书记"}, second, *others])["tianshui.first_convenor"]
    assert two.message_zh == "第一召集人 2 人（副书记、另一副书记），只应有 1 人" and two.blocking
    not_cppcc = by_rule(STREET_COUNCIL, [first, {**second, "is_cppcc": False}, *others])
    not_cppcc = not_cppcc["tianshui.second_convenor_cppcc"]
    assert not_cppcc.message_zh == "第二召集人应为政协委员，孙委员 不是政协委员" and not_cppcc.blocking
    # The community's numbers are not the street's, nor the street's convenors the community's.
    assert set(by_rule(STREET_COUNCIL, people + compliant()[:3])) == set()
    assert not any(k.endswith("convenor") for k in by_rule(COMMUNITY_COUNCIL, compliant()))


def test_a_street_council_missing_its_second_convenor_is_told_so():
    people = [p for p in street_roster() if p.get("role_in_council") != "second_convenor"]
    missing = by_rule(STREET_COUNCIL, people)
    assert set(missing) == {"tianshui.second_convenor"}
    assert missing["tianshui.second_convenor"].message_zh == "缺少第二召集人（政协委员）"
    assert missing["tianshui.second_convenor"].message_en == "no second convenor (a CPPCC member)"
    assert not missing["tianshui.second_convenor"].blocking


def test_street_council_members_of_each_kind_the_seed_lists():
    people = street_roster()
    convenors = people[:2]
    only_convenors = by_rule(STREET_COUNCIL, convenors)["tianshui.street_members"]
    assert only_convenors.message_zh == NO_STREET_MEMBERS and not only_convenors.blocking
    assert only_convenors.message_en.startswith("besides the first and second convenors, the street council has no "
                                                "CPPCC members (ticked 'CPPCC member'); party members' representatives")
    # Each kind missing in turn is named alone, in the seed's words.
    for kind, member in zip(STREET_MEMBER_KINDS, people[2:]):
        without = [p for p in people if p is not member]
        remark = by_rule(STREET_COUNCIL, without)["tianshui.street_members"]
        assert remark.message_zh == f"第一、第二召集人之外，街道协商议事会成员中没有{kind.words}（{kind.hint_zh}）"
    # The second convenor is no substitute for the CPPCC members; a deputy who is no CPPCC member
    # does not count either; one flagged so counts in whatever category they sit.
    no_cppcc = [p for p in people if p["name"] != "钱委员"]
    assert "tianshui.street_members" in by_rule(STREET_COUNCIL, no_cppcc + [dict(name="人大代表", category="deputies")])
    assert by_rule(STREET_COUNCIL, no_cppcc + [dict(name="委员企业家", category="organisation", is_cppcc=True)]) == {}
    # A party secretary on the council stands for the party members too.
    party = [p if p["name"] != "党员代表" else {**p, "category": "party_secretary"} for p in people]
    assert by_rule(STREET_COUNCIL, party) == {}
    # The seed gives no numbers: many of a kind or one, no remark either way.
    assert by_rule(STREET_COUNCIL, people + [dict(name=f"群众{i}", category="resident") for i in range(12)]) == {}


# -- roster saves over HTTP, both backends -----------------------------------------------

@pytest.fixture(autouse=True)
def _fixed_today():
    clock.set_now(datetime(2024, 6, 1, 2, 0, tzinfo=timezone.utc))  # 10:00 in Beijing


@pytest_asyncio.fixture
async def api(db, runtime):
    await add_regions(db, *REGIONS)
    db.add(RegionPlugin(region_code=CITY, plugin="tianshui", enabled=True))
    await db.commit()
    await make_user(db, "dacheng_staff", ("street_staff", STREET))
    async with app_client(runtime) as client:
        client.staff = bearer(await login(client, "dacheng_staff"))
        yield client


async def seat(db, runtime, code: str, people: list[dict], *, ends_on: date | None = TERM_END) -> None:
    """Arrange a roster through the council service (the rules speak, and may block, as over HTTP)."""
    hooks = await region_context(db, runtime.plugins, code)
    council = await service.ensure_council(db, code)
    await service.start_term(db, council, TERM_START, ends_on, context=hooks)
    for person in people:
        await service.add_member(db, council, MemberData(**person, joined_on=TERM_START), context=hooks)
    await db.commit()


async def add_over_http(api, person: dict, code: str = COMMUNITY):
    return await api.post(f"/api/v1/regions/{code}/council/members", json=person, headers=api.staff)


def plugin_remarks(violations: list[dict]) -> list[dict]:
    # The core's own roster remarks ("council.*", e.g. a list the party has not yet
    # confirmed) are the core's tests' business; these tests look at the composition
    # rules' ("council_rules.*" built in, "tianshui.*").
    return [v for v in violations if not v["rule_id"].startswith("council.")]


def remarks(answer) -> dict[str, str]:
    return {v["rule_id"]: v["message_zh"] for v in plugin_remarks(answer.json()["violations"])}


async def test_http_compliant_roster_shows_no_remark(db, runtime, api):
    people = compliant()
    await seat(db, runtime, COMMUNITY, people[:-1])
    answer = await add_over_http(api, people[-1])
    assert answer.status_code == 201, answer.text
    assert remarks(answer) == {}
    shown = await api.get(f"/api/v1/regions/{COMMUNITY}/council", headers=api.staff)
    assert remarks(shown) == {} and len(shown.json()["roster"]) == 20


async def test_http_eighteen_fixed_members_shows_the_minimum(db, runtime, api):
    people = compliant()[:18]
    await seat(db, runtime, COMMUNITY, people[:-1])
    answer = await add_over_http(api, people[-1])
    assert answer.status_code == 201, answer.text
    assert remarks(answer) == {"tianshui.fixed_min": "固定成员 18 人，少于 20 人"}


async def test_http_twelve_cadres_of_twenty_shows_the_share(db, runtime, api):
    people = with_cadres(compliant(), 12)
    await seat(db, runtime, COMMUNITY, people[:-1])
    answer = await add_over_http(api, people[-1])
    assert answer.status_code == 201, answer.text
    assert remarks(answer) == {
        "tianshui.cadre_half": "社区干部 12 人，超过固定成员 20 人的二分之一（至多 10 人）"}
    assert sum(1 for m in answer.json()["roster"] if m["is_cadre"]) == 12


async def test_http_a_missing_category_is_named_by_the_built_in_rule(db, runtime, api):
    people = [p for p in compliant() if p["category"] != "legal_worker"]
    await seat(db, runtime, COMMUNITY, people[:-1])
    answer = await add_over_http(api, people[-1])
    found = remarks(answer)
    assert found["council_rules.fixed_categories"] == "七类固定成员缺少 1 类：法律工作者"
    assert found["tianshui.fixed_min"] == "固定成员 19 人，少于 20 人"


async def test_http_caps_refuse_the_change_and_save_nothing(db, runtime, api):
    people = compliant() + [dict(name=f"法律顾问{i}", category="legal_worker") for i in range(10)]
    await seat(db, runtime, COMMUNITY, people)  # 30 fixed members
    seated = await db.scalar(select(func.count()).select_from(CouncilMember))
    answer = await add_over_http(api, dict(name="第三十一人", category="organisation"))
    assert answer.status_code == 409
    assert answer.json()["error"]["message_zh"] == "议事会组成不符合规定：固定成员 31 人，多于 30 人"
    # A per-topic participant is no fixed member: still welcome.
    assert (await add_over_http(api, dict(name="规划专家", category="expert"))).status_code == 201

    third = await add_over_http(api, dict(name="居民8", category="resident", grid="一网格"))
    assert third.status_code == 409
    assert "网格“一网格”推荐居民代表 3 人，多于 2 人（每个网格 1—2 人）" in third.json()["error"]["message_zh"]
    db.expire_all()
    assert await db.scalar(select(func.count()).select_from(CouncilMember)) == seated + 1


async def test_http_third_representative_of_a_grid_is_refused(db, runtime, api):
    people = compliant()[:19]  # grid 一网格 has two already
    await seat(db, runtime, COMMUNITY, people)
    refused = await add_over_http(api, dict(name="居民八", category="resident", grid="一网格"))
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["message_en"].endswith("grid '一网格' has 3 residents' representatives, "
                                                          "more than 2 (1–2 per grid)")
    accepted = await add_over_http(api, dict(name="居民八", category="resident", grid="四网格"))
    assert accepted.status_code == 201 and remarks(accepted) == {}


async def test_http_a_term_without_end_or_of_another_length_is_remarked(db, runtime, api):
    await seat(db, runtime, COMMUNITY, compliant(), ends_on=None)
    shown = await api.get(f"/api/v1/regions/{COMMUNITY}/council", headers=api.staff)
    assert remarks(shown) == {
        "tianshui.term_length": "第 1 届任期未定结束日期；议事会任期应与居委会任期（5 年）相同，应至 2029-02-28"}
    # The next term, after the residents' committee's election, opened for three years only.
    answer = await api.post(f"/api/v1/regions/{COMMUNITY}/council/terms", headers=api.staff,
                            json={"starts_on": "2024-07-01", "ends_on": "2027-06-30"})
    assert answer.status_code == 201, answer.text
    assert remarks(answer) == {
        "tianshui.term_length": "第 2 届任期 2024-07-01 至 2027-06-30，与居委会任期（5 年）不同，应至 2029-06-30"}


async def test_http_street_council_convenors(db, runtime, api):
    refused = await add_over_http(api, dict(name="孙某", category="organisation", role_in_council="second_convenor"),
                                  code=STREET)
    assert refused.status_code == 409
    assert refused.json()["error"]["message_zh"] == "议事会组成不符合规定：第二召集人应为政协委员，孙某 不是政协委员"
    first = await add_over_http(api, dict(name="刘副书记", category="party_committee", is_cadre=True,
                                          role_in_council="first_convenor"), code=STREET)
    assert first.status_code == 201, first.text
    assert remarks(first) == {"tianshui.second_convenor": "缺少第二召集人（政协委员）",
                              "tianshui.street_members": NO_STREET_MEMBERS}
    second = await add_over_http(api, dict(name="孙委员", category="deputies", is_cppcc=True,
                                           role_in_council="second_convenor"), code=STREET)
    # Convenors only: the seed's kinds of members are all still to come.
    assert second.status_code == 201 and remarks(second) == {"tianshui.street_members": NO_STREET_MEMBERS}
    again = await add_over_http(api, dict(name="周副书记", category="party_committee",
                                          role_in_council="first_convenor"), code=STREET)
    assert again.status_code == 409
    assert "第一召集人 2 人（刘副书记、周副书记），只应有 1 人" in again.json()["error"]["message_zh"]


async def test_http_street_council_missing_its_second_convenor_then_complete(db, runtime, api):
    people = [p for p in street_roster() if p.get("role_in_council") != "second_convenor"]
    await seat(db, runtime, STREET, people[:-1])
    answer = await add_over_http(api, people[-1], code=STREET)
    assert answer.status_code == 201, answer.text
    assert remarks(answer) == {"tianshui.second_convenor": "缺少第二召集人（政协委员）"}
    second = await add_over_http(api, dict(name="孙委员", category="deputies", is_cppcc=True,
                                           role_in_council="second_convenor"), code=STREET)
    assert second.status_code == 201 and remarks(second) == {}
    shown = await api.get(f"/api/v1/regions/{STREET}/council", headers=api.staff)
    assert remarks(shown) == {} and len(shown.json()["roster"]) == 7


async def test_http_street_council_without_convenors_is_named_by_the_built_in_rule_too(db, runtime, api):
    """Tianshui's convenor rules add to the core's (every variant's), they do not replace it."""
    answer = await add_over_http(api, dict(name="群众代表", category="resident"), code=STREET)
    assert answer.status_code == 201, answer.text
    found = remarks(answer)
    assert found["council_rules.street_convenor"] == \
        "街道协商议事会没有召集人：没有成员担任召集人、第一召集人、第二召集人或负责人"
    assert set(found) == {"council_rules.street_convenor", "tianshui.first_convenor", "tianshui.second_convenor",
                          "tianshui.street_members"}
    assert "群众代表（" not in found["tianshui.street_members"]
    assert not any(v["blocking"] for v in answer.json()["violations"])
