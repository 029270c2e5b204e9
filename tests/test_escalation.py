"""Escalation upward over HTTP on both backends: a topic spanning communities
lands in the inbox of their lowest common council (street, district, city),
at screening or on request; the source communities keep reading it; a
plugin's target wins; upward reports are filed and answered."""
from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import date

import pytest
from sqlalchemy import select

from core.region_context import region_context
from core.escalation.service import lowest_common_ancestor, parent_code
from core.models import AuditEntry, Council, TopicFeedback
from core.models.escalation import Escalation
from core.plugins import hookimpl
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

COMMUNITY = "330203001001"       # 青石社区
SIBLING = "330203001002"         # 天一社区, same street
STREET = "330203001"             # 月湖街道
OTHER_STREET = "330203002"       # 鼓楼街道
OTHER_STREET_COMMUNITY = "330203002001"
DISTRICT = "330203"              # 海曙区
OTHER_DISTRICT_COMMUNITY = "330205001001"
CITY = "3302"

PEOPLE = {
    "chair": [("council_chair", COMMUNITY)],
    "sibling_chair": [("council_chair", SIBLING)],
    "sibling_member": [("council_member", SIBLING)],
    "resident": [("resident", COMMUNITY)],
    "far_chair": [("council_chair", OTHER_STREET_COMMUNITY)],
    "street": [("street_staff", STREET)],
    "other_street": [("street_staff", OTHER_STREET)],
    "district": [("district_admin", DISTRICT)],
    "city": [("city_admin", CITY)],
}


@pytest.fixture
async def people(db):
    await add_regions(db, *SMALL_TREE)
    for name, grants in PEOPLE.items():
        await make_user(db, name, *grants)


class Api:
    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, dict[str, str]] = {}

    async def auth(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            self.tokens[who] = bearer(await login(self.client, who))
        return self.tokens[who]

    async def get(self, who: str, path: str, **params):
        return await self.client.get(f"/api/v1{path}", headers=await self.auth(who), params=params)

    async def post(self, who: str, path: str, body=None):
        return await self.client.post(f"/api/v1{path}", headers=await self.auth(who), json=body)

    async def submit(self, who: str, region: str, title: str, description: str = "", **extra) -> int:
        response = await self.post(who, f"/regions/{region}/topics",
                                   {"title": title, "description": description, "channel": "member",
                                    "category": "generic.yi.6", **extra})
        assert response.status_code == 201, response.text
        return response.json()["id"]


@asynccontextmanager
async def api_for(runtime):
    async with app_client(runtime) as client:
        yield Api(client)


def test_lowest_common_ancestor_is_the_longest_shared_level_prefix():
    assert lowest_common_ancestor([COMMUNITY]) == COMMUNITY
    assert lowest_common_ancestor([COMMUNITY, SIBLING]) == STREET
    assert lowest_common_ancestor([COMMUNITY, OTHER_STREET_COMMUNITY]) == DISTRICT
    assert lowest_common_ancestor([COMMUNITY, OTHER_DISTRICT_COMMUNITY]) == CITY
    # Sharing digits below a level boundary is not sharing the level.
    assert lowest_common_ancestor(["330203001001", "330203001101"]) == STREET
    assert lowest_common_ancestor([COMMUNITY, "620502001001"]) is None
    assert [parent_code(c) for c in (COMMUNITY, STREET, DISTRICT, CITY)] == [STREET, DISTRICT, CITY, None]


@pytest.mark.parametrize("other, target, inbox_reader", [
    (SIBLING, STREET, "street"),
    (OTHER_STREET_COMMUNITY, DISTRICT, "district"),
    (OTHER_DISTRICT_COMMUNITY, CITY, "city"),
], ids=["street", "district", "city"])
async def test_a_topic_spanning_communities_lands_in_the_lowest_common_councils_inbox(
        runtime, db, people, other, target, inbox_reader):
    async with api_for(runtime) as api:
        topic_id = await api.submit("chair", COMMUNITY, "两个社区之间的断头路", "连接道路多年未打通")

        # Nothing wider than the community yet: nothing to move, and nothing changes.
        refused = await api.post("chair", f"/topics/{topic_id}/escalate", {"reason": "试试"})
        assert refused.status_code == 409, refused.text
        assert "无需上移" in refused.json()["error"]["message_zh"]
        assert (await api.post("resident", f"/topics/{topic_id}/escalate",
                               {"reason": "x", "affected_regions": [other]})).status_code == 403
        missing = await api.post("chair", f"/topics/{topic_id}/escalate", {"affected_regions": [other]})
        assert missing.status_code == 400 and missing.json()["error"]["fields"][0]["field"] == "reason"

        moved = await api.post("chair", f"/topics/{topic_id}/escalate",
                               {"reason": "道路连接两地，需上级协调", "affected_regions": [other]})
        assert moved.status_code == 200, moved.text
        view = moved.json()
        assert view["region_code"] == target and view["origin_region_code"] == COMMUNITY
        assert view["affected_regions"] == sorted([COMMUNITY, other])
        assert [h["action"] for h in view["history"]] == ["submit", "escalate"]
        assert view["history"][-1]["data"]["to_region"] == target
        assert view["escalation"]["escalated"] is True
        assert view["escalation"]["moves"][0]["trigger"] == "request"
        # The proposer is told where the topic went, and why.
        [told] = (await db.scalars(select(TopicFeedback).where(TopicFeedback.topic_id == topic_id))).all()
        assert "已上移至" in told.text_zh and "原因：道路连接两地，需上级协调" in told.text_zh

        inbox = await api.get(inbox_reader, f"/regions/{target}/escalations")
        assert inbox.status_code == 200, inbox.text
        body = inbox.json()
        assert body["total"] == 1
        item = body["items"][0]
        assert item["topic"]["id"] == topic_id and item["status"] == "open"
        assert item["from_region"]["code"] == COMMUNITY
        assert [r["code"] for r in item["source_regions"]] == sorted([COMMUNITY, other])
        assert item["reason"] == "道路连接两地，需上级协调"
        # Only the target's inbox holds it.
        if target != STREET:
            assert (await api.get("city", f"/regions/{STREET}/escalations")).json()["total"] == 0
        # The community's own chair cannot open the street's (or higher) inbox.
        assert (await api.get("chair", f"/regions/{target}/escalations")).status_code == 404

        # The source community keeps reading it but no longer runs it.
        mine = await api.get("chair", f"/topics/{topic_id}")
        assert mine.status_code == 200 and mine.json()["actions"] == []
        # A community the topic does not concern still cannot see it.
        if other != OTHER_STREET_COMMUNITY:
            assert (await api.get("far_chair", f"/topics/{topic_id}")).status_code == 404

    assert await db.scalar(select(Council.kind).where(Council.region_code == target)) in (
        "street", "district", "city")
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "topic.escalate"))
    assert entry.before["region_code"] == COMMUNITY and entry.after["region_code"] == target


async def test_admitting_a_topic_that_spans_two_communities_moves_it_to_the_street(runtime, db, people):
    async with api_for(runtime) as api:
        topic_id = await api.submit("chair", COMMUNITY, "共用停车场管理", "两个社区共用一个停车场",
                                    affected_regions=[COMMUNITY, SIBLING])
        assert (await api.get("sibling_member", f"/topics/{topic_id}")).status_code == 200

        admitted = await api.post("chair", f"/topics/{topic_id}/actions/admit")
        assert admitted.status_code == 200, admitted.text
        view = admitted.json()
        assert view["region_code"] == STREET
        assert [h["action"] for h in view["history"]] == ["submit", "admit", "escalate"]
        assert view["escalation"]["moves"][0]["trigger"] == "admit"
        assert "青石社区" in view["escalation"]["moves"][0]["reason"]
        # The audit chain says cause before effect: the admission, then the move it caused.
        chain = (await db.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "topic", AuditEntry.object_id == str(topic_id)).order_by(AuditEntry.id))).all()
        assert chain == ["topic.create", "topic.admit", "topic.escalate"]

        inbox = (await api.get("street", f"/regions/{STREET}/escalations")).json()
        assert [i["topic"]["id"] for i in inbox["items"]] == [topic_id]
        assert inbox["items"][0]["topic"]["step"]["key"] == "confirm"
        # The street now runs it; both source communities read it.
        assert [a["key"] for a in (await api.get("street", f"/topics/{topic_id}")).json()["actions"]] == \
            ["confirm", "reject"]
        sibling = await api.get("sibling_member", f"/topics/{topic_id}")
        assert sibling.status_code == 200 and sibling.json()["actions"] == []
        assert (await api.get("chair", f"/topics/{topic_id}")).status_code == 200
        assert (await api.get("other_street", f"/topics/{topic_id}")).status_code == 404

        # A topic within one community is admitted where it is.
        local = await api.submit("chair", COMMUNITY, "楼道堆物")
        stays = await api.post("chair", f"/topics/{local}/actions/admit")
        assert stays.json()["region_code"] == COMMUNITY and stays.json()["escalation"]["escalated"] is False


async def test_a_plugins_target_wins_over_the_lowest_common_ancestor(runtime, db, people):
    class CityCoordinates:
        """Lianyungang-style: matters crossing communities go to the city."""

        @hookimpl
        def yishi_escalation_target(self, topic_region_code, affected_region_codes):
            if len({code[:12] for code in affected_region_codes}) > 1:
                return topic_region_code[:4]
            return None

    runtime.plugins.pm.register(CityCoordinates())
    async with api_for(runtime) as api:
        requested = await api.submit("chair", COMMUNITY, "跨社区河道治理")
        moved = await api.post("chair", f"/topics/{requested}/escalate",
                               {"reason": "河道流经两个社区", "affected_regions": [SIBLING]})
        assert moved.status_code == 200, moved.text
        assert moved.json()["region_code"] == CITY

        at_screening = await api.submit("chair", COMMUNITY, "共用健身场地", affected_regions=[COMMUNITY, SIBLING])
        admitted = await api.post("chair", f"/topics/{at_screening}/actions/admit")
        assert admitted.json()["region_code"] == CITY

        inbox = (await api.get("city", f"/regions/{CITY}/escalations")).json()
        assert {i["topic"]["id"] for i in inbox["items"]} == {requested, at_screening}
        assert (await api.get("street", f"/regions/{STREET}/escalations")).json()["total"] == 0


async def test_joint_meeting_invitees_are_the_affected_communities_council_members(runtime, db, people):
    from core.councils.service import MemberData, add_member, ensure_council, start_term
    from core.escalation.service import joint_meeting_invitees
    from core.models import Topic

    for code, chair_name, member_name in ((COMMUNITY, "张书记", "李委员"), (SIBLING, "王书记", "赵委员")):
        council = await ensure_council(db, code)
        hooks = await region_context(db, runtime.plugins, code)
        await start_term(db, council, date(2024, 1, 1), context=hooks)
        await add_member(db, council, MemberData(name=member_name, category="residents_committee",
                                                 joined_on=date(2024, 1, 1)), context=hooks)
        await add_member(db, council, MemberData(name=chair_name, category="party_secretary",
                                                 role_in_council="chair", joined_on=date(2024, 1, 1)), context=hooks)
    await db.commit()
    async with api_for(runtime) as api:
        topic_id = await api.submit("chair", COMMUNITY, "两社区联合巡逻")
        await api.post("chair", f"/topics/{topic_id}/escalate", {"reason": "联防", "affected_regions": [SIBLING]})
        view = (await api.get("street", f"/topics/{topic_id}")).json()
        invitees = view["escalation"]["joint_meeting_invitees"]
        assert [(i["region_code"], i["name"], i["representative"]) for i in invitees] == [
            (COMMUNITY, "张书记", True), (COMMUNITY, "李委员", False),
            (SIBLING, "王书记", True), (SIBLING, "赵委员", False)]
        # Only those who run the topic now are shown who is invited.
        assert "joint_meeting_invitees" not in (await api.get("chair", f"/topics/{topic_id}")).json()["escalation"]
    topic = await db.get(Topic, topic_id)
    chairs = await joint_meeting_invitees(db, topic, representatives_only=True)
    assert [i["name"] for i in chairs] == ["张书记", "王书记"]


async def test_an_upward_report_is_filed_to_the_level_above_and_answered(runtime, db, people):
    async with api_for(runtime) as api:
        topic_id = await api.submit("chair", COMMUNITY, "老旧小区加装电梯", "多层住宅老人上下楼困难")
        bad = await api.post("chair", f"/topics/{topic_id}/upward-reports", {"kind": "letter", "title": ""})
        assert bad.status_code == 400
        assert {f["field"] for f in bad.json()["error"]["fields"]} == {"kind", "title", "body"}
        assert (await api.post("resident", f"/topics/{topic_id}/upward-reports",
                               {"kind": "proposal", "title": "t", "body": "b"})).status_code == 403

        filed = await api.post("chair", f"/topics/{topic_id}/upward-reports",
                               {"kind": "social_opinion", "title": "加装电梯资金缺口", "body": "建议街道统筹资金"})
        assert filed.status_code == 201, filed.text
        report = filed.json()
        assert (report["from_region_code"], report["to_region_code"], report["status"]) == \
            (COMMUNITY, STREET, "submitted")
        assert report["kind_zh"] == "社情民意信息"

        inbox = await api.get("street", f"/regions/{STREET}/upward-reports")
        assert inbox.status_code == 200 and [r["id"] for r in inbox.json()["items"]] == [report["id"]]
        assert (await api.get("street", f"/regions/{STREET}/upward-reports", status="answered")).json()["total"] == 0
        assert (await api.get("chair", f"/regions/{STREET}/upward-reports")).status_code == 404
        assert (await api.get("district", f"/regions/{DISTRICT}/upward-reports")).json()["total"] == 0

        # The filing council follows it but cannot answer its own report.
        assert (await api.post("chair", f"/upward-reports/{report['id']}/answer",
                               {"answer": "自己答复"})).status_code == 403
        assert (await api.get("far_chair", f"/upward-reports/{report['id']}")).status_code == 404
        accepted = await api.post("street", f"/upward-reports/{report['id']}/accept")
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        empty = await api.post("street", f"/upward-reports/{report['id']}/answer", {"answer": " "})
        assert empty.status_code == 400
        answered = await api.post("street", f"/upward-reports/{report['id']}/answer",
                                  {"answer": "已纳入街道年度民生实事项目"})
        assert answered.status_code == 200 and answered.json()["status"] == "answered"
        again = await api.post("street", f"/upward-reports/{report['id']}/answer", {"answer": "再答"})
        assert again.status_code == 409

        followed = (await api.get("chair", f"/upward-reports/{report['id']}")).json()
        assert followed["answer"] == "已纳入街道年度民生实事项目" and followed["answered_by_name"]
        view = (await api.get("chair", f"/topics/{topic_id}")).json()
        assert [r["status"] for r in view["escalation"]["upward_reports"]] == ["answered"]
        assert [h["action"] for h in view["history"]] == [
            "submit", "upward_report", "upward_report_accepted", "upward_report_answered"]

        # A concern may go further up than the next level: straight to the city.
        wrong = await api.post("chair", f"/topics/{topic_id}/upward-reports",
                               {"kind": "proposal", "title": "t", "body": "b", "to_region": "620502"})
        assert wrong.status_code == 400 and wrong.json()["error"]["fields"][0]["field"] == "to_region"
        to_city = await api.post("chair", f"/topics/{topic_id}/upward-reports",
                                 {"kind": "proposal", "title": "全市加装电梯补贴", "body": "建议市级统筹", "to_region": CITY})
        assert to_city.status_code == 201 and to_city.json()["to_region_code"] == CITY
        assert (await api.get("street", f"/regions/{STREET}/upward-reports")).json()["total"] == 1
        city_inbox = (await api.get("city", f"/regions/{CITY}/upward-reports")).json()
        assert [r["id"] for r in city_inbox["items"]] == [to_city.json()["id"]]

        # A city has no level above on the platform.
        city_topic = await api.submit("city", CITY, "全市停车规划", affected_regions=[COMMUNITY],
                                      channel="assigned")
        top = await api.post("city", f"/topics/{city_topic}/upward-reports",
                             {"kind": "proposal", "title": "t", "body": "b"})
        assert top.status_code == 409

    actions = set(await db.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "upward_report")))
    assert actions == {"upward_report.file", "upward_report.accept", "upward_report.answer"}
    assert await db.scalar(select(Escalation.id)) is None


async def test_a_rejection_beyond_the_councils_authority_reaches_the_streets_inbox_and_the_proposer_is_told(
        runtime, db, people):
    async with api_for(runtime) as api:
        receipt = (await api.client.post(f"/api/v1/public/regions/{COMMUNITY}/topics", json={
            "title": "小区门前道路拓宽", "description": "道路归区里管，社区无权决定", "proposer_name": "李大爷",
            "proposer_contact": "13800000000"})).json()
        topic_id = receipt["topic_id"]
        rejected = await api.post("chair", f"/topics/{topic_id}/actions/reject", {
            "note": "道路拓宽须由街道协调区建设局", "catalogue_item": "generic.buyi.4"})  # 超出职能权限
        assert rejected.status_code == 200, rejected.text
        view = rejected.json()
        # Forwarded, not closed: the street screens it afresh under its own procedure.
        assert (view["region_code"], view["status"], view["step"]["key"]) == (STREET, "open", "collect")
        assert [h["action"] for h in view["history"]] == ["submit", "reject", "escalate"]
        [move] = view["escalation"]["moves"]
        assert move["trigger"] == "forward" and move["trigger_zh"] == "不予协商，提请上级协商"
        assert "超出职能权限" in move["reason"] and "道路拓宽须由街道协调区建设局" in move["reason"]

        inbox = (await api.get("street", f"/regions/{STREET}/escalations")).json()
        [item] = inbox["items"]
        assert (item["topic"]["id"], item["trigger"], item["from_region"]["code"]) == (topic_id, "forward", COMMUNITY)
        assert "超出职能权限" in item["reason"]
        assert [a["key"] for a in (await api.get("street", f"/topics/{topic_id}")).json()["actions"]] == \
            ["admit", "reject"]
        # The community that forwarded it still reads it.
        assert (await api.get("chair", f"/topics/{topic_id}")).status_code == 200

        tracked = (await api.client.get(f"/api/v1/public/topics/{receipt['tracking_code']}")).json()
        assert tracked["region"]["name"] == "月湖街道" and tracked["status"] == "open"
        assert tracked["referrals"] == [{"route": "forward_upward", "route_zh": "提请上级协商",
                                         "route_en": "forward to the higher council", "to": "月湖街道",
                                         "channel": "", "at": tracked["referrals"][0]["at"]}]
        told = [f["text_zh"] for f in tracked["feedback"]]
        assert "超出职能权限" in told[0] and "去向：提请上级协商" in told[0]
        assert told[1].startswith("您提出的议题“小区门前道路拓宽”已上移至月湖街道协商议事会协商。")
        page = await api.client.get(f"/t/{receipt['tracking_code']}")
        assert "去向" in page.text and "提请上级协商：月湖街道" in page.text


async def test_a_matter_referred_to_a_department_names_it_for_the_proposer(runtime, db, people):
    async with api_for(runtime) as api:
        receipt = (await api.client.post(f"/api/v1/public/regions/{COMMUNITY}/topics", json={
            "title": "路灯不亮", "description": "三号楼前路灯坏了", "proposer_name": "王阿姨"})).json()
        topic_id = receipt["topic_id"]
        # 可以通过其他方式优先快速解决的事项: the department it goes to must be named.
        missing = await api.post("chair", f"/topics/{topic_id}/actions/reject", {
            "note": "报修即可", "catalogue_item": "generic.buyi.5"})
        assert missing.status_code == 400
        assert missing.json()["error"]["fields"][0]["field"] == "referred_to"
        assert (await api.get("chair", f"/topics/{topic_id}")).json()["status"] == "open"

        referred = await api.post("chair", f"/topics/{topic_id}/actions/reject", {
            "note": "报修即可", "catalogue_item": "generic.buyi.5", "referred_to": "海曙区城市管理局",
            "referral_channel": "12345热线"})
        assert referred.status_code == 200, referred.text
        assert (referred.json()["region_code"], referred.json()["status"]) == (COMMUNITY, "rejected")
        tracked = (await api.client.get(f"/api/v1/public/topics/{receipt['tracking_code']}")).json()
        [referral] = tracked["referrals"]
        assert (referral["route_zh"], referral["to"], referral["channel"]) == (
            "转交职能部门办理", "海曙区城市管理局", "12345热线")
        assert "去向：转交职能部门办理（海曙区城市管理局、12345热线）。" in tracked["feedback"][0]["text_zh"]
        assert not (await db.scalars(select(Escalation).where(Escalation.topic_id == topic_id))).all()


async def test_concentrated_concerns_go_up_as_plenary_speeches_and_special_reports_and_petitions_are_a_source(
        runtime, db, people):
    async with api_for(runtime) as api:
        # 003 §四: a petition matter taken up for consultation (信访事项) is a source of topics.
        topic_id = await api.submit("chair", COMMUNITY, "老旧小区雨污分流", "多户居民信访反映雨天污水倒灌",
                                    channel="petition")
        view = (await api.get("chair", f"/topics/{topic_id}")).json()
        assert view["channel"] == "petition"
        refused = await api.post("resident", f"/regions/{COMMUNITY}/topics",
                                 {"title": "t", "channel": "petition", "category": "generic.yi.6"})
        assert refused.status_code == 400 and refused.json()["error"]["fields"][0]["field"] == "channel"

        labels = {}
        for kind in ("plenary_speech", "special_report"):
            filed = await api.post("chair", f"/topics/{topic_id}/upward-reports",
                                   {"kind": kind, "title": "雨污分流改造资金", "body": "建议列入区重点民生项目"})
            assert filed.status_code == 201, filed.text
            labels[kind] = filed.json()["kind_zh"]
        assert labels == {"plenary_speech": "大会发言", "special_report": "专题报告"}
        inbox = (await api.get("street", f"/regions/{STREET}/upward-reports")).json()
        assert sorted(r["kind"] for r in inbox["items"]) == ["plenary_speech", "special_report"]
