"""Ningbo's catalogue (seed 001 §二(二) 明确协商议事内容): the six clauses of matters
that must be consulted on (应商必商) are its admissible kinds, word for word; the
generic exclusions stand in, and a Ningbo topic is filed and screened against them."""
from __future__ import annotations

from core.catalogue import ADMISSIBLE, EXCLUDED, catalogue_for_region
from core.builtin import make_plugin_manager
from plugins.ningbo.catalogue import ITEMS
from tests.plugins.ningbo.helpers import CHENGLANG, api_for

# Seed 001 §二(二), copied character for character.
SEED_SENTENCE = (
    "主要包括:涉及居民切身利益的社区发展规划、基础设施建设等公共事务、公益事业;居民反映强烈、迫切要求解决的物业管理、"
    "环境卫生、社区安全等问题;党委政府的方针政策和重点工作部署在当地的落实;社区自治章程、居民公约的制订或修订;"
    "法律法规和政策明确要求协商的事项;各类参与主体提出的、涉及居民群众切身利益的其他事项。"
)


def test_the_six_clauses_are_the_admissible_kinds_verbatim():
    clauses = SEED_SENTENCE.removeprefix("主要包括:").removesuffix("。").split(";")
    assert [i.text_zh for i in ITEMS] == clauses
    assert [(i.code, i.number, i.kind) for i in ITEMS] == [(f"ningbo.yi.{n}", n, ADMISSIBLE) for n in range(1, 7)]
    assert all(i.text_en for i in ITEMS)


def test_ningbo_supplies_the_admissible_kinds_and_the_generic_exclusions_stand_in():
    host = make_plugin_manager()
    catalogue = catalogue_for_region(host, CHENGLANG, {"ningbo"})
    assert [i.code for i in catalogue.of_kind(ADMISSIBLE)] == [i.code for i in ITEMS]
    assert {i.code for i in catalogue.of_kind(EXCLUDED)} == {f"generic.buyi.{n}" for n in range(1, 7)}


async def test_a_topic_is_filed_under_a_ningbo_kind_and_a_generic_one_is_refused(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        topic = await api.submit("chair", CHENGLANG, "小区路灯不亮", category="ningbo.yi.2")
        assert topic["category"] == "ningbo.yi.2"
        refused = await api.post("chair", f"/regions/{CHENGLANG}/topics", {
            "title": "小区路灯不亮", "channel": "member", "category": "generic.yi.6"})
        assert refused.status_code == 400
        assert refused.json()["error"]["fields"][0]["field"] == "category"
