"""Housing-estate joint meetings (小区联席会议, seed 001 §二(三)) over HTTP on both
backends: the residents' committee, the owners' committee, the property
company and the street property office must all attend before a resolution
may rest on the meeting's vote; the meeting's party view says who is missing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from core.models.consultation import Outcome
from tests.plugins.ningbo.helpers import (CHENGLANG, JIANGXIA_XINJIE, RESEARCH, api_for, resolution)

PARTIES = "/plugins/ningbo/regions/{code}/meetings/{meeting}/estate-parties"
GUESTS = [{"name": "业委会主任李某", "category": "stakeholder"}, {"name": "物业项目经理赵某", "category": "stakeholder"},
          {"name": "街道物管办张某", "category": "department"}]


async def joint_meeting(api, topic_id: int, days_ahead: int) -> dict:
    meeting = await api.meeting("chair", CHENGLANG, clock.now() + timedelta(days=days_ahead), kind="estate_joint",
                                title="小区停车联席会议", agenda=[topic_id], participants=GUESTS)
    await api.ok(await api.post("chair", f"/meetings/{meeting['id']}/publish-plan", {}))
    return await api.ok(await api.get("chair", f"/meetings/{meeting['id']}"))


def person(meeting: dict, name: str) -> int:
    return next(p["id"] for p in meeting["participants"] if p["name"] == name)


async def attend_and_vote(api, meeting: dict, topic_id: int, absent: tuple[str, ...] = ()) -> None:
    present = [{"member_id": p["member_id"]} if p["member_id"] else {"name": p["name"]}
               for p in meeting["participants"] if p["name"] not in absent]
    await api.ok(await api.post("chair", f"/meetings/{meeting['id']}/attendance", {"present": present}))
    members = sum(1 for p in meeting["participants"] if p["member_id"])
    await api.ok(await api.post("chair", f"/meetings/{meeting['id']}/votes",
                                {"topic_id": topic_id, "tallies": {"for": members}, "resolution": "划设临时车位"}))


async def test_a_joint_meeting_needs_all_four_parties_before_a_resolution(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic_id = (await api.submit("chair", CHENGLANG, "小区停车位划分"))["id"]
        await api.act("chair", topic_id, "admit")
        await api.act("chair", topic_id, "record_research", **RESEARCH)
        meeting = await joint_meeting(api, topic_id, days_ahead=4)
        assert meeting["kind"] == {"key": "estate_joint", "title_zh": "小区联席会议",
                                   "title_en": "housing-estate joint meeting"}
        await api.act("chair", topic_id, "schedule_meeting", meeting_id=meeting["id"])
        await api.act("chair", topic_id, "publish_plan")
        path = PARTIES.format(code=CHENGLANG, meeting=meeting["id"])

        view = await api.ok(await api.get("member", path))
        # The council's residents' committee member counts without being named.
        by_party = {p["party"]: p for p in view["parties"]}
        assert [p["name"] for p in by_party["residents_committee"]["people"]] == ["居委会主任"]
        assert view["missing"] == ["residents_committee", "owners_committee", "property_company",
                                   "street_property_office"]  # nobody has attended yet

        named = await api.ok(await api.put("chair", path, {"parties": {
            "owners_committee": [person(meeting, "业委会主任李某")],
            "property_company": [person(meeting, "物业项目经理赵某")]}}))
        assert [p["people"] for p in named["parties"] if p["party"] == "street_property_office"] == [[]]

        clock.advance(timedelta(days=4))
        await attend_and_vote(api, meeting, topic_id, absent=("业委会主任李某",))
        view = await api.ok(await api.get("chair", path))
        assert view["missing"] == ["owners_committee", "street_property_office"]
        assert view["missing_zh"] == "业主委员会、街道物管办" and not view["complete"]

        refused = await api.refused("chair", topic_id, "record_resolution", **resolution())
        assert refused["code"] == "estate_parties_missing"
        assert refused["message_zh"].endswith("未出席：业主委员会、街道物管办")
        await api.ok(await api.put("chair", path, {"parties": {
            "owners_committee": [person(meeting, "业委会主任李某")],
            "property_company": [person(meeting, "物业项目经理赵某")],
            "street_property_office": [person(meeting, "街道物管办张某")]}}))
        refused = await api.refused("chair", topic_id, "record_resolution", **resolution())
        assert refused["message_zh"].endswith("未出席：业主委员会")
        assert (await api.ok(await api.get("chair", f"/topics/{topic_id}")))["step"]["key"] == "consult"
        assert await db.scalar(select(func.count()).select_from(Outcome)) == 0

        # A new joint meeting with every party present carries the resolution.
        again = await joint_meeting(api, topic_id, days_ahead=3)
        await api.ok(await api.put("chair", PARTIES.format(code=CHENGLANG, meeting=again["id"]), {"parties": {
            "owners_committee": [person(again, "业委会主任李某")],
            "property_company": [person(again, "物业项目经理赵某")],
            "street_property_office": [person(again, "街道物管办张某")]}}))
        clock.advance(timedelta(days=3))
        await attend_and_vote(api, again, topic_id)
        assert (await api.ok(await api.get("chair", PARTIES.format(code=CHENGLANG, meeting=again["id"]))))["complete"]
        assert (await api.act("chair", topic_id, "record_resolution", **resolution()))["step"]["key"] == "publicize"


async def test_naming_the_parties_refuses_bad_input_with_nothing_changed(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic_id = (await api.submit("chair", CHENGLANG))["id"]
        # 不调研不协商: only a researched topic goes on an agenda.
        await api.act("chair", topic_id, "admit")
        await api.act("chair", topic_id, "record_research", **RESEARCH)
        meeting = await joint_meeting(api, topic_id, days_ahead=4)
        path = PARTIES.format(code=CHENGLANG, meeting=meeting["id"])
        owner, manager = person(meeting, "业委会主任李某"), person(meeting, "物业项目经理赵某")
        await api.ok(await api.put("chair", path, {"parties": {"owners_committee": [owner]}}))

        async def refused(body, fields):
            response = await api.put("chair", path, body)
            assert response.status_code == 400, response.text
            got = response.json()["error"]["fields"]
            assert [f["field"] for f in got] == fields and all(f["message_zh"] and f["message_en"] for f in got)

        await refused({}, ["parties"])
        await refused({"parties": {"landlord": [owner]}}, ["parties.landlord"])
        await refused({"parties": {"property_company": [999999]}}, ["parties.property_company"])
        await refused({"parties": {"property_company": "赵某"}}, ["parties.property_company"])
        await refused({"parties": {"owners_committee": [manager], "property_company": [manager]}},
                      ["parties.property_company"])
        kept = await api.ok(await api.get("chair", path))
        assert [p["people"] for p in kept["parties"] if p["party"] == "owners_committee"][0][0]["participant_id"] == \
            owner

        ordinary = await api.meeting("chair", CHENGLANG, clock.now() + timedelta(days=5))
        other = await api.put("chair", PARTIES.format(code=CHENGLANG, meeting=ordinary["id"]), {"parties": {}})
        assert other.status_code == 409 and other.json()["error"]["code"] == "not_estate_joint"
        # Another council's meeting is not found through this one.
        assert (await api.get("city", PARTIES.format(code=JIANGXIA_XINJIE, meeting=meeting["id"]))).status_code == 404
        # A resident sees the community but may not run its meetings.
        assert (await api.put("resident", path, {"parties": {}})).status_code == 403
        await api.ok(await api.post("chair", f"/meetings/{meeting['id']}/close"))
        closed = await api.put("chair", path, {"parties": {}})
        assert closed.status_code == 409 and closed.json()["error"]["code"] == "meeting_closed"


async def test_the_schedule_action_itself_can_set_up_a_joint_meeting(runtime, db, ningbo):
    """A kind the region's plugins add is offered by the topic's own schedule action,
    not only by the meetings API; a kind nobody offers is refused there too."""
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic_id = (await api.submit("chair", CHENGLANG, "小区停车位划分"))["id"]
        await api.act("chair", topic_id, "admit")
        await api.act("chair", topic_id, "record_research", **RESEARCH)
        starts = (clock.now() + timedelta(days=4)).replace(microsecond=0).isoformat()
        unknown = await api.post("chair", f"/topics/{topic_id}/actions/schedule_meeting",
                                 {"form": "meeting", "kind": "tea_party", "starts_at": starts, "place": "议事厅"})
        assert unknown.status_code == 400, unknown.text
        shown = await api.act("chair", topic_id, "schedule_meeting", form="meeting", kind="estate_joint",
                              starts_at=starts, place="小区物业用房", participants=GUESTS)
        [meeting] = shown["meetings"]
        assert meeting["kind"]["key"] == "estate_joint"
