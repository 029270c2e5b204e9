"""The topic pages on both backends: the board of a region grouped by its own procedure's
steps, submitting on a resident's behalf, a topic's page with its history in words and exactly
the buttons its user may press, and the action forms posted as a browser posts them."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest_asyncio
from sqlalchemy import func, select

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.models import RegionPlugin, ScreeningDecision, Topic, TopicEvent, User
from core.models.consultation import Meeting, Research
from core.models.implementation import Task
from core.procedures.generic import GENERIC
from core.topics import service as topics
from tests import walk
from tests.auth_helpers import app_client, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.page_helpers import once_token, page_form, page_login, post_form

COMMUNITY = "330203001001"  # 青石社区
OTHER_COMMUNITY = "330203002001"  # 中山社区, another street
NINGBO_CITY = "3302"
# 2030-05-06 09:00 in Beijing.
T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)
# A PNG's signature is what the attachment store checks.
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest_asyncio.fixture
async def world(db, runtime):
    clock.set_now(T0)
    await add_regions(db, *SMALL_TREE)
    people = {}
    for name, grants in {"chair": [("council_chair", COMMUNITY)], "secretary": [("council_secretary", COMMUNITY)],
                         "member": [("council_member", COMMUNITY)], "resident": [("resident", COMMUNITY)],
                         "other_chair": [("council_chair", OTHER_COMMUNITY)]}.items():
        user = await make_user(db, name, *grants)
        user = await db.scalar(select(User).where(User.id == user.id).execution_options(populate_existing=True))
        people[name] = principal_of(user)
    await walk.seat_council(db, runtime.plugins, COMMUNITY)
    authorizer = Authorizer()
    await authorizer.load(db)

    async def submit(title: str, **extra) -> int:
        topic = await topics.create_topic(db, people["resident"], COMMUNITY,
                                          {"title": title, "channel": "resident", "category": "generic.yi.6",
                                           **extra}, plugins=runtime.plugins, authorizer=authorizer)
        return topic.id

    async def act(who: str, topic_id: int, action: str, **payload) -> None:
        await topics.perform_action(db, people[who], topic_id, action, payload, plugins=runtime.plugins,
                                    authorizer=authorizer)

    fresh = await submit("小区路灯不亮", description="3 号楼前路灯坏了两个月")
    researching = await submit("楼道堆物清理")
    await act("secretary", researching, "admit")
    await act("chair", researching, "confirm")
    await db.commit()
    return {"fresh": fresh, "researching": researching, "submit": submit, "act": act, "people": people}


@pytest_asyncio.fixture
async def client(runtime, world):
    async with app_client(runtime) as test_client:
        # Each answer as the browser gets it: a form's 303 is checked, not followed.
        test_client.follow_redirects = False
        yield test_client


async def reread(db):
    """End the checking session's snapshot, so that it sees what the app wrote."""
    await db.rollback()
    return db


async def count(db, model, *where) -> int:
    await reread(db)
    return await db.scalar(select(func.count()).select_from(model).where(*where))


def visible_text(html: str) -> str:
    """What a reader sees: no tags, attributes, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find("<section", start + 1)
    return html[start:end if end > 0 else len(html)]


def act_links(html: str, topic_id: int) -> set[str]:
    return set(re.findall(rf'href="/topics/{topic_id}/act/([a-z_]+)"', html))


async def test_the_board_groups_by_the_regions_steps_with_counts_filters_and_pages(client, db, world):
    for n in range(21):
        await world["submit"](f"议题 {n:02d}", channel="resident")
    await db.commit()
    await page_login(client, "chair")
    page = await client.get(f"/r/{COMMUNITY}/topics")
    assert page.status_code == 200, page.text
    steps = visible_text(section(page.text, "steps-h"))
    # The region's own procedure, in its order, with the number at each step.
    assert [s.title_zh for s in GENERIC.steps] == re.findall(r"(\S+)\s+\d+ 个", steps)
    assert re.search(r"收集议题\s+22 个", steps) and re.search(r"议前调研\s+1 个", steps)
    assert re.search(r"确定议题\s+0 个", steps)
    assert "共 23 个议题" in page.text and "第 1 页，共 2 页" in page.text
    assert f'href="/topics/{world["fresh"]}"' not in page.text  # the oldest are on page 2
    second = await client.get(f"/r/{COMMUNITY}/topics?page=2")
    assert f'href="/topics/{world["fresh"]}"' in second.text and "第 2 页，共 2 页" in second.text

    researching = await client.get(f"/r/{COMMUNITY}/topics?step=research&status=open&channel=")
    assert researching.status_code == 200
    listed = set(re.findall(r'href="/topics/(\d+)"', researching.text))
    assert listed == {str(world["researching"])}
    assert "楼道堆物清理" in section(researching.text, "g-research")
    # Counts keep every step's number while one step is shown.
    assert re.search(r"收集议题\s+22 个", visible_text(section(researching.text, "steps-h")))
    assert not re.findall(r'href="/topics/\d+"', (await client.get(f"/r/{COMMUNITY}/topics?channel=assigned")).text)

    task_topic = world["researching"]
    db.add(Task(topic_id=task_topic, region_code=COMMUNITY, title="更换灯具", responsible_name="物业",
                deadline=T0 - timedelta(days=2), created_at=T0 - timedelta(days=20)))
    await db.commit()
    overdue = await client.get(f"/r/{COMMUNITY}/topics?overdue=1")
    assert set(re.findall(r'href="/topics/(\d+)"', overdue.text)) == {str(task_topic)}


async def test_the_board_follows_the_regions_own_procedure(client, db, world, runtime):
    db.add(RegionPlugin(region_code=NINGBO_CITY, plugin="ningbo", enabled=True))
    await db.commit()
    await page_login(client, "chair")
    page = await client.get(f"/r/{COMMUNITY}/topics")
    steps = visible_text(section(page.text, "steps-h"))
    assert "研究筛选议题" in steps and "提前公示协商方案并通报协商主体" in steps and "居民（代表）会议决定" in steps
    # The topics started under the generic procedure are still listed, under other steps.
    assert "其他步骤" in page.text and "小区路灯不亮" in page.text


async def test_the_topic_page_shows_its_history_in_words_and_exactly_the_allowed_buttons(client, db, world,
                                                                                        runtime):
    await page_login(client, "chair")
    topic_id = world["researching"]
    page = await client.get(f"/topics/{topic_id}")
    assert page.status_code == 200, page.text
    authorizer = Authorizer()
    await authorizer.load(await reread(db))
    view = await topics.topic_view(db, world["people"]["chair"], topic_id, plugins=runtime.plugins,
                                   authorizer=authorizer)
    assert act_links(page.text, topic_id) == {a["key"] for a in view["actions"]} == {"record_research"}
    now = section(page.text, "now-h")
    assert "安排协商会议" in now and "不调研不协商" in now
    text = visible_text(page.text)
    # Who, what and when, in China time; the channel's name, not its key.
    assert "2030-05-06 09:00" in text and "通过“社会征”渠道提交议题" in text
    assert "受理议题" in text and "依据议事目录第 6 条“公共设施维护”" in text and "进入“议前调研”" in text
    assert "记录调研 — 议事会召集人、议事会秘书、议事会成员、政协委员" in re.sub(r"\s+", " ", text)
    assert "Move up" not in text and "上移至街道或区县" in text

    # A member may record research too, but not schedule: no button, the same reason.
    await page_login(client, "member")
    member_page = await client.get(f"/topics/{topic_id}")
    assert act_links(member_page.text, topic_id) == {"record_research"}
    assert "不调研不协商" not in member_page.text and "上移至街道或区县" not in member_page.text

    refused = await client.get(f"/topics/{topic_id}/act/schedule_meeting")
    assert refused.status_code == 403 and "您的角色不能" in refused.text
    assert f'action="/topics/{topic_id}/act/schedule_meeting"' not in refused.text
    await page_login(client, "chair")
    blocked = await client.get(f"/topics/{topic_id}/act/schedule_meeting")
    assert blocked.status_code == 409 and "不调研不协商" in blocked.text


async def test_admitting_through_the_form_cites_the_catalogue_and_moves_the_step(client, db, world):
    await page_login(client, "secretary")
    topic_id = world["fresh"]
    html, once = await page_form(client, f"/topics/{topic_id}/act/admit")
    # The catalogue in force, numbered, verbatim; the topic's category chosen already.
    assert "第 6 条：公共设施维护" in html and "第 1 条：公益事业兴办" in html
    assert re.search(r'value="generic.yi.6" checked', html)
    answer = await post_form(client, f"/topics/{topic_id}/act/admit",
                             {"catalogue_item": "generic.yi.5", "note": "符合议事目录", "feedback": "请留意后续通知"},
                             once=once)
    assert answer.status_code == 303 and answer.headers["location"] == f"/topics/{topic_id}"
    await reread(db)
    topic = await db.get(Topic, topic_id)
    assert topic.step == "confirm"
    decision = await db.scalar(select(ScreeningDecision).where(ScreeningDecision.topic_id == topic_id))
    assert decision.admissible and decision.catalogue_code == "generic.yi.5" and decision.catalogue_text == "环境整治"
    shown = await client.get(f"/topics/{topic_id}")
    assert "操作已记录。" in shown.text and "第 5 条：环境整治" in section(shown.text, "screening-h")


async def test_a_second_submission_of_the_same_form_takes_the_action_once(client, db, world):
    await page_login(client, "secretary")
    topic_id = world["fresh"]
    _, once = await page_form(client, f"/topics/{topic_id}/act/admit")
    fields = {"catalogue_item": "generic.yi.6", "note": ""}
    first = await post_form(client, f"/topics/{topic_id}/act/admit", fields, once=once)
    again = await post_form(client, f"/topics/{topic_id}/act/admit", fields, once=once)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"] == f"/topics/{topic_id}"
    assert await count(db, TopicEvent, TopicEvent.topic_id == topic_id, TopicEvent.action == "admit") == 1
    assert await count(db, ScreeningDecision, ScreeningDecision.topic_id == topic_id) == 1


async def test_research_through_the_form_is_recorded_with_its_photo(client, db, world):
    await page_login(client, "member")
    topic_id = world["researching"]
    html, once = await page_form(client, f"/topics/{topic_id}/act/record_research")
    assert 'enctype="multipart/form-data"' in html and "实地调研" in html and "走访座谈" in html
    answer = await post_form(client, f"/topics/{topic_id}/act/record_research",
                             [("method", "site_visit"), ("method", "interviews"), ("findings", "楼道堆放杂物 12 处"),
                              ("note", "清理可行，需物业配合"), ("draft_plan", "组织居民集中清理")],
                             once=once, files={"photos": ("楼道.png", PHOTO, "image/png")})
    assert answer.status_code == 303, answer.text
    await reread(db)
    research = await db.scalar(select(Research).where(Research.topic_id == topic_id))
    assert research.methods == ["site_visit", "interviews"] and research.findings == "楼道堆放杂物 12 处"
    assert len(research.attachments) == 1
    page = await client.get(f"/topics/{topic_id}")
    block = visible_text(section(page.text, "research-h"))
    assert "实地调研、走访座谈" in block and "组织居民集中清理" in block and "附件 1" in block


async def test_a_bad_field_comes_back_beside_the_field_with_what_was_typed_and_nothing_made(client, db, world):
    topic_id = world["researching"]
    await world["act"]("member", topic_id, "record_research", **walk.RESEARCH)
    await db.commit()
    await page_login(client, "secretary")
    html, once = await page_form(client, f"/topics/{topic_id}/act/schedule_meeting")
    assert "居民说事会" in html and "会议协商" in html and 'type="datetime-local"' in html
    without_place = await post_form(client, f"/topics/{topic_id}/act/schedule_meeting",
                                    [("form", "meeting"), ("kind", "deliberation"), ("starts_at", "2030-05-08T19:30"),
                                     ("title", "楼道清理协商会"), ("participant_name", "王经理"),
                                     ("participant_category", "stakeholder"), ("participant_name", ""),
                                     ("participant_category", "")], once=once)
    assert without_place.status_code == 400
    assert re.search(r'id="e-place">现场会议须填写地点<', without_place.text)
    assert 'value="2030-05-08T19:30"' in without_place.text and 'value="楼道清理协商会"' in without_place.text
    assert 'value="王经理"' in without_place.text and re.search(r'value="stakeholder" selected', without_place.text)
    # The same one-time token: the form may be sent again once corrected.
    assert once_token(without_place.text) == once
    without_time = await post_form(client, f"/topics/{topic_id}/act/schedule_meeting",
                                   {"form": "meeting", "kind": "deliberation", "place": "社区议事厅"}, once=once)
    assert without_time.status_code == 400 and re.search(r'id="e-starts_at">请填写会议时间<', without_time.text)
    assert await count(db, Meeting) == 0
    assert await count(db, TopicEvent, TopicEvent.action == "schedule_meeting") == 0
    assert (await db.get(Topic, topic_id)).step == "research"

    fixed = await post_form(client, f"/topics/{topic_id}/act/schedule_meeting",
                            {"form": "meeting", "kind": "deliberation", "starts_at": "2030-05-08T19:30",
                             "place": "社区议事厅", "participant_name": "王经理",
                             "participant_category": "stakeholder"}, once=once)
    assert fixed.status_code == 303, fixed.text
    await reread(db)
    meeting = await db.scalar(select(Meeting))
    # Typed as China time, stored as UTC.
    assert meeting.starts_at == datetime(2030, 5, 8, 11, 30, tzinfo=timezone.utc)
    page = await client.get(f"/topics/{topic_id}")
    assert f'href="/meetings/{meeting.id}"' in page.text and "2030-05-08 19:30" in page.text


async def test_submitting_on_behalf_creates_the_topic_and_refuses_a_missing_proposer(client, db, world):
    await page_login(client, "secretary")
    html, once = await page_form(client, f"/r/{COMMUNITY}/topics/new")
    assert "代录" in html and "党政交" in html and "急事" in html and "第 6 条：公共设施维护" in html
    refused = await post_form(client, f"/r/{COMMUNITY}/topics/new",
                              {"title": "垃圾分类点太远", "channel": "on_behalf", "scale": "minor"}, once=once)
    assert refused.status_code == 400 and 'id="e-proposer_name"' in refused.text
    assert 'value="垃圾分类点太远"' in refused.text
    before = await count(db, Topic)
    made = await post_form(client, f"/r/{COMMUNITY}/topics/new",
                           {"title": "垃圾分类点太远", "channel": "on_behalf", "scale": "minor",
                            "category": "generic.yi.5", "proposer_name": "张阿姨", "proposer_contact": "13800001111"},
                           once=once)
    assert made.status_code == 303
    assert await count(db, Topic) == before + 1
    topic = await db.scalar(select(Topic).order_by(Topic.id.desc()).limit(1))
    assert made.headers["location"] == f"/topics/{topic.id}"
    assert topic.channel == "on_behalf" and topic.proposer_name == "张阿姨"
    page = await client.get(f"/topics/{topic.id}")
    assert "通过“代录”渠道提交议题" in page.text and "13800001111" in page.text


async def test_another_regions_user_gets_the_not_found_page(client, world):
    await page_login(client, "other_chair")
    topic_id = world["fresh"]
    for url in (f"/topics/{topic_id}", f"/topics/{topic_id}/act/admit", f"/topics/{topic_id}/escalate",
                f"/topics/{topic_id}/upward-report", f"/r/{COMMUNITY}/topics", f"/r/{COMMUNITY}/topics/new"):
        page = await client.get(url)
        assert page.status_code == 404, url
        assert "text/html" in page.headers["content-type"] and "小区路灯不亮" not in page.text
    posted = await post_form(client, f"/topics/{topic_id}/act/admit", {"catalogue_item": "generic.yi.6"},
                             once="x" * 20)
    assert posted.status_code == 404 and "text/html" in posted.headers["content-type"]


async def test_the_chinese_pages_show_no_action_key_and_the_english_ones_the_english_titles(client, world):
    await page_login(client, "chair")
    topic_id = world["researching"]
    # The users' names are their own ("resident 显示名"): only what the platform writes is looked for.
    keys = GENERIC.action_keys() | {"system", "site_visit", "on_behalf", "screen_admit", "generic"}
    for url in (f"/topics/{topic_id}", f"/r/{COMMUNITY}/topics", f"/topics/{topic_id}/act/record_research",
                f"/topics/{world['fresh']}/act/admit", f"/topics/{world['fresh']}/act/reject"):
        text = visible_text((await client.get(url)).text)
        shown = {key for key in keys if re.search(rf"\b{key}\b", text)}
        assert not shown, (url, shown)
    client.cookies.set("yishi_lang", "en")
    page = await client.get(f"/topics/{topic_id}")
    text = visible_text(page.text)
    assert "research" in text and "record research" in text and "admit for consultation" in text
    assert "submitted the topic (channel: submitted by a resident)" in text
    assert "no research, no consultation" in text and "受理议题" not in text
    board = visible_text((await client.get(f"/r/{COMMUNITY}/topics")).text)
    assert "collect topics" in board and "confirm the topic" in board and "收集议题" not in board


async def test_escalation_and_an_upward_report_through_their_forms(client, db, world):
    await page_login(client, "chair")
    topic_id = world["fresh"]
    html, once = await page_form(client, f"/topics/{topic_id}/upward-report")
    assert "提案" in html and "社情民意信息" in html and "月湖街道" in html and "海曙区" in html
    filed = await post_form(client, f"/topics/{topic_id}/upward-report",
                            {"kind": "proposal", "to_region": "330203001", "title": "路灯维修经费",
                             "body": "建议街道统筹安排路灯维修经费"}, once=once)
    assert filed.status_code == 303 and filed.headers["location"] == f"/topics/{topic_id}"

    html, once = await page_form(client, f"/topics/{topic_id}/escalate")
    assert "天一社区" in html  # a community of the same street, to name as concerned too
    refused = await post_form(client, f"/topics/{topic_id}/escalate",
                              {"reason": "", "affected_regions": "330203001002"}, once=once)
    assert refused.status_code == 400 and re.search(r'id="e-reason">请说明上移理由<', refused.text)
    assert re.search(r'value="330203001002" checked', refused.text)
    assert (await reread(db)) and (await db.get(Topic, topic_id)).region_code == COMMUNITY
    moved = await post_form(client, f"/topics/{topic_id}/escalate",
                            {"reason": "两个社区共用的路灯", "affected_regions": "330203001002"}, once=once)
    assert moved.status_code == 303
    await reread(db)
    assert (await db.get(Topic, topic_id)).region_code == "330203001"
    # The source community still follows it; its history says what happened, in words.
    text = re.sub(r"\s+", " ", visible_text((await client.get(f"/topics/{topic_id}")).text))
    assert "chair 显示名向月湖街道报送提案" in text and "路灯维修经费" in text
    assert "chair 显示名将议题上移至月湖街道（应申请上移）" in text and "两个社区共用的路灯" in text


async def test_an_action_of_another_step_is_refused_in_words(client, world):
    await page_login(client, "chair")
    page = await client.get(f"/topics/{world['fresh']}/act/schedule_meeting")
    assert page.status_code == 409
    assert "“收集议题”步骤不能执行“安排协商会议”。" in page.text and "schedule_meeting" not in visible_text(page.text)
    unknown = await client.get(f"/topics/{world['fresh']}/act/no_such_action")
    assert unknown.status_code == 404 and "text/html" in unknown.headers["content-type"]


async def test_the_resolution_and_the_answer_to_an_objection_through_their_forms(client, db, world, runtime):
    topic_id = world["researching"]
    await world["act"]("member", topic_id, "record_research", **walk.RESEARCH)
    await world["act"]("secretary", topic_id, "schedule_meeting", **walk.meeting())
    await walk.hold_vote(db, runtime.plugins, world["people"]["secretary"], topic_id, resolution_text="集中清理楼道")
    await db.commit()
    await page_login(client, "secretary")
    html, once = await page_form(client, f"/topics/{topic_id}/act/record_resolution")
    assert "村规民约" in html and "居民公约" in html and "计划方案" in html and "公示 7 天" in html
    missing = await post_form(client, f"/topics/{topic_id}/act/record_resolution",
                              {"form": "plan", "responsible_party": "物业公司", "note": "表决通过"}, once=once)
    assert missing.status_code == 400 and re.search(r'id="e-deadline">请填写完成时限<', missing.text)
    assert 'value="物业公司"' in missing.text and re.search(r'value="plan" selected', missing.text)
    done = await post_form(client, f"/topics/{topic_id}/act/record_resolution",
                           {"form": "plan", "responsible_party": "物业公司", "note": "表决通过",
                            "deadline": "2030-06-30", "measures": "周六集中清理"}, once=once)
    assert done.status_code == 303, done.text
    await world["act"]("member", topic_id, "object", note="清理时间不合适", contact="13900001111")
    await db.commit()
    page = await client.get(f"/topics/{topic_id}")
    notices = section(page.text, "notices-h")
    notice_id = re.search(r'href="/notices/(\d+)"', notices).group(1)
    assert f'href="/notices/{notice_id}/print"' in notices and "集中清理楼道" in notices
    assert "清理时间不合适" in notices and "待答复" in notices
    html, once = await page_form(client, f"/topics/{topic_id}/act/dismiss_objection")
    assert "清理时间不合适" in html
    answered = await post_form(client, f"/topics/{topic_id}/act/dismiss_objection",
                               {"objection_id": re.search(r'name="objection_id" value="(\d+)"', html).group(1),
                                "note": "时间已与居民商定"}, once=once)
    assert answered.status_code == 303, answered.text
    page = await client.get(f"/topics/{topic_id}")
    assert "时间已与居民商定" in section(page.text, "notices-h") and "已答复" in section(page.text, "notices-h")
