"""切口小、立意高、关联广 and the forms of 社会征 (seed 004 §二): an admission confirms each
criterion or is refused field by field with nothing kept; the form of 社会征 a topic
came by is recorded with the admission; the topic view shows both."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import ApiError
from core.models import ScreeningDecision, Topic, TopicEvent
from plugins.four_visits_six_steps.intake import CHANNELS, CRITERIA, SOURCES
from tests.plugins.four_visits_six_steps.conftest import STANDARD, YONGFUYUAN, act, admit, seed_text, submit

SECTION = "four_visits_six_steps"


def fields(error: ApiError) -> dict[str, tuple[str, str]]:
    return {f.field: (f.message_zh, f.message_en) for f in error.fields}


async def untouched(db, topic_id: int) -> None:
    """Still where it was submitted: no admission, no screening decision."""
    await db.rollback()
    topic = await db.get(Topic, topic_id, populate_existing=True)
    assert (topic.step, topic.status) == ("collect", "open")
    assert [e.action for e in await db.scalars(select(TopicEvent).where(TopicEvent.topic_id == topic_id))] == [
        "submit"]
    assert await db.scalar(select(func.count()).select_from(ScreeningDecision)
                           .where(ScreeningDecision.topic_id == topic_id)) == 0


def test_the_standard_the_sources_and_the_channels_are_the_reports_words():
    text = seed_text()
    assert "以“切口小、立意高、关联广”为议题选择标准" in text
    assert "、".join(zh for zh, *_ in CRITERIA.values()) == "切口小、立意高、关联广"
    assert all(zh in text for zh, _en in SOURCES.values())
    assert [SOURCES[k][0] for k in ("love_station", "home_visit", "grid", "office_phone")] == [
        "365爱心服务站", "入户走访", "网格", "办公电话"]
    assert "“" + "、".join(CHANNELS[k][0] for k in ("assigned", "member", "resident")) + "”的选题机制" in text


async def test_an_admission_without_the_standard_is_refused_over_http_naming_each_criterion(db, county, client,
                                                                                            people):
    chair = await people("chair")
    topic = await submit(client, chair, YONGFUYUAN, "泾崇路无停车位")
    refused = await act(client, chair, topic["id"], "admit", catalogue_item="four_visits_six_steps.yi.7")
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "validation_failed"
    assert "切口小、立意高、关联广" in error["message_zh"]
    by_field = {f["field"]: f for f in error["fields"]}
    assert list(by_field) == [f"selection_standard.{key}" for key in STANDARD]
    assert "未确认“切口小”" in by_field["selection_standard.small_entry"]["message_zh"]
    assert "“立意高” (a high purpose" in by_field["selection_standard.high_aim"]["message_en"]
    await untouched(db, topic["id"])


async def test_a_missing_criterion_is_named_and_nothing_is_kept(db, county, client, people):
    topic = await submit(client, await people("chair"), YONGFUYUAN, "环卫工人工作生活不便")
    with pytest.raises(ApiError) as refused:
        await admit(db, county, people, "chair", topic["id"], selection_standard=["small_entry", "wide_links"])
    assert refused.value.status_code == 400
    assert list(fields(refused.value)) == ["selection_standard.high_aim"]
    assert "尚缺：立意高" in refused.value.message_zh and "missing: high_aim" in refused.value.message_en
    await untouched(db, topic["id"])

    with pytest.raises(ApiError) as refused:
        await admit(db, county, people, "chair", topic["id"],
                    selection_standard={"small_entry": True, "high_aim": False, "wide_links": "", "depth": True})
    assert list(fields(refused.value)) == ["selection_standard.depth", "selection_standard.high_aim",
                                           "selection_standard.wide_links"]
    with pytest.raises(ApiError) as refused:
        await admit(db, county, people, "chair", topic["id"], selection_standard="all of them")
    assert list(fields(refused.value)) == ["selection_standard"]
    await untouched(db, topic["id"])


async def test_the_whole_standard_admits_and_is_kept_with_the_form_of_collection(db, county, client, people):
    chair = await people("chair")
    topic = await submit(client, chair, YONGFUYUAN, "中山街无公厕")
    before = (await client.get(f"/api/v1/topics/{topic['id']}", headers=chair)).json()[SECTION]
    assert before["selection_standard"]["admitted"] is False
    assert {c["confirmed"] for c in before["selection_standard"]["criteria"]} == {None}
    assert before["channel"]["title_zh"] == "社会征（工作人员代录）" and before["source"] is None
    assert [s["key"] for s in before["sources"]] == list(SOURCES)

    await admit(db, county, people, "chair", topic["id"], source="home_visit",
                selection_standard={"small_entry": "只涉及中山街一处公厕选址", "high_aim": True, "wide_links": True})
    shown = (await client.get(f"/api/v1/topics/{topic['id']}", headers=chair)).json()
    assert shown["step"]["key"] == "confirm"
    [admission] = [h for h in shown["history"] if h["action"] == "admit"]
    assert admission["data"]["source"] == "home_visit"
    assert admission["data"]["selection_standard"] == {"small_entry": "只涉及中山街一处公厕选址", "high_aim": True,
                                                       "wide_links": True}
    section = shown[SECTION]
    assert section["selection_standard"]["admitted"] is True
    assert [(c["key"], c["confirmed"], c["explanation"]) for c in section["selection_standard"]["criteria"]] == [
        ("small_entry", True, "只涉及中山街一处公厕选址"), ("high_aim", True, None), ("wide_links", True, None)]
    assert section["source"] == {"key": "home_visit", "title_zh": "入户走访", "title_en": "home visits"}
    assert any("不调研不协商" in rule["zh"] for rule in section["enforced"])


async def test_a_residents_own_topic_may_name_its_form_and_one_from_the_party_may_not(db, county, client, people):
    own = await submit(client, await people("resident"), YONGFUYUAN, "小区路灯不亮", channel="resident")
    await admit(db, county, people, "chair", own["id"], source="love_station")
    event = await db.scalar(select(TopicEvent).where(TopicEvent.topic_id == own["id"], TopicEvent.action == "admit"))
    assert event.data["source"] == "love_station" and event.data["catalogue_item"] == "four_visits_six_steps.yi.7"

    plain = await submit(client, await people("chair"), YONGFUYUAN, "楼道堆物", channel="on_behalf")
    await admit(db, county, people, "chair", plain["id"])
    event = await db.scalar(select(TopicEvent).where(TopicEvent.topic_id == plain["id"], TopicEvent.action == "admit"))
    assert "source" not in event.data and event.data["selection_standard"] == dict.fromkeys(STANDARD, True)

    assigned = await submit(client, await people("street"), YONGFUYUAN, "老旧小区改造", channel="assigned")
    with pytest.raises(ApiError) as refused:
        await admit(db, county, people, "chair", assigned["id"], source="grid")
    [(zh, en)] = fields(refused.value).values()
    assert list(fields(refused.value)) == ["source"] and "党政交" in zh and "takes no source" in en
    await untouched(db, assigned["id"])

    unknown = await submit(client, await people("resident"), YONGFUYUAN, "垃圾分类点太远", channel="resident")
    with pytest.raises(ApiError) as refused:
        await admit(db, county, people, "chair", unknown["id"], source="wechat")
    assert list(fields(refused.value)) == ["source"] and "office_phone" in refused.value.fields[0].message_en
    await untouched(db, unknown["id"])


async def test_over_http_the_admit_form_carries_the_standard_and_the_form_of_collection(db, county, client, people):
    chair = await people("chair")
    topic = await submit(client, chair, YONGFUYUAN, "泾崇路无停车位")
    missing = await act(client, chair, topic["id"], "admit", selection_standard=["small_entry"])
    assert missing.status_code == 400
    assert {f["field"] for f in missing.json()["error"]["fields"]} == {"selection_standard.high_aim",
                                                                     "selection_standard.wide_links"}
    admitted = await act(client, chair, topic["id"], "admit", source="office_phone",
                         selection_standard=["small_entry", "high_aim", "wide_links"])
    assert admitted.status_code == 200, admitted.text
    assert admitted.json()[SECTION]["source"]["title_zh"] == "办公电话"


async def test_the_admit_page_asks_for_each_criterion_and_the_form_of_collection(db, county, client, people):
    from tests.page_helpers import page_form, page_login, post_form

    topic = await submit(client, await people("chair"), YONGFUYUAN, "环卫工人休息点")
    client.follow_redirects = False
    await page_login(client, "chair")
    url = f"/topics/{topic['id']}/act/admit"
    html, once = await page_form(client, url)
    assert "议题选择标准（逐项确认）" in html and "切口小" in html and "入户走访" in html
    item = "four_visits_six_steps.yi.6"
    short = await post_form(client, url, {"catalogue_item": item, "selection_standard": "small_entry"}, once=once)
    assert short.status_code == 400 and "立意高" in short.text
    answer = await post_form(client, url, [("catalogue_item", item), ("selection_standard", "small_entry"),
                                           ("selection_standard", "high_aim"), ("selection_standard", "wide_links"),
                                           ("source", "grid")], once=once)
    assert answer.status_code == 303, answer.text
    shown = (await client.get(f"/api/v1/topics/{topic['id']}", headers=await people("chair"))).json()
    assert shown["step"]["key"] == "confirm" and shown[SECTION]["source"]["key"] == "grid"
