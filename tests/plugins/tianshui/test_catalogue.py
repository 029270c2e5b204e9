"""九议 / 九不议 (seed 000 §四(三)): the texts are the seed's, and screening a
Tianshui topic against a 九不议 kind over HTTP rejects it citing the item
(number and text), with its route, in the decision and to the proposer."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from core.catalogue import EXCLUDED, catalogue_for_region
from core.models import RegionPlugin, ScreeningDecision, TopicFeedback
from core.builtin import make_plugin_manager
from plugins.tianshui.catalogue import ITEMS
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import add_regions

CITY, DISTRICT, STREET, COMMUNITY = "6205", "620502", "620502001", "620502001001"
REGIONS = [(CITY, "天水市"), (DISTRICT, "秦州区"), (STREET, "大城街道"), (COMMUNITY, "进步巷社区居委会")]

# Seed 000 §四(三), copied character for character.
SEED_PARAGRAPH = (
    "即:1.贯彻落实党委、政府重大决策部署过程中需要协商解决的问题;2.社区中长期发展规划、项目建设等重要事项;"
    "3.居民自治章程、居民公约、服务群众制度等规章制度的制定和修改;4.群众反映强烈、迫切需要解决的实际困难、问题和矛盾纠纷;"
    "5.困难群体救助、特殊群体帮扶和医疗卫生教育就业等民生保障事项;6.治安维护、道路交通整治、全域无垃圾治理、河长制落实、"
    "公共设施管理使用等公共治理事项;7.其他涉及社区多数居民切身利益的重要公共事务和公益事业事项;8.法律法规和政策明确要求协商"
    "的事项;9.各类协商主体提出协商需求的事项。“九不议”即:1.党的政策、国家相关法律法规的事项;2.上级党委、政府明确要求、明文"
    "规定必须执行的事项;3.损害国家、集体、他人合法权益的事项;4.违背群众利益,容易引起矛盾纠纷的事项;5.超出街道社区职能权限的"
    "事项;6.存在严重分歧、缺乏协商基础的事项;7.明显带有歧视性、不公平的事项;8.可以通过其他方式优先快速解决的事项;9.明确不应"
    "由基层群众性自治组织开展协商的其他事项。"
)


def _seed_items(part: str) -> list[str]:
    # "即:1.…;2.…;…9.…。" → the nine texts without their numbers and closing marks.
    return [text.rstrip(";。") for text in re.split(r"\d\.", part)[1:]]


def test_nine_and_nine_verbatim_from_the_seed():
    yi_part, buyi_part = SEED_PARAGRAPH.split("“九不议”")
    yi = [i for i in ITEMS if i.kind == "admissible"]
    buyi = [i for i in ITEMS if i.kind == "excluded"]
    assert [i.text_zh for i in yi] == _seed_items(yi_part)
    assert [i.text_zh for i in buyi] == _seed_items(buyi_part)
    assert [(i.code, i.number) for i in yi] == [(f"tianshui.yi.{n}", n) for n in range(1, 10)]
    assert [(i.code, i.number) for i in buyi] == [(f"tianshui.buyi.{n}", n) for n in range(1, 10)]
    assert all(i.text_en for i in ITEMS)


def test_beyond_authority_goes_upward_and_faster_another_way_to_the_department():
    routes = {i.number: i.route for i in ITEMS if i.kind == EXCLUDED}
    assert routes == {1: None, 2: None, 3: None, 4: None, 5: "forward_upward", 6: None, 7: None,
                      8: "refer_department", 9: None}


def test_the_generic_catalogue_stands_down_where_tianshui_is_on():
    host = make_plugin_manager()
    codes = [i.code for i in catalogue_for_region(host, COMMUNITY, {"tianshui"}).items]
    assert codes == [i.code for i in ITEMS]
    assert all(c.startswith("generic.") for c in
               (i.code for i in catalogue_for_region(host, COMMUNITY, set()).items))


# -- over HTTP, both backends ---------------------------------------------------------

@pytest_asyncio.fixture
async def api(db, runtime):
    await add_regions(db, *REGIONS)
    db.add(RegionPlugin(region_code=CITY, plugin="tianshui", enabled=True))
    await db.commit()
    await make_user(db, "jinbu_resident", ("resident", COMMUNITY))
    await make_user(db, "jinbu_secretary", ("council_secretary", COMMUNITY))
    async with app_client(runtime) as client:
        client.headers_of = {name: bearer(await login(client, name))
                             for name in ("jinbu_resident", "jinbu_secretary")}
        yield client


async def _submit(api, title: str, category: str = "tianshui.yi.6"):
    return await api.post(f"/api/v1/regions/{COMMUNITY}/topics", headers=api.headers_of["jinbu_resident"], json={
        "title": title, "description": "楼道堆物", "channel": "resident", "scale": "minor", "category": category})


async def _reject(api, topic_id: int, **payload):
    return await api.post(f"/api/v1/topics/{topic_id}/actions/reject", json=payload,
                          headers=api.headers_of["jinbu_secretary"])


@pytest.mark.parametrize(("number", "text", "route", "route_zh", "referral", "status"), [
    # Forwarded upward, the topic is open again at the street's council.
    (5, "超出街道社区职能权限的事项", "forward_upward", "提请上级协商", {}, "open"),
    (8, "可以通过其他方式优先快速解决的事项", "refer_department", "转交职能部门办理",
     {"referred_to": "秦州区城市管理局"}, "rejected"),
], ids=["buyi_5_upward", "buyi_8_department"])
async def test_rejection_cites_the_nine_exclusions_item_in_the_decision_and_to_the_proposer(
        db, api, number, text, route, route_zh, referral, status):
    created = await _submit(api, "楼道堆物清理")
    assert created.status_code == 201, created.text
    topic_id = created.json()["id"]
    answer = await _reject(api, topic_id, note="依九不议", catalogue_item=f"tianshui.buyi.{number}", **referral)
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["status"] == status
    [screening] = view["screening"]
    assert (screening["admissible"], screening["catalogue_item"], screening["catalogue_text"], screening["route"]) \
        == (False, f"tianshui.buyi.{number}", text, route)
    assert text in screening["feedback"] and route_zh in screening["feedback"]
    [cited] = view["tianshui"]["citations"]
    assert (cited["list_zh"], cited["number"], cited["text_zh"]) == ("九不议", number, text)
    assert cited["citation_zh"] == f"“九不议”第 {number} 条：{text}"

    # The proposer sees the same, and was told.
    mine = await api.get(f"/api/v1/topics/{topic_id}", headers=api.headers_of["jinbu_resident"])
    assert mine.json()["tianshui"]["citations"][0]["number"] == number
    db.expire_all()
    decision = await db.scalar(select(ScreeningDecision).where(ScreeningDecision.topic_id == topic_id))
    assert (decision.catalogue_code, decision.catalogue_text, decision.route) == (
        f"tianshui.buyi.{number}", text, route)
    feedback = (await db.scalars(select(TopicFeedback).where(TopicFeedback.topic_id == topic_id)
                                 .order_by(TopicFeedback.id))).all()[0]
    assert text in feedback.text_zh and route_zh in feedback.text_zh
    assert feedback.recipient_name and feedback.recipient_user_id is not None


async def test_only_tianshui_items_may_be_cited_and_nothing_is_written_otherwise(db, api):
    generic = await _submit(api, "楼道灯", category="generic.yi.6")
    assert generic.status_code == 400
    assert generic.json()["error"]["fields"][0]["field"] == "category"
    topic_id = (await _submit(api, "楼道灯")).json()["id"]
    for cited in ("tianshui.yi.6", "generic.buyi.4", "tianshui.buyi.10"):
        refused = await _reject(api, topic_id, note="x", catalogue_item=cited)
        assert refused.status_code == 400, refused.text
        field = refused.json()["error"]["fields"][0]
        assert field["field"] == "catalogue_item" and cited in field["message_zh"]
    shown = await api.get(f"/api/v1/topics/{topic_id}", headers=api.headers_of["jinbu_secretary"])
    assert shown.json()["status"] == "open" and shown.json()["screening"] == []


SEEDS = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"


def test_the_quoted_paragraph_is_the_seed_file_s_own():
    [seed] = SEEDS.glob("000_*.txt")
    assert SEED_PARAGRAPH in seed.read_text(encoding="utf-8")


async def test_the_catalogue_route_lists_nine_and_nine_verbatim_for_a_community(api):
    """A screener reads the items in force with their numbers, not item keys from a README;
    residents read the same catalogue on the community's public page without logging in."""
    yi_part, buyi_part = SEED_PARAGRAPH.split("“九不议”")
    staff = await api.get(f"/api/v1/regions/{COMMUNITY}/catalogue", headers=api.headers_of["jinbu_secretary"])
    public = await api.get(f"/api/v1/public/regions/{COMMUNITY}/catalogue")
    for answer in (staff, public):
        assert answer.status_code == 200, answer.text
        kinds = {k["kind"]: k for k in answer.json()["kinds"]}
        assert [i["text_zh"] for i in kinds["admissible"]["items"]] == _seed_items(yi_part)
        assert [i["text_zh"] for i in kinds["excluded"]["items"]] == _seed_items(buyi_part)
        assert [i["number"] for i in kinds["excluded"]["items"]] == list(range(1, 10))
        routes = {i["number"]: i["route"] for i in kinds["excluded"]["items"] if i["route"]}
        assert routes[5]["title_zh"] == "提请上级协商" and routes[8]["title_zh"] == "转交职能部门办理"
    # The public twin opens only at a street or community that exists.
    assert (await api.get(f"/api/v1/public/regions/{CITY}/catalogue")).status_code == 404
    assert (await api.get("/api/v1/public/regions/620502001999/catalogue")).status_code == 404
