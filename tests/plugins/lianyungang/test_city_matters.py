"""Matters for the city (seed 003 §三): those crossing districts or counties, and those involving
city departments, go to the city and are coordinated by the city CPPCC's special committee
matching the topic's category; a home's concentrated concerns are reported upward as 提案 or
社情民意信息 (§四)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from core import clock
from core.models import RegionSetting, Topic
from core.models.escalation import Escalation
from plugins.lianyungang.city_matters import MOVE_REASON, city_target
from plugins.lianyungang.models import CityMatter
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.plugins.lianyungang.conftest import (
    CITY, DONGYUAN, LIANYUN, NIUSHAN_COMMUNITY, SHENGLI, XIYUAN, designate)


@pytest.fixture(autouse=True)
def _today():
    clock.set_now(datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc))


class Api:
    def __init__(self, client, tokens):
        self.client = client
        self.tokens = tokens

    async def get(self, who, path, **params):
        return await self.client.get(f"/api/v1{path}", headers=self.tokens[who], params=params)

    async def post(self, who, path, body=None):
        return await self.client.post(f"/api/v1{path}", headers=self.tokens[who], json=body)

    async def submit(self, title, category, affected=None) -> int:
        body = {"title": title, "channel": "member", "category": category}
        if affected:
            body["affected_regions"] = affected
        answer = await self.post("chair", f"/regions/{DONGYUAN}/topics", body)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    async def admit(self, topic_id, **payload):
        return await self.post("chair", f"/topics/{topic_id}/actions/admit", payload)

    async def section(self, topic_id, who="chair"):
        view = await self.get(who, f"/topics/{topic_id}")
        assert view.status_code == 200, view.text
        return view.json()


@pytest_asyncio.fixture
async def api(db, runtime, lyg):
    await designate(db, runtime, DONGYUAN)
    people = {"chair": [("council_chair", DONGYUAN)], "city": [("city_admin", CITY)],
              "district": [("district_admin", LIANYUN)]}
    for name, grants in people.items():
        await make_user(db, name, *grants)
    async with app_client(runtime) as client:
        yield Api(client, {name: bearer(await login(client, name)) for name in people})


def test_the_city_is_the_target_once_communities_lie_in_two_districts():
    assert city_target(DONGYUAN, (DONGYUAN, NIUSHAN_COMMUNITY)) == CITY
    assert city_target(DONGYUAN, (DONGYUAN, SHENGLI)) is None   # two streets of 连云区: the district decides
    assert city_target(DONGYUAN, (DONGYUAN, XIYUAN)) is None


async def test_two_communities_in_different_districts_land_at_the_city_with_the_committee_named(api):
    topic_id = await api.submit("东园社区与牛山社区之间的公交线路", "generic.yi.7", [DONGYUAN, NIUSHAN_COMMUNITY])
    admitted = await api.admit(topic_id)
    assert admitted.status_code == 200, admitted.text
    view = await api.section(topic_id)
    assert view["region_code"] == CITY
    section = view["lianyungang"]
    assert (section["city_matter"], section["crosses_districts"], section["involves_city_departments"]) == (
        True, True, False)
    assert section["districts"] == ["320703", "320722"]
    assert section["special_committee"] == "城乡建设委员会"
    assert section["text_zh"] == "本议题跨县区，由市政协城乡建设委员会协调市有关部门参与协商"
    assert "城乡建设委员会" in section["text_en"] and "crosses districts" in section["text_en"]
    assert section["home"]["name"] == "东园社区政协市民协商民主之家"
    inbox = await api.get("city", f"/regions/{CITY}/escalations")
    assert [item["topic"]["id"] for item in inbox.json()["items"]] == [topic_id]


async def test_two_streets_of_one_district_stay_with_the_district(api):
    topic_id = await api.submit("东园与胜利两社区的排水", "generic.yi.6", [DONGYUAN, SHENGLI])
    assert (await api.admit(topic_id)).status_code == 200
    view = await api.section(topic_id)
    assert view["region_code"] == LIANYUN
    assert view["lianyungang"]["city_matter"] is False and "special_committee" not in view["lianyungang"]


async def test_a_single_community_topic_involving_city_departments_goes_to_the_city(api, db):
    topic_id = await api.submit("社区旁河道污染需市生态环境局处理", "generic.yi.5")
    admitted = await api.admit(topic_id, involves_city_departments=True)
    assert admitted.status_code == 200, admitted.text
    view = await api.section(topic_id)
    assert view["region_code"] == CITY and view["affected_regions"] == [DONGYUAN]
    section = view["lianyungang"]
    assert (section["city_matter"], section["crosses_districts"], section["involves_city_departments"]) == (
        True, False, True)
    assert section["special_committee"] == "人口资源环境委员会"
    assert section["text_zh"] == "本议题涉及市有关部门，由市政协人口资源环境委员会协调市有关部门参与协商"
    [move] = (await db.scalars(select(Escalation).where(Escalation.topic_id == topic_id))).all()
    assert (move.from_region_code, move.to_region_code, move.trigger, move.reason) == (
        DONGYUAN, CITY, "admit", MOVE_REASON)
    flag = await db.get(CityMatter, topic_id)
    assert flag is not None and flag.involves_city_departments is True


async def test_a_flag_that_is_not_true_or_false_is_refused_and_nothing_changes(api, db):
    topic_id = await api.submit("路灯", "generic.yi.6")
    refused = await api.admit(topic_id, involves_city_departments="是")
    assert refused.status_code == 400, refused.text
    [field] = refused.json()["error"]["fields"]
    assert field["field"] == "involves_city_departments"
    assert "true 或 false" in field["message_zh"] and "true or false" in field["message_en"]
    db.expire_all()
    topic = await db.get(Topic, topic_id)
    assert (topic.region_code, topic.step) == (DONGYUAN, "collect")
    assert await db.scalar(select(func.count()).select_from(CityMatter)) == 0
    # Left out or false: the topic is the community's.
    assert (await api.admit(topic_id, involves_city_departments=False)).status_code == 200
    assert (await api.section(topic_id))["region_code"] == DONGYUAN


async def test_the_committees_are_a_setting_and_an_unmatched_category_goes_to_the_office(api, db):
    db.add(RegionSetting(region_code=CITY, key="lianyungang.special_committees",
                         value={"generic.yi.7": "经济委员会"}))
    await db.commit()
    matched = await api.submit("跨区物流通道", "generic.yi.7", [DONGYUAN, NIUSHAN_COMMUNITY])
    await api.admit(matched)
    assert (await api.section(matched))["lianyungang"]["special_committee"] == "经济委员会"
    unmatched = await api.submit("跨区垃圾转运", "generic.yi.5", [DONGYUAN, NIUSHAN_COMMUNITY])
    await api.admit(unmatched)
    section = (await api.section(unmatched))["lianyungang"]
    assert section["special_committee"] is None and "市政协办公室" in section["text_zh"]


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

    from core.errors import ApiError
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
