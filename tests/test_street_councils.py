"""The built-in rule for street councils, in every variant: someone convenes it.

Seed 000 gives a street council a first and a second convenor (第一召集人, 第二召集人),
seed 003 a street home its head (负责人); a street council where nobody holds such a
post is named, never refused. Which convenor must be who, and what kinds of members
sit with them, are the regional plugins' (tests/plugins/tianshui/test_composition.py).
Here no regional plugin is on: the rule alone, then the service and the API on both
backends."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_asyncio

from core import clock
from core.councils import default_rules, service
from core.councils.rules import CouncilSnapshot, MemberSnapshot, Violation
from core.councils.service import MemberData
from core.region_context import region_context
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

STREET = "330203001"  # 月湖街道, Ningbo: no regional plugin enabled in these tests
COMMUNITY = "330203001001"

NO_CONVENOR = Violation(
    "council_rules.street_convenor",
    "街道协商议事会没有召集人：没有成员担任召集人、第一召集人、第二召集人或负责人",
    "the street council has no convenor: no member is convenor, first convenor, second convenor, chair or head")

STREET_COUNCIL = CouncilSnapshot(STREET, "street", "月湖街道协商议事会", 1, None, None)


def composition(violations: list[Violation]) -> list[Violation]:
    # The core's own roster remarks ("council.*", e.g. a list the party has not yet
    # confirmed) are tested with the core; here only the composition rules' count.
    return [v for v in violations if not v.rule_id.startswith("council.")]


def rule_remarks(answer) -> list[dict]:
    return [v for v in answer.json()["violations"] if not v["rule_id"].startswith("council.")]


def rules(council: CouncilSnapshot, *people: dict) -> list[Violation]:
    roster = tuple(MemberSnapshot(id=i, **p) for i, p in enumerate(people, start=1))
    return default_rules.yishi_council_composition_rules(council=council, roster=roster)


# -- the rule, on snapshots -------------------------------------------------------------

def test_a_street_council_without_a_convenor_is_named_and_not_refused():
    assert rules(STREET_COUNCIL) == [NO_CONVENOR]
    assert rules(STREET_COUNCIL, dict(name="居民甲", category="resident"),
                 dict(name="科员乙", category="department")) == [NO_CONVENOR]
    assert not NO_CONVENOR.blocking


@pytest.mark.parametrize("role", ["convenor", "first_convenor", "second_convenor", "chair", "head"])
def test_any_convenors_post_will_do(role):
    assert rules(STREET_COUNCIL, dict(name="甲", category="deputies", is_cppcc=True, role_in_council=role)) == []


@pytest.mark.parametrize("role", ["member", "vice_chair", "secretary"])
def test_other_posts_are_no_convenor(role):
    assert rules(STREET_COUNCIL, dict(name="甲", category="party_committee", role_in_council=role)) == [NO_CONVENOR]


def test_the_street_rule_is_the_streets_only():
    # A street council is not held to "1+7+X", nor a community council to a convenor.
    assert rules(STREET_COUNCIL, dict(name="甲", category="resident", role_in_council="convenor")) == []
    community = CouncilSnapshot(COMMUNITY, "community", "青石社区协商议事会", 1, None, None)
    assert "council_rules.street_convenor" not in {v.rule_id for v in rules(community)}
    district = CouncilSnapshot("330203", "district", "海曙区协商议事会", None, None, None)
    assert rules(district) == []


# -- through the service and the API, both backends -------------------------------------

@pytest.fixture(autouse=True)
def _fixed_today():
    clock.set_now(datetime(2024, 6, 1, 2, 0, tzinfo=timezone.utc))


@pytest_asyncio.fixture
async def tree(db):
    await add_regions(db, *SMALL_TREE)


async def test_service_names_the_missing_convenor_until_one_is_seated(db, runtime, tree):
    hooks = await region_context(db, runtime.plugins, STREET)
    council = await service.ensure_council(db, STREET)
    first = await service.add_member(db, council, MemberData(name="居民甲", category="resident"), context=hooks)
    assert composition(first.violations) == [NO_CONVENOR]
    convenor = await service.add_member(db, council, MemberData(name="刘副书记", category="party_committee",
                                                                role_in_council="convenor"), context=hooks)
    assert composition(convenor.violations) == []
    # The convenor leaving brings the remark back; leaving is not refused either.
    left = await service.member_leaves(db, council, convenor.member.id, context=hooks)
    assert composition(left.violations) == [NO_CONVENOR]
    await db.commit()
    assert [m.name for m in await service.roster(db, left.term)] == ["居民甲"]


async def test_http_member_add_returns_the_remark_and_the_council_shows_it(db, runtime, tree):
    await make_user(db, "yuehu_staff", ("street_staff", STREET))
    url = f"/api/v1/regions/{STREET}/council"
    async with app_client(runtime) as client:
        staff = bearer(await login(client, "yuehu_staff"))
        added = await client.post(f"{url}/members", headers=staff,
                                  json={"name": "企业代表", "category": "organisation"})
        assert added.status_code == 201, added.text
        assert rule_remarks(added) == [NO_CONVENOR.as_dict()]
        shown = await client.get(url, headers=staff)
        assert rule_remarks(shown) == [NO_CONVENOR.as_dict()]

        convenor = await client.post(f"{url}/members", headers=staff, json={
            "name": "孙委员", "category": "deputies", "is_cppcc": True, "role_in_council": "second_convenor"})
        assert convenor.status_code == 201, convenor.text
        assert rule_remarks(convenor) == []
        shown = await client.get(url, headers=staff)
        assert rule_remarks(shown) == [] and len(shown.json()["roster"]) == 2
