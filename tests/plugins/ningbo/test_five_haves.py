"""五个有 (seed 001 §一) checked at a community from what the platform holds, over
HTTP on both backends with the shipped tenant file: four of five without a
rules document, each item flipping when its evidence goes, the document's
numbers (seven kinds of 1+7+X, a meeting within 3 months), and the grouped
evidence agreeing with the core's own roster and documents services."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.region_context import region_context
from core import clock
from core.councils import service as councils
from core.councils.service import MemberData
from core.clock import CHINA_TZ
from core.models import Council, RegionSetting
from core.plugins import hookimpl
from core.builtin import make_plugin_manager
from core.procedures.generic import LEADS
from core.procedures.model import Action, Procedure, Stage, Step
from core.clock import months_before
from plugins.ningbo.five_haves import community_evidence
from plugins.ningbo.settings import MEETING_MONTHS, MIN_CATEGORIES
from tests.plugins.ningbo.helpers import (CHENGLANG, LIUJIN, NANMEN, SEVEN_KINDS, WANAN, api_for)

STANDARD = "ningbo.five_haves"
VENUE = "澄浪社区党群服务中心二楼协商议事厅"
BROKEN = Procedure("broken_flow", 1, "缺环节的程序", "a procedure with a gap", (Stage("s", "阶段", "stage"),), (
    Step("start", "受理", "start", "s", (Action("close", "办结", "close", LEADS, to_status="closed"),)),
    Step("orphan", "孤立步骤", "orphaned step", "s", (Action("back", "返回", "back", LEADS, to_step="start"),)),
))


class BrokenProcedure:
    """A procedure whose flowchart is incomplete (a step nothing leads to)."""

    @hookimpl
    def yishi_procedures(self):
        return [BROKEN]


@pytest.fixture
def plugin_host():
    return make_plugin_manager(extra_plugins=[BrokenProcedure()])


async def five_haves(api, code: str = CHENGLANG, **params) -> dict:
    body = await api.ok(await api.get("chair", f"/regions/{code}/compliance", **params))
    [result] = [r for r in body["items"] if r["standard"] == STANDARD]
    return result


def items(result: dict) -> dict[str, bool]:
    return {i["key"]: i["met"] for i in result["items"]}


async def everything_but_rules(api, code: str = CHENGLANG) -> dict:
    """The council with all seven kinds, a meeting ten days ago, a venue and a catalogue."""
    seated = await api.seat("chair", code)
    await api.meeting("chair", code, clock.now() - timedelta(days=10))
    await api.ok(await api.put("chair", f"/regions/{code}/council", {"venue": VENUE}))
    catalogue = await api.file_document("chair", code, "catalogue")
    return {"members": seated, "catalogue": catalogue}


async def test_everything_but_the_rules_document_is_four_of_five(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await everything_but_rules(api)
        result = await five_haves(api)
        assert (result["met"], result["total"], result["complete"]) == (4, 5, False)
        assert items(result) == {"organisation": True, "catalogue": True, "venue": True, "flowchart": True,
                                 "rules": False}
        [missing] = [i for i in result["items"] if not i["met"]]
        assert missing["title_zh"] == "有一套健全完善、运行规范的协商议事制度"
        assert "rules" in missing["detail_en"] and "未存档" in missing["detail_zh"]
        organisation = next(i for i in result["items"] if i["key"] == "organisation")
        assert "涵盖 7 类（至少须 7 类）" in organisation["detail_zh"] and "召开协商会议 1 次" in organisation["detail_zh"]
        flowchart = next(i for i in result["items"] if i["key"] == "flowchart")
        assert "宁波社区协商一般程序" in flowchart["detail_zh"]

        await api.file_document("chair", CHENGLANG, "rules")
        result = await five_haves(api)
        assert (result["met"], result["complete"]) == (5, True)


async def _remove_members_kind(api, db, evidence):
    await api.ok(await api.post("chair", f"/regions/{CHENGLANG}/council/members/"
                                         f"{evidence['members']['社区法律顾问']}/leave", {}))
    return "organisation", "法律工作者"


async def _no_recent_meeting(api, db, evidence):
    # The meeting of ten days ago falls out of the 3 months.
    clock.advance(timedelta(days=92))
    return "organisation", "召开协商会议 0 次"


async def _catalogue_withdrawn(api, db, evidence):
    await api.ok(await api.post("chair", f"/regions/{CHENGLANG}/council/documents/"
                                         f"{evidence['catalogue']['id']}/withdraw"))
    return "catalogue", "未存档协商议事目录"


async def _venue_cleared(api, db, evidence):
    await api.ok(await api.put("chair", f"/regions/{CHENGLANG}/council", {"venue": ""}))
    return "venue", "未登记固定议事场所"


async def _incomplete_flowchart(api, db, evidence):
    db.add(RegionSetting(region_code=CHENGLANG, key="procedure.key", value=BROKEN.key))
    await db.commit()
    return "flowchart", "从起始步骤无法到达“孤立步骤”"


async def _rules_withdrawn(api, db, evidence):
    await api.ok(await api.post("chair", f"/regions/{CHENGLANG}/council/documents/"
                                         f"{evidence['rules']['id']}/withdraw"))
    return "rules", "未存档协商议事规则"


@pytest.mark.parametrize("remove", [_remove_members_kind, _no_recent_meeting, _catalogue_withdrawn, _venue_cleared,
                                    _incomplete_flowchart, _rules_withdrawn],
                         ids=["member_kinds", "meetings", "catalogue", "venue", "flowchart", "rules"])
async def test_each_item_flips_when_its_evidence_is_removed(runtime, db, ningbo, remove):
    async with api_for(runtime, db) as api:
        evidence = await everything_but_rules(api)
        evidence["rules"] = await api.file_document("chair", CHENGLANG, "rules")
        assert (await five_haves(api))["met"] == 5
        key, words = await remove(api, db, evidence)
        result = await five_haves(api)
        assert result["met"] == 4
        assert {k for k, met in items(result).items() if not met} == {key}
        [item] = [i for i in result["items"] if i["key"] == key]
        assert words in item["detail_zh"], item


async def test_seven_kinds_of_1_7_x_with_the_secretary_counting_for_the_party(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        six = [m for m in SEVEN_KINDS if m[1] != "legal_worker"]
        # A party committee representative beside the secretary is the same kind.
        await api.seat("chair", CHENGLANG, [*six, ("党委委员", "party_committee"), ("列席专家", "expert")])
        await api.meeting("chair", CHENGLANG, clock.now() - timedelta(days=1))
        organisation = next(i for i in (await five_haves(api))["items"] if i["key"] == "organisation")
        assert not organisation["met"]
        assert "涵盖 6 类（至少须 7 类），缺：法律工作者" in organisation["detail_zh"]
        await api.seat("chair", CHENGLANG, [("社区法律顾问", "legal_worker")])
        assert next(i for i in (await five_haves(api))["items"] if i["key"] == "organisation")["met"]
    assert await _setting(db, runtime, MIN_CATEGORIES) == 7


async def test_a_meeting_counts_for_three_months_to_the_day(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG, joined_on="2024-01-01")
        # 2024-03-03 10:00 in Beijing: three months before the check on 2024-06-03.
        held = datetime(2024, 3, 3, 10, 0, tzinfo=CHINA_TZ)
        await api.meeting("chair", CHENGLANG, held)
        assert months_before(date(2024, 6, 3), 3) == date(2024, 3, 3)
        assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)
        on_time = await five_haves(api, on="2024-06-03")
        assert "近 3 个月召开协商会议 1 次" in on_time["items"][0]["detail_zh"] and on_time["items"][0]["met"]
        late = await five_haves(api, on="2024-06-04")
        assert "近 3 个月召开协商会议 0 次" in late["items"][0]["detail_zh"] and not late["items"][0]["met"]
        # A planned meeting is not a meeting held.
        await api.meeting("chair", CHENGLANG, clock.now() + timedelta(days=2))
        assert not (await five_haves(api, on="2024-06-04"))["items"][0]["met"]
    assert await _setting(db, runtime, MEETING_MONTHS) == 3


async def _setting(db, runtime, key):
    from core.tenants.settings import resolve_setting

    return await resolve_setting(db, runtime.plugins, CHENGLANG, key)


async def test_five_haves_is_a_community_standard(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        body = await api.ok(await api.get("street", f"/regions/{NANMEN}/compliance"))
        assert [r["standard"] for r in body["items"]] == []


async def test_the_grouped_evidence_agrees_with_the_councils_services(runtime, db, ningbo):
    """Members who left, a term not begun yet, withdrawn and filed documents:
    the subtree queries see what ``roster`` and ``documents_on_file`` see."""
    today = clock.today()
    hooks = await region_context(db, runtime.plugins, CHENGLANG)
    a = await councils.ensure_council(db, CHENGLANG)
    await councils.start_term(db, a, today - timedelta(days=300), context=hooks)
    for name, category in SEVEN_KINDS[:4]:
        await councils.add_member(db, a, MemberData(name=name, category=category,
                                                    joined_on=today - timedelta(days=200)), context=hooks)
    left = await councils.add_member(db, a, MemberData(name="已退出", category="legal_worker",
                                                       joined_on=today - timedelta(days=200)), context=hooks)
    await councils.member_leaves(db, a, left.member.id, today - timedelta(days=5), context=hooks)
    later = await councils.start_term(db, a, today + timedelta(days=30), context=hooks)
    await councils.add_member(db, a, MemberData(name="下届成员", category="organisation",
                                                joined_on=today + timedelta(days=30)), context=hooks)
    assert later.term.number == 2
    await councils.ensure_council(db, WANAN)
    await db.commit()
    async with api_for(runtime, db) as api:
        await api.file_document("street", LIUJIN, "rules")
        catalogue = await api.file_document("street", LIUJIN, "catalogue")
        await api.ok(await api.post("street", f"/regions/{LIUJIN}/council/documents/{catalogue['id']}/withdraw"))

    found = {e.code: e for e in await community_evidence(db, runtime.plugins, NANMEN, today)}
    assert len(found) == 11  # every community of 南门街道, councils or not
    for code in (CHENGLANG, LIUJIN, WANAN):
        council = await db.scalar(select(Council).where(Council.region_code == code))
        term = await councils.current_term(db, council)
        serving = {("party_committee" if m.category == "party_secretary" else m.category)
                   for m in (await councils.roster(db, term) if term else [])}
        on_file = {d.kind for d in await councils.documents_on_file(db, council)} & {"rules", "catalogue"}
        assert found[code].member_kinds == serving, code
        assert found[code].documents == on_file, code
    assert found[CHENGLANG].member_kinds == {"party_committee", "residents_committee", "supervisory_committee",
                                             "deputies"}
    assert found[LIUJIN].documents == {"rules"}
