"""三个不予协商 (seed 002): Jinchang's three exclusions, verbatim, replace the
generic ones; the generic admissible kinds stand in for its own."""
from __future__ import annotations

from sqlalchemy import select

from core.catalogue import ADMISSIBLE, EXCLUDED
from core.catalogue.generic import GENERIC_ITEMS
from core.models import ScreeningDecision, TopicFeedback
from core.region_context import region_context
from tests.plugins.jinchang.conftest import BAOYUNLI, act, submit

THREE = ["违反党的政策、国家相关法律法规的事项",
         "上级党委、政府有明确要求、明文规定必须执行的事项",
         "带有歧视性、不公平的事项"]


async def test_the_three_exclusions_verbatim_and_the_generic_admissible_kinds(db, jinchang):
    catalogue = (await region_context(db, jinchang.plugins, BAOYUNLI)).catalogue
    excluded = catalogue.of_kind(EXCLUDED)
    assert [(i.code, i.number, i.text_zh) for i in excluded] == [
        (f"jinchang.buyi.{n}", n, text) for n, text in enumerate(THREE, start=1)]
    generic_admissible = [i.code for i in GENERIC_ITEMS if i.kind == ADMISSIBLE]
    assert [i.code for i in catalogue.of_kind(ADMISSIBLE)] == generic_admissible


async def test_a_rejection_cites_one_of_the_three_and_tells_the_proposer(db, jinchang, client, people):
    resident = await people("resident")
    topic = await submit(client, resident, BAOYUNLI, "只给本楼栋老住户发放停车证", channel="resident",
                         proposer_contact="13900000000")
    rejected = await act(client, await people("chair"), topic["id"], "reject",
                         catalogue_item="jinchang.buyi.3", note="只照顾部分住户，对其他居民不公平")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    [decision] = (await db.scalars(select(ScreeningDecision).where(ScreeningDecision.topic_id == topic["id"]))).all()
    assert (decision.admissible, decision.catalogue_code, decision.catalogue_text) == (
        False, "jinchang.buyi.3", "带有歧视性、不公平的事项")
    feedback = (await db.scalars(select(TopicFeedback).where(TopicFeedback.topic_id == topic["id"]))).all()
    assert any("带有歧视性、不公平的事项" in f.text_zh for f in feedback)


async def test_a_generic_exclusion_is_not_jinchangs_and_is_refused_field_by_field(db, jinchang, client, people):
    chair = await people("chair")
    topic = await submit(client, chair, BAOYUNLI, "邻里纠纷")
    refused = await act(client, chair, topic["id"], "reject", catalogue_item="generic.buyi.6", note="个体纠纷")
    assert refused.status_code == 400, refused.text
    [field] = refused.json()["error"]["fields"]
    assert field["field"] == "catalogue_item" and "generic.buyi.6" in field["message_zh"]
    shown = (await client.get(f"/api/v1/topics/{topic['id']}", headers=chair)).json()
    assert shown["status"] == "open" and shown["screening"] == []
