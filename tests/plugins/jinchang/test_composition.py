""""1+7+X" with 20–30 fixed members (seed 002: "每个村(社区)确定20至30名议事会固定成员"):
fewer than 20 is a remark, so a roster is built up member by member; a 31st
fixed member is refused; the X never count; residents' representatives are
recommended by their grid."""
from __future__ import annotations

from itertools import cycle

import pytest
from sqlalchemy import func, select

from core.region_context import region_context
from core.councils import service as councils
from core.councils.categories import FIXED_CATEGORIES
from core.councils.service import MemberData
from core.errors import ApiError
from core.models import CouncilMember, RegionSetting
from tests.plugins.jinchang.conftest import BAOLINLI, GUANGZHOU_ROAD, JINCHUAN


def fixed_member(n: int) -> MemberData:
    if n == 0:
        return MemberData(name="党组织书记", category="party_secretary", role_in_council="chair")
    category = list(FIXED_CATEGORIES)[(n - 1) % len(FIXED_CATEGORIES)]
    return MemberData(name=f"固定成员{n}", category=category, grid=f"第{n % 5 + 1}网格")


async def seat(db, runtime, code: str, members) -> list:
    council = await councils.ensure_council(db, code)
    hooks = await region_context(db, runtime.plugins, code)
    changes = [await councils.add_member(db, council, data, context=hooks) for data in members]
    await db.commit()
    return changes


def rule_ids(change) -> set[str]:
    return {v.rule_id for v in change.violations}


async def test_fewer_than_twenty_fixed_members_is_a_remark_that_goes_at_twenty(db, jinchang):
    changes = await seat(db, jinchang, BAOLINLI, [fixed_member(n) for n in range(20)])
    nineteenth, twentieth = changes[18], changes[19]
    [remark] = [v for v in nineteenth.violations if v.rule_id == "jinchang.fixed_min"]
    assert not remark.blocking
    assert "固定成员 19 人，少于 20 人" in remark.message_zh and "20 至 30" in remark.message_zh
    assert "jinchang.fixed_min" not in rule_ids(twentieth)


async def test_a_thirty_first_fixed_member_is_refused_over_http_but_the_x_are_not_counted(db, jinchang, client,
                                                                                            people):
    changes = await seat(db, jinchang, BAOLINLI, [fixed_member(n) for n in range(30)])
    assert not {"jinchang.fixed_min", "jinchang.fixed_max"} & rule_ids(changes[-1])
    headers = await people("jinchuan")
    refused = await client.post(f"/api/v1/regions/{BAOLINLI}/council/members", headers=headers,
                                json={"name": "第三十一人", "category": "resident", "grid": "第一网格"})
    assert refused.status_code == 409, refused.text
    assert "固定成员 31 人，超过 30 人" in refused.json()["error"]["message_zh"]
    guest = await client.post(f"/api/v1/regions/{BAOLINLI}/council/members", headers=headers,
                              json={"name": "燃气公司王经理", "category": "department"})
    assert guest.status_code == 201, guest.text
    assert not {"jinchang.fixed_min", "jinchang.fixed_max"} & {v["rule_id"] for v in guest.json()["violations"]}
    council = await councils.get_council(db, BAOLINLI)
    term = await councils.current_term(db, council)
    assert len(await councils.roster(db, term)) == 31
    assert await db.scalar(select(func.count()).select_from(CouncilMember)
                           .where(CouncilMember.name == "第三十一人")) == 0


async def test_a_residents_representative_without_a_grid_is_remarked_on(db, jinchang):
    members = [fixed_member(n) for n in range(20)]
    members.append(MemberData(name="无网格代表", category="resident"))
    changes = await seat(db, jinchang, BAOLINLI, members)
    [remark] = [v for v in changes[-1].violations if v.rule_id == "jinchang.resident_grid"]
    assert "无网格代表" in remark.message_zh and not remark.blocking
    assert "jinchang.resident_grid" not in rule_ids(changes[-2])


async def test_street_councils_are_not_held_to_the_community_numbers(db, jinchang):
    names = cycle(["甲", "乙"])
    changes = await seat(db, jinchang, GUANGZHOU_ROAD,
                         [MemberData(name=next(names), category="deputies", is_cppcc=True) for _ in range(2)])
    assert not {"jinchang.fixed_min", "jinchang.fixed_max"} & rule_ids(changes[-1])


async def test_the_numbers_are_settings_of_the_region(db, jinchang):
    db.add(RegionSetting(region_code=JINCHUAN, key="jinchang.fixed_min", value=5))
    db.add(RegionSetting(region_code=JINCHUAN, key="jinchang.fixed_max", value=6))
    await db.commit()
    changes = await seat(db, jinchang, BAOLINLI, [fixed_member(n) for n in range(6)])
    [remark] = [v for v in changes[3].violations if v.rule_id == "jinchang.fixed_min"]
    assert "固定成员 4 人，少于 5 人" in remark.message_zh and "5 至 6" in remark.message_zh
    assert not {"jinchang.fixed_min", "jinchang.fixed_max"} & rule_ids(changes[5])
    council = await councils.get_council(db, BAOLINLI)
    with pytest.raises(ApiError) as refused:
        await councils.add_member(db, council, fixed_member(6),
                                  context=await region_context(db, jinchang.plugins, BAOLINLI))
    assert refused.value.status_code == 409 and "超过 6 人" in refused.value.message_zh
