"""City matters (seed 003 §三): a matter involving city departments, or crossing districts or
counties, keeps its home; the city CPPCC's special committee matching its category coordinates,
and the committee's members and the city departments join the consultation as participants.
A home's concentrated concerns are reported upward as 提案 or 社情民意信息 (§四)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from core import clock
from core.authz.enforcer import get_authorizer
from core.errors import ApiError
from core.models import AuditEntry, RegionPlugin, RegionSetting, Topic, User
from core.models.consultation import MeetingTopic
from core.models.escalation import Escalation
from core.topics import service as topics
from plugins.lianyungang.city_matters import keep_at_home
from plugins.lianyungang.models import CityMatter, Committee, CommitteeMember, MatterDepartment
from tests import walk
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.plugins.lianyungang.conftest import (
    CITY, DONGYUAN, LIANYUN, LYG, NIUSHAN_COMMUNITY, SHENGLI, XIYUAN, designate, principal, write_lyg)
from tests.conftest import Seed

API = "/api/v1"
LYG_API = "/api/v1/plugins/lianyungang"
NINGBO = "3302"
HOUSING = "市住房和城乡建设局"
URBAN = "市城市管理局"
ECOLOGY = "市生态环境局"

PEOPLE = {"chair": [("council_chair", DONGYUAN)], "city": [("city_admin", CITY)],
          "district": [("district_admin", LIANYUN)], "city_cppcc": [("cppcc_member", CITY)],
          "ningbo": [("city_admin", NINGBO)]}


async def _write_people(runtime) -> None:
    async with runtime.read_sessions() as db:
        await write_lyg(db)
        for name, grants in PEOPLE.items():
            await make_user(db, name, *grants)


WITH_PEOPLE = Seed("lianyungang_city_matters", LYG.now, _write_people)


@pytest.fixture
def database_seed(request) -> Seed | None:
    return WITH_PEOPLE if "api" in request.fixturenames else LYG if "lyg" in request.fixturenames else None


@pytest.fixture(autouse=True)
def _today():
    clock.set_now(datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc))


class Api:
    def __init__(self, client, tokens):
        self.client = client
        self.tokens = tokens

    async def get(self, who, path, base=API, **params):
        return await self.client.get(f"{base}{path}", headers=self.tokens[who], params=params)

    async def post(self, who, path, body=None, base=API):
        return await self.client.post(f"{base}{path}", headers=self.tokens[who], json=body)

    async def put(self, who, path, body=None, base=API, **params):
        return await self.client.put(f"{base}{path}", headers=self.tokens[who], json=body, params=params)

    async def submit(self, title, category, affected=None) -> int:
        body = {"title": title, "channel": "member", "category": category}
        if affected:
            body["affected_regions"] = affected
        answer = await self.post("chair", f"/regions/{DONGYUAN}/topics", body)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    async def act(self, topic_id, action, **payload):
        answer = await self.post("chair", f"/topics/{topic_id}/actions/{action}", payload)
        assert answer.status_code == 200, answer.text
        return answer

    async def admit(self, topic_id, **payload):
        return await self.post("chair", f"/topics/{topic_id}/actions/admit", payload)

    async def to_meeting(self, topic_id) -> None:
        """From admitted to a meeting scheduled (confirm, research, schedule_meeting)."""
        await self.act(topic_id, "confirm")
        await self.act(topic_id, "record_research", **walk.RESEARCH)
        await self.act(topic_id, "schedule_meeting", **walk.meeting())

    async def view(self, topic_id, who="chair"):
        answer = await self.get(who, f"/topics/{topic_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def committee(self, body, who="city"):
        answer = await self.post(who, f"/regions/{CITY}/committees", body, base=LYG_API)
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def inbox(self, who="city", code=CITY, **params):
        return await self.get(who, f"/regions/{code}/committee-matters", base=LYG_API, **params)

    async def participants(self, meeting_id, who="chair"):
        answer = await self.get(who, f"/meetings/{meeting_id}")
        assert answer.status_code == 200, answer.text
        return [(p["name"], p["category"], p["invited"]) for p in answer.json()["participants"]]


@pytest_asyncio.fixture
async def api(db, runtime):
    """PEOPLE logged in, 东园 a home; they and the tree are in the WITH_PEOPLE template."""
    await designate(db, runtime, DONGYUAN)
    async with app_client(runtime) as client:
        yield Api(client, {name: bearer(await login(client, name)) for name in PEOPLE})


async def user_id(db, username) -> int:
    return await db.scalar(select(User.id).where(User.username == username))


async def meeting_of(db, topic_id) -> int:
    return await db.scalar(select(MeetingTopic.meeting_id).where(MeetingTopic.topic_id == topic_id)
                           .order_by(MeetingTopic.meeting_id.desc()).limit(1))


async def counts(db) -> tuple[int, int, int, int]:
    db.expire_all()
    return tuple([await db.scalar(select(func.count()).select_from(model))
                  for model in (CityMatter, MatterDepartment, Committee, AuditEntry)])


def test_a_matter_crossing_districts_stays_with_its_council_and_other_spans_are_the_cores():
    assert keep_at_home(DONGYUAN, (DONGYUAN, NIUSHAN_COMMUNITY)) == DONGYUAN
    assert keep_at_home(CITY, (DONGYUAN, NIUSHAN_COMMUNITY)) == CITY
    assert keep_at_home(DONGYUAN, (DONGYUAN, SHENGLI)) is None   # two streets of 连云区: the district decides
    assert keep_at_home(DONGYUAN, (DONGYUAN, XIYUAN)) is None


async def test_a_lianyungang_city_matter_keeps_its_home_and_gains_the_committee_and_departments_as_participants(
        api, db):
    cppcc_user = await user_id(db, "city_cppcc")
    committee = await api.committee({"name": "城乡建设委员会", "members": [
        {"name": "王建国", "user_id": cppcc_user}, {"name": "李明"}, {"name": "赵秘书", "is_cppcc": False}]})
    # The setting names the committee for 公共设施维护 and 道路交通管理: its categories by default.
    assert committee["categories"] == ["generic.yi.6", "generic.yi.7"]
    assert committee["cppcc_members"] == 2
    topic_id = await api.submit("东园社区老旧管网改造", "generic.yi.6")
    admitted = await api.admit(topic_id, involves_city_departments=[HOUSING, URBAN, HOUSING])
    assert admitted.status_code == 200, admitted.text

    view = await api.view(topic_id)
    assert view["region_code"] == DONGYUAN and view["step"]["key"] == "confirm"
    assert await db.scalar(select(func.count()).select_from(Escalation)) == 0
    section = view["lianyungang"]
    assert (section["city_matter"], section["crosses_districts"], section["involves_city_departments"]) == (
        True, False, True)
    assert section["special_committee"] == "城乡建设委员会"
    assert section["committee"]["id"] == committee["id"]
    assert [(m["name"], m["is_cppcc"], m["user_id"]) for m in section["committee"]["members"]] == [
        ("王建国", True, cppcc_user), ("李明", True, None), ("赵秘书", False, None)]
    assert section["departments"] == [HOUSING, URBAN]
    assert section["text_zh"] == ("本议题涉及市有关部门，仍由东园社区政协市民协商民主之家协商；由市政协城乡建设委员会"
                                  "协调市政协委员和市有关部门参加协商沟通交流（市有关部门：市住房和城乡建设局、市城市管理局）")
    assert "stays with" in section["text_en"] and "城乡建设委员会" in section["text_en"]
    assert section["rules"][0]["text_zh"].startswith("遇到涉及到市有关部门的")
    db.expire_all()
    matter = await db.get(CityMatter, topic_id)
    assert (matter.committee_id, matter.committee_name, matter.involves_city_departments,
            matter.crosses_districts) == (committee["id"], "城乡建设委员会", True, False)

    # The meeting scheduled for the topic invites them, beside the home's own members.
    await api.to_meeting(topic_id)
    meeting_id = await meeting_of(db, topic_id)
    assert set(await api.participants(meeting_id)) >= {
        ("王建国", "deputies", True), ("李明", "deputies", True), ("赵秘书", "", True),
        (HOUSING, "department", True), (URBAN, "department", True)}
    assert (await api.view(topic_id))["region_code"] == DONGYUAN

    # The committee's inbox: the matter, its home and where it stands; its member with an account reads it too.
    for who in ("city", "city_cppcc"):
        inbox = await api.inbox(who, committee_id=committee["id"])
        assert inbox.status_code == 200, inbox.text
        [item] = inbox.json()["items"]
        assert item["topic"]["id"] == topic_id and item["status"] == "open" and item["topic"]["step"]["key"] == "consult"
        assert item["home"]["name"] == "东园社区政协市民协商民主之家" and item["council"]["code"] == DONGYUAN
        assert item["committee"] == {"id": committee["id"], "name": "城乡建设委员会"}
        assert item["departments"] == [HOUSING, URBAN]


async def test_a_matter_crossing_districts_stays_in_its_home_and_its_committee_claims_it_later(api, db):
    topic_id = await api.submit("东园社区与牛山社区之间的公交线路", "generic.yi.7", [DONGYUAN, NIUSHAN_COMMUNITY])
    admitted = await api.admit(topic_id)
    assert admitted.status_code == 200, admitted.text
    view = await api.view(topic_id)
    assert view["region_code"] == DONGYUAN
    assert await db.scalar(select(func.count()).select_from(Escalation)) == 0
    assert (await api.get("city", f"/regions/{CITY}/escalations")).json()["items"] == []
    section = view["lianyungang"]
    assert (section["city_matter"], section["crosses_districts"], section["involves_city_departments"]) == (
        True, True, False)
    assert section["districts"] == ["320703", "320722"]
    # Only the setting names the committee so far: a name without members.
    assert section["committee"] == {"id": None, "name": "城乡建设委员会", "members": []}
    assert section["text_zh"] == ("本议题跨县区，仍由东园社区政协市民协商民主之家协商；"
                                  "由市政协城乡建设委员会协调市政协委员和市有关部门参加协商沟通交流")
    assert [rule["text_zh"][:6] for rule in section["rules"]] == ["遇到涉及到市", "特别是涉及到"]
    assert section["home"]["name"] == "东园社区政协市民协商民主之家"
    # Nor do staff move it up by hand: the home keeps it.
    asked = await api.post("district", f"/topics/{topic_id}/escalate", {"reason": "跨县区"})
    assert asked.status_code == 409 and (await api.view(topic_id))["region_code"] == DONGYUAN

    committee = await api.committee({"name": "城乡建设委员会", "members": [{"name": "王建国"}]})
    section = (await api.view(topic_id))["lianyungang"]
    assert section["committee"]["id"] == committee["id"] and section["participants"] == [
        {"name": "王建国", "category": "deputies", "category_zh": "两代表一委员",
         "category_en": "deputy or CPPCC member (two deputies and one member)"}]
    [item] = (await api.inbox(committee_id=committee["id"])).json()["items"]
    assert item["topic"]["id"] == topic_id and item["crosses_districts"] is True


async def test_two_streets_of_one_district_still_go_to_the_district(api):
    topic_id = await api.submit("东园与胜利两社区的排水", "generic.yi.6", [DONGYUAN, SHENGLI])
    assert (await api.admit(topic_id)).status_code == 200
    view = await api.view(topic_id)
    assert view["region_code"] == LIANYUN
    assert view["lianyungang"]["city_matter"] is False and "special_committee" not in view["lianyungang"]


async def test_named_during_the_consultation_the_departments_join_the_open_meeting(api, db):
    other = await api.committee({"name": "人口资源环境委员会", "categories": ["generic.yi.5"],
                                 "members": [{"name": "周委员"}]})
    topic_id = await api.submit("社区旁河道整治", "generic.yi.6")
    assert (await api.admit(topic_id)).status_code == 200
    assert (await api.view(topic_id))["lianyungang"]["city_matter"] is False
    await api.to_meeting(topic_id)
    meeting_id = await meeting_of(db, topic_id)
    assert not any(category == "department" for _, category, _ in await api.participants(meeting_id))

    # "在协商过程当中,遇到涉及到市有关部门的": named now, with the committee chosen by hand.
    answer = await api.put("chair", f"/topics/{topic_id}/city-matter",
                           {"city_departments": [ECOLOGY], "special_committee_id": other["id"]}, base=LYG_API)
    assert answer.status_code == 200, answer.text
    assert answer.json()["special_committee"] == "人口资源环境委员会"
    assert answer.json()["departments"] == [ECOLOGY]
    assert {(ECOLOGY, "department", True), ("周委员", "deputies", True)} <= set(await api.participants(meeting_id))
    # Again with a different list: it replaces the departments; nobody is invited twice.
    answer = await api.put("chair", f"/topics/{topic_id}/city-matter", {"city_departments": [ECOLOGY, URBAN]},
                           base=LYG_API)
    assert answer.json()["departments"] == [ECOLOGY, URBAN]
    names = [name for name, _, _ in await api.participants(meeting_id)]
    assert names.count(ECOLOGY) == 1 and URBAN in names
    assert (await api.view(topic_id))["region_code"] == DONGYUAN


@pytest.mark.parametrize(("payload", "field", "zh", "en"), [
    ({"involves_city_departments": "是"}, "involves_city_departments", "true 或 false", "true or false"),
    ({"involves_city_departments": [HOUSING, ""]}, "involves_city_departments", "非空文本", "non-empty text"),
    ({"involves_city_departments": []}, "involves_city_departments", "市有关部门", "city departments"),
])
async def test_a_bad_flag_at_admission_is_refused_by_name_and_nothing_changes(api, db, payload, field, zh, en):
    topic_id = await api.submit("路灯", "generic.yi.6")
    before = await counts(db)
    refused = await api.admit(topic_id, **payload)
    assert refused.status_code == 400, refused.text
    [error] = refused.json()["error"]["fields"]
    assert error["field"] == field and zh in error["message_zh"] and en in error["message_en"]
    db.expire_all()
    topic = await db.get(Topic, topic_id)
    assert (topic.region_code, topic.step) == (DONGYUAN, "collect")
    assert await counts(db) == before
    # Left out or false: the topic is the community's, and no city matter.
    assert (await api.admit(topic_id, involves_city_departments=False)).status_code == 200
    view = await api.view(topic_id)
    assert view["region_code"] == DONGYUAN and view["lianyungang"]["city_matter"] is False


@pytest.mark.parametrize(("body", "field"), [
    ({"city_departments": HOUSING}, "city_departments"),
    ({"city_departments": [HOUSING, 3]}, "city_departments"),
    ({"city_departments": ["  "]}, "city_departments"),
    ({"city_departments": ["局" * 101]}, "city_departments[0]"),
    ({"city_departments": [HOUSING], "special_committee_id": 987654}, "special_committee_id"),
    ({"special_committee_id": "城乡建设委员会"}, "special_committee_id"),
])
async def test_bad_departments_or_an_unknown_committee_are_refused_by_name_and_nothing_is_written(
        api, db, body, field):
    topic_id = await api.submit("路灯", "generic.yi.6")
    assert (await api.admit(topic_id)).status_code == 200
    before = await counts(db)
    refused = await api.put("chair", f"/topics/{topic_id}/city-matter", body, base=LYG_API)
    assert refused.status_code == 400, refused.text
    assert [e["field"] for e in refused.json()["error"]["fields"]] == [field]
    assert await counts(db) == before


async def test_an_unknown_committee_at_admission_is_refused_and_nothing_is_written(api, db, runtime):
    # The core's admit form carries only involves_city_departments; a caller of the
    # service (the demo, a job) may name the committee and the departments too.
    ningbo_committee = Committee(city_code=NINGBO, name="城乡建设委员会", categories=[])
    db.add(ningbo_committee)
    await db.flush()
    foreign_id = ningbo_committee.id
    await db.commit()
    topic_id = await api.submit("路灯", "generic.yi.6")
    chair = await principal(db, "chair_service", ("council_chair", DONGYUAN))
    authorizer = await get_authorizer(runtime)
    before = await counts(db)
    for payload, field in (({"special_committee_id": foreign_id}, "special_committee_id"),
                           ({"city_departments": [HOUSING, None]}, "city_departments")):
        with pytest.raises(ApiError) as refused:
            await topics.perform_action(db, chair, topic_id, "admit", payload, plugins=runtime.plugins,
                                        authorizer=authorizer)
        assert refused.value.status_code == 400 and [f.field for f in refused.value.fields] == [field]
        await db.rollback()
    assert await counts(db) == before
    topic = await topics.perform_action(db, chair, topic_id, "admit", {"city_departments": [HOUSING]},
                                        plugins=runtime.plugins, authorizer=authorizer)
    await db.commit()
    assert topic.region_code == DONGYUAN
    assert [d.name for d in await db.scalars(select(MatterDepartment).where(MatterDepartment.topic_id == topic_id))] \
        == [HOUSING]


# -- the committees ------------------------------------------------------------------------------

async def test_city_staff_manage_the_committees_and_the_setting_names_the_rest(api, db):
    made = await api.committee({"name": "教科卫体委员会", "categories": ["generic.yi.3"],
                                "members": [{"name": "孙委员"}, {"name": "钱委员"}]})
    listed = await api.get("city", f"/regions/{CITY}/committees", base=LYG_API)
    assert listed.status_code == 200, listed.text
    [shown] = listed.json()["items"]
    assert shown["name"] == "教科卫体委员会" and [m["name"] for m in shown["members"]] == ["孙委员", "钱委员"]
    by_item = {entry["code"]: entry for entry in listed.json()["by_category"]}
    assert (by_item["generic.yi.3"]["source"], by_item["generic.yi.3"]["committee_id"]) == ("committee", made["id"])
    assert (by_item["generic.yi.6"]["source"], by_item["generic.yi.6"]["committee"]) == ("setting", "城乡建设委员会")

    changed = await api.put("city", f"/regions/{CITY}/committees", {"members": [{"name": "钱委员"}]},
                            base=LYG_API, committee_id=made["id"])
    assert changed.status_code == 200, changed.text
    assert [m["name"] for m in changed.json()["members"]] == ["钱委员"]
    assert changed.json()["categories"] == ["generic.yi.3"]
    assert await db.scalar(select(func.count()).select_from(CommitteeMember)) == 1

    # A matter it coordinates keeps the committee's name once the committee is gone.
    topic_id = await api.submit("社区卫生服务站", "generic.yi.3")
    assert (await api.admit(topic_id, involves_city_departments=True)).status_code == 200
    gone = await api.client.delete(f"{LYG_API}/regions/{CITY}/committees", headers=api.tokens["city"],
                                   params={"committee_id": made["id"]})
    assert gone.status_code == 204, gone.text
    section = (await api.view(topic_id))["lianyungang"]
    assert section["committee"] == {"id": None, "name": "教科卫体委员会", "members": []}
    assert await db.scalar(select(func.count()).select_from(CommitteeMember)) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"categories": ["generic.yi.99"]}, "categories[0]"),
    ({"categories": ["generic.buyi.1"]}, "categories[0]"),
    ({"categories": "generic.yi.6"}, "categories"),
    ({"members": [{"name": ""}]}, "members[0].name"),
    ({"members": [{"name": "王", "user_id": 987654}]}, "members[0].user_id"),
    ({"members": [{"name": "王", "is_cppcc": "是"}]}, "members[0].is_cppcc"),
    ({"members": [{"name": "王"}, {"name": "王"}]}, "members"),
])
async def test_a_bad_committee_is_refused_by_name_and_nothing_is_written(api, db, body, field):
    before = await counts(db)
    refused = await api.post("city", f"/regions/{CITY}/committees", {"name": "经济委员会", **body}, base=LYG_API)
    assert refused.status_code == 400, refused.text
    assert [e["field"] for e in refused.json()["error"]["fields"]] == [field]
    assert await counts(db) == before


async def test_a_committee_is_the_citys_its_items_its_own_and_a_user_of_another_city_is_not_a_member(api, db):
    await api.committee({"name": "城乡建设委员会"})
    twice = await api.post("city", f"/regions/{CITY}/committees", {"name": "城乡建设委员会", "categories": []},
                           base=LYG_API)
    assert twice.status_code == 409
    taken = await api.post("city", f"/regions/{CITY}/committees", {"name": "经济委员会", "categories": ["generic.yi.6"]},
                           base=LYG_API)
    assert taken.status_code == 400 and "城乡建设委员会" in taken.json()["error"]["fields"][0]["message_zh"]
    ningbo_user = await user_id(db, "ningbo")
    foreign = await api.post("city", f"/regions/{CITY}/committees",
                             {"name": "经济委员会", "members": [{"name": "外市", "user_id": ningbo_user}]}, base=LYG_API)
    assert foreign.status_code == 400 and foreign.json()["error"]["fields"][0]["field"] == "members[0].user_id"
    not_a_city = await api.post("district", f"/regions/{LIANYUN}/committees", {"name": "经济委员会"}, base=LYG_API)
    assert not_a_city.status_code == 400 and not_a_city.json()["error"]["fields"][0]["field"] == "code"
    # A district's staff read the city's committees no more than they run them.
    assert (await api.get("district", f"/regions/{CITY}/committees", base=LYG_API)).status_code in (403, 404)
    assert (await api.post("district", f"/regions/{CITY}/committees", {"name": "经济委员会"},
                           base=LYG_API)).status_code in (403, 404)


async def test_the_committee_inbox_is_the_citys_own(api, db):
    committee = await api.committee({"name": "城乡建设委员会", "members": [{"name": "王建国"}]})
    topic_id = await api.submit("东园社区老旧管网改造", "generic.yi.6")
    assert (await api.admit(topic_id, involves_city_departments=[HOUSING])).status_code == 200
    assert (await api.inbox(committee_id=committee["id"])).json()["total"] == 1
    assert (await api.inbox()).json()["total"] == 1   # every city matter, when no committee is named

    # Another city's staff: the city is not theirs to see, the matter's topic neither.
    assert (await api.inbox("ningbo", committee_id=committee["id"])).status_code == 404
    assert (await api.get("ningbo", f"/regions/{CITY}/committees", base=LYG_API)).status_code == 404
    assert (await api.put("ningbo", f"/topics/{topic_id}/city-matter", {"city_departments": [URBAN]},
                          base=LYG_API)).status_code == 404
    # Even where the plugin is on in their own city, Lianyungang's committee is not found there.
    db.add(RegionPlugin(region_code=NINGBO, plugin="lianyungang", enabled=True))
    await db.commit()
    mine = await api.inbox("ningbo", code=NINGBO, committee_id=committee["id"])
    assert mine.status_code == 404, mine.text
    assert (await api.put("ningbo", f"/regions/{NINGBO}/committees", {"name": "改名"}, base=LYG_API,
                          committee_id=committee["id"])).status_code == 404
    assert (await api.inbox("ningbo", code=NINGBO)).json()["items"] == []
    # The home's chair reads the topic but not the city's inbox.
    assert (await api.inbox("chair", committee_id=committee["id"])).status_code in (403, 404)
    db.expire_all()
    assert (await db.get(Committee, committee["id"])).name == "城乡建设委员会"
    assert await db.scalar(select(func.count()).select_from(MatterDepartment)) == 1


async def test_the_committees_setting_names_the_committee_and_an_unmatched_category_goes_to_the_office(api, db):
    db.add(RegionSetting(region_code=CITY, key="lianyungang.special_committees",
                         value={"generic.yi.7": "经济委员会"}))
    await db.commit()
    matched = await api.submit("跨区物流通道", "generic.yi.7", [DONGYUAN, NIUSHAN_COMMUNITY])
    await api.admit(matched)
    assert (await api.view(matched))["lianyungang"]["special_committee"] == "经济委员会"
    unmatched = await api.submit("跨区垃圾转运", "generic.yi.5", [DONGYUAN, NIUSHAN_COMMUNITY])
    await api.admit(unmatched)
    section = (await api.view(unmatched))["lianyungang"]
    assert section["special_committee"] is None and section["committee"] is None
    assert "市政协办公室" in section["text_zh"] and section["coordinator"] == "市政协办公室"
    # A committee listing the category takes it up, members and all.
    committee = await api.committee({"name": "人口资源环境委员会", "categories": ["generic.yi.5"],
                                     "members": [{"name": "周委员"}]})
    section = (await api.view(unmatched))["lianyungang"]
    assert section["committee"]["id"] == committee["id"] and section["participants"][0]["name"] == "周委员"


# -- upward reports (§四: 通过提案、大会发言、专题报告、社情民意信息等方式…反映) ------------------

@pytest.mark.parametrize(("kind", "label"), [("proposal", "提案"), ("social_opinion", "社情民意信息")])
async def test_a_homes_concentrated_concern_is_reported_up_to_the_city(api, kind, label):
    # The concern spans two streets, so it is the district's; the district reports it to the city.
    topic_id = await api.submit("老旧小区加装电梯诉求集中", "generic.yi.3", [DONGYUAN, SHENGLI])
    assert (await api.admit(topic_id)).status_code == 200
    filed = await api.post("district", f"/topics/{topic_id}/upward-reports",
                           {"kind": kind, "title": "关于老旧小区加装电梯的建议", "body": "墟沟、连云两街道居民反映集中"})
    assert filed.status_code == 201, filed.text
    report = filed.json()
    assert (report["kind"], report["kind_zh"], report["from_region_code"], report["to_region_code"]) == (
        kind, label, LIANYUN, CITY)
    inbox = await api.get("city", f"/regions/{CITY}/upward-reports")
    assert [r["id"] for r in inbox.json()["items"]] == [report["id"]]
    answered = await api.post("city", f"/upward-reports/{report['id']}/answer", {"answer": "已转市住建局研究办理"})
    assert answered.status_code == 200 and answered.json()["status"] == "answered"


def test_a_tenant_naming_an_unknown_catalogue_item_for_a_committee_is_refused(tmp_path, plugin_host):
    import shutil

    from core.tenants.loader import TENANTS_DIR, read_tenant

    shutil.copytree(TENANTS_DIR / "data" / CITY, tmp_path / "data" / CITY)
    text = (TENANTS_DIR / "lianyungang.toml").read_text(encoding="utf-8")
    good = tmp_path / "lianyungang.toml"
    good.write_text(text.replace('"core.locale" = "zh-CN"', '"core.locale" = "zh-CN"\n'
                                 '"lianyungang.special_committees" = { "generic.yi.6" = "城乡建设委员会" }'),
                    encoding="utf-8")
    assert read_tenant(good, plugin_host).settings["lianyungang.special_committees"] == {
        "generic.yi.6": "城乡建设委员会"}
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('"core.locale" = "zh-CN"', '"core.locale" = "zh-CN"\n'
                                '"lianyungang.special_committees" = { "generic.yi.99" = "经济委员会" }'),
                   encoding="utf-8")
    with pytest.raises(ApiError) as refused:
        read_tenant(bad, plugin_host)
    assert "generic.yi.99" in str(refused.value.fields)
