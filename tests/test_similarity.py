"""Similar topics: a new topic is linked to open topics of the other
communities of its street that read alike, and staff see the links with a
suggestion to escalate; unlike topics and other streets' topics are not."""
from __future__ import annotations

from sqlalchemy import select

from core.escalation import similarity
from core.models.escalation import TopicLink
from tests.test_escalation import (COMMUNITY, OTHER_STREET_COMMUNITY, SIBLING, STREET, api_for,  # noqa: F401
                                   people)

LAMP = ("小区路灯不亮", "3号楼前路灯坏了两个月，晚上出行不安全")
LAMP_AGAIN = ("路灯损坏夜间出行不便", "楼前的路灯坏了很久，晚上走路看不清，不安全")
GARBAGE = ("垃圾分类投放点设置", "增设垃圾分类投放点，方便居民投放")


def test_chinese_phrasings_of_one_matter_score_above_the_threshold_and_unrelated_ones_below():
    assert similarity.similarity(*LAMP, *LAMP_AGAIN) >= similarity.THRESHOLD
    assert similarity.similarity(*LAMP, *GARBAGE) < 0.1
    assert similarity.similarity(*LAMP, *LAMP) > 0.99
    assert similarity.similarity("", "", *LAMP) == 0.0
    # Punctuation and filler words are not tokens.
    assert "，" not in similarity.tokens("路灯，坏了的") and "的" not in similarity.tokens("路灯的")


async def test_a_new_topic_is_linked_to_like_topics_of_sibling_communities_only(runtime, db, people):
    async with api_for(runtime) as api:
        sibling = await api.submit("sibling_chair", SIBLING, *LAMP_AGAIN)
        far = await api.submit("far_chair", OTHER_STREET_COMMUNITY, *LAMP_AGAIN)
        own_community = await api.submit("chair", COMMUNITY, *LAMP_AGAIN)
        rubbish = await api.submit("chair", COMMUNITY, *GARBAGE)
        lamp = await api.submit("chair", COMMUNITY, *LAMP)

        links = (await db.execute(select(TopicLink.topic_id, TopicLink.similar_topic_id)
                                  .order_by(TopicLink.topic_id))).all()
        # Each like topic of this community links to the sibling's, never to
        # its own community's, never to the other street's; the unlike one to nothing.
        assert links == [(own_community, sibling), (lamp, sibling)]
        assert far and rubbish

        street_view = (await api.get("street", f"/topics/{lamp}")).json()["similar"]
        assert [link["topic_id"] for link in street_view["links"]] == [sibling]
        assert street_view["links"][0]["title"] == LAMP_AGAIN[0]
        assert street_view["links"][0]["score"] >= similarity.THRESHOLD
        suggestion = street_view["suggestion"]
        assert suggestion["escalate_to"] == STREET and suggestion["affected_regions"] == [SIBLING]
        assert "建议上移至月湖街道协商议事会" in suggestion["text_zh"]
        assert "consider moving this topic up" in suggestion["text_en"]

        # The older topic shows the link too, from its side.
        back = (await api.get("street", f"/topics/{sibling}")).json()["similar"]
        assert {link["topic_id"] for link in back["links"]} == {lamp, own_community}
        # A community's chair learns a neighbour has a like topic, not what it says.
        chair_view = (await api.get("chair", f"/topics/{lamp}")).json()["similar"]
        assert chair_view["links"][0]["title"] is None
        assert chair_view["links"][0]["affected_regions"][0]["name"] == "天一社区"
        # Residents are not shown the suggestion at all.
        assert "similar" not in (await api.get("resident", f"/topics/{lamp}")).json()
        unlike = (await api.get("street", f"/topics/{rubbish}")).json()["similar"]
        assert unlike == {"links": [], "suggestion": None}

        # Following the suggestion moves the topic to the street.
        moved = await api.post("chair", f"/topics/{lamp}/escalate",
                               {"reason": "两社区同类问题", "affected_regions": suggestion["affected_regions"]})
        assert moved.status_code == 200 and moved.json()["region_code"] == STREET
        inbox = (await api.get("street", f"/regions/{STREET}/escalations")).json()
        assert [item["topic"]["id"] for item in inbox["items"]] == [lamp]


async def test_closed_or_rejected_topics_are_not_candidates(runtime, db, people):
    async with api_for(runtime) as api:
        rejected = await api.submit("sibling_chair", SIBLING, *LAMP_AGAIN)
        refused = await api.post("sibling_chair", f"/topics/{rejected}/actions/reject",
                                 {"note": "个人纠纷", "catalogue_item": "generic.buyi.1"})
        assert refused.status_code == 200, refused.text
        await api.submit("chair", COMMUNITY, *LAMP)
    assert (await db.execute(select(TopicLink))).all() == []
