"""六步议事程序 (seed 004 §三): the six steps under the report's titles, in its order,
the generic actions reused, 不调研不协商, and the region's choice of procedure."""
from __future__ import annotations

from core.builtin import make_plugin_manager
from core.procedures.generic import GENERIC
from core.procedures.model import validate_procedure
from core.procedures.registry import procedure_for_region
from plugins.four_visits_six_steps.manifest import PLUGIN
from plugins.four_visits_six_steps.procedure import FOUR_VISITS_SIX_STEPS
from tests import walk
from tests.plugins.four_visits_six_steps.conftest import (BAOYUNLI, HUANGJIAQUAN, YONGFUYUAN, act, admit,
                                                          seed_text, submit)

SIX_STEPS = ["收集议题", "确定议题", "议前调研", "组织协商", "公开公示", "组织落实"]


def test_the_six_steps_are_the_reports_in_its_order():
    assert validate_procedure(FOUR_VISITS_SIX_STEPS) is FOUR_VISITS_SIX_STEPS
    assert [s.title_zh for s in FOUR_VISITS_SIX_STEPS.steps] == SIX_STEPS
    assert "严格按照" + "、".join(SIX_STEPS[:-1]) + "、" + SIX_STEPS[-1] + "的“六步议事程序”" in seed_text()
    assert FOUR_VISITS_SIX_STEPS.title_zh == "六步议事程序"
    # The generic steps and actions, as they are: only the titles are the report's.
    assert [s.key for s in FOUR_VISITS_SIX_STEPS.steps] == [s.key for s in GENERIC.steps]
    assert [s.actions for s in FOUR_VISITS_SIX_STEPS.steps] == [s.actions for s in GENERIC.steps]
    assert FOUR_VISITS_SIX_STEPS.stages == GENERIC.stages
    [schedule] = [a for a in FOUR_VISITS_SIX_STEPS.step("research").actions if a.key == "schedule_meeting"]
    assert "research_recorded" in {g.name for g in schedule.guards}


def test_it_is_the_regions_procedure_while_no_key_is_set():
    host = make_plugin_manager()
    assert PLUGIN.yishi_procedure_for_region(region_code=YONGFUYUAN, settings={}) == "four_visits_six_steps"
    only = {"four_visits_six_steps"}
    assert procedure_for_region(host, YONGFUYUAN, only, {"procedure.key": ""}) is FOUR_VISITS_SIX_STEPS
    assert procedure_for_region(host, YONGFUYUAN, only, {"procedure.key": "generic"}) is GENERIC
    # Beside another variant that names its own, the region's key chooses (tenants/jinchang.toml).
    both = {"four_visits_six_steps", "jinchang"}
    assert procedure_for_region(host, YONGFUYUAN, both,
                                {"procedure.key": "four_visits_six_steps"}) is FOUR_VISITS_SIX_STEPS


async def test_the_countys_topics_start_under_it_and_jinchangs_elsewhere(county, client, people):
    topic = await submit(client, await people("chair"), YONGFUYUAN, "中山街无公厕")
    assert topic["procedure"]["key"] == "four_visits_six_steps"
    assert topic["step"] == {"key": "collect", "title_zh": "收集议题", "title_en": "collect topics"}
    assert {a["key"] for a in topic["actions"]} >= {"admit", "reject"}

    for who, region in (("jinchuan_chair", BAOYUNLI), ("village_chair", HUANGJIAQUAN)):
        other = await submit(client, await people(who), region, "楼道照明", category="generic.yi.6")
        assert other["procedure"]["key"] == "jinchang", region


async def test_no_research_no_consultation(db, county, client, people):
    chair = await people("chair")
    topic = await submit(client, chair, YONGFUYUAN, "中山街学生上下学道路交通拥堵")
    await admit(db, county, people, "chair", topic["id"])
    confirmed = await walk.http_act(client, chair, topic["id"], "confirm")
    assert confirmed["step"]["title_zh"] == "议前调研"

    refused = await act(client, chair, topic["id"], "schedule_meeting", **walk.meeting())
    assert refused.status_code == 409, refused.text
    assert "不调研不协商" in refused.json()["error"]["message_zh"]
    # The city's tenant file asks for all three parts of 004's research: a record without them is not enough.
    await walk.http_act(client, chair, topic["id"], "record_research", **walk.RESEARCH)
    assert (await act(client, chair, topic["id"], "schedule_meeting", **walk.meeting())).status_code == 409
    await walk.http_full_research(client, chair, topic)
    scheduled = await walk.http_act(client, chair, topic["id"], "schedule_meeting", **walk.meeting())
    assert scheduled["step"] == {"key": "consult", "title_zh": "组织协商", "title_en": "organise the consultation"}
    assert [s for s in scheduled["four_visits_six_steps"]["enforced"] if s["zh"].startswith("不调研不协商")]
