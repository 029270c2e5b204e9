"""七个方面协商、七个方面不予协商 (seed 004 §二): the report's words exactly, in its order,
with their routes, replacing the generic items where the plugin is on."""
from __future__ import annotations

import re

from sqlalchemy import select

from core.catalogue import ADMISSIBLE, EXCLUDED
from core.models import ScreeningDecision, Topic
from core.region_context import region_context
from plugins.four_visits_six_steps.catalogue import ITEMS
from tests.plugins.four_visits_six_steps.conftest import BAOYUNLI, CHENGGUAN, YONGFUYUAN, act, seed_text, submit


def the_reports_list(pattern: str) -> list[str]:
    [found] = re.findall(pattern, seed_text())
    return found.split("、")


def test_the_seven_and_seven_are_the_reports_sentence_word_for_word():
    text = seed_text()
    assert all(item.text_zh in text for item in ITEMS)
    admissible = [i.text_zh for i in ITEMS if i.kind == ADMISSIBLE]
    excluded = [i.text_zh for i in ITEMS if i.kind == EXCLUDED]
    assert admissible == the_reports_list(r"围绕(.+?)等七个方面进行协商")
    assert excluded == the_reports_list(r"对(.+?)等七个方面内容不予协商")
    assert len(admissible) == len(excluded) == 7
    assert [i.number for i in ITEMS] == [*range(1, 8), *range(1, 8)]
    assert all(i.code.startswith("four_visits_six_steps.") and not i.fallback and i.text_en for i in ITEMS)


def test_beyond_the_councils_authority_goes_up_and_individual_disputes_are_answered():
    routes = {i.text_zh: i.route for i in ITEMS if i.kind == EXCLUDED}
    assert routes == {"法律规定": None, "党委政府明确要求": None, "不公平事项": None, "存在严重分歧": None,
                      "超出职能权限": "forward_upward", "不具备实施条件": None, "个体矛盾": "answer_directly"}
    assert all(i.route is None for i in ITEMS if i.kind == ADMISSIBLE)


async def test_they_replace_the_generic_items_where_the_plugin_is_on(db, county):
    here = (await region_context(db, county.plugins, YONGFUYUAN)).catalogue
    assert [i.code for i in here.of_kind(ADMISSIBLE)] == [f"four_visits_six_steps.yi.{n}" for n in range(1, 8)]
    excluded = [i.code for i in here.of_kind(EXCLUDED)]
    assert not [code for code in excluded if code.startswith("generic.")]
    assert [code for code in excluded if code.startswith("four_visits_six_steps.")] == [
        f"four_visits_six_steps.buyi.{n}" for n in range(1, 8)]
    # Jinchang's three stay beside them: the city's rules are on in the county too (tenants/jinchang.toml).
    assert {code for code in excluded if code.startswith("jinchang.")} == {f"jinchang.buyi.{n}" for n in (1, 2, 3)}

    elsewhere = (await region_context(db, county.plugins, BAOYUNLI)).catalogue
    assert not [i for i in elsewhere.items if i.code.startswith("four_visits_six_steps.")]


async def test_a_generic_kind_is_not_the_countys_and_a_rejection_cites_one_of_the_seven(db, county, client, people):
    chair = await people("chair")
    refused = await client.post(f"/api/v1/regions/{YONGFUYUAN}/topics", headers=chair, json={
        "title": "楼道照明", "channel": "on_behalf", "category": "generic.yi.6",
        "proposer_name": "王大妈"})
    assert refused.status_code == 400 and [f["field"] for f in refused.json()["error"]["fields"]] == ["category"]

    topic = await submit(client, chair, YONGFUYUAN, "邻里之间因漏水起纠纷", proposer_name="张女士")
    rejected = await act(client, chair, topic["id"], "reject", catalogue_item="four_visits_six_steps.buyi.7",
                         note="属于个体矛盾，由社区调解")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    [decision] = (await db.scalars(select(ScreeningDecision).where(ScreeningDecision.topic_id == topic["id"]))).all()
    assert (decision.admissible, decision.catalogue_text, decision.route) == (False, "个体矛盾", "answer_directly")


async def test_a_matter_beyond_the_councils_authority_goes_to_the_town(db, county, client, people):
    chair = await people("chair")
    topic = await submit(client, chair, YONGFUYUAN, "跨社区的排洪渠改造")
    forwarded = await act(client, chair, topic["id"], "reject", catalogue_item="four_visits_six_steps.buyi.5",
                          note="排洪渠跨两个社区，超出社区职能权限")
    assert forwarded.status_code == 200, forwarded.text
    moved = await db.get(Topic, topic["id"], populate_existing=True)
    # Screened afresh by the town's council, under the same six steps.
    assert (moved.region_code, moved.step, moved.status, moved.procedure_key) == (
        CHENGGUAN, "collect", "open", "four_visits_six_steps")
