"""The meeting pages on both backends: a council's meetings, one meeting with its agenda and
invitees in Chinese, and its record forms (attendance with the quorum it makes, minutes, votes,
closing) posted as a browser posts them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest_asyncio
from sqlalchemy import func, select

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.models import User
from core.models.consultation import Meeting, MeetingParticipant, MinuteEntry, Vote
from core.topics import service as topics
from tests import walk
from tests.auth_helpers import app_client, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.page_helpers import once_token, page_login, post_form

COMMUNITY = "330203001001"  # 青石社区
OTHER_COMMUNITY = "330203002001"
# 2030-05-06 09:00 in Beijing: the meeting starts then, and the clock stands there.
T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)
TOPIC_TITLE = "小区路灯不亮"


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
    members = await walk.seat_council(db, runtime.plugins, COMMUNITY,
                                      members=(*walk.FIXED_MEMBERS, ("物业代表", "stakeholder")))
    authorizer = Authorizer()
    await authorizer.load(db)

    async def act(who, topic_id, action, **payload):
        return await topics.perform_action(db, people[who], topic_id, action, payload, plugins=runtime.plugins,
                                           authorizer=authorizer)

    topic = await topics.create_topic(db, people["resident"], COMMUNITY,
                                      {"title": TOPIC_TITLE, "channel": "resident", "category": "generic.yi.6"},
                                      plugins=runtime.plugins, authorizer=authorizer)
    await act("secretary", topic.id, "admit")
    await act("chair", topic.id, "confirm")
    await act("member", topic.id, "record_research", **walk.RESEARCH)
    await act("secretary", topic.id, "schedule_meeting",
              **walk.meeting(plan="更换灯具并加装遮光罩", participants=[{"name": "张教授", "category": "expert"}]))
    meeting_id = await db.scalar(select(Meeting.id))
    await db.commit()
    return {"topic_id": topic.id, "meeting_id": meeting_id, "members": members}


@pytest_asyncio.fixture
async def client(runtime, world):
    async with app_client(runtime) as test_client:
        # Each answer as the browser gets it: a form's 303 is checked, not followed.
        test_client.follow_redirects = False
        yield test_client


def form_once(html: str, action: str) -> str:
    """The one-time token of the form posting to ``action``."""
    start = html.index(f'action="{action}"')
    return once_token(html[start:])


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find("<section", start + 1)
    return html[start:end if end > 0 else len(html)]


async def count(db, model, *where) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where))


async def test_the_meeting_page_shows_its_agenda_and_invitees_in_chinese(client, world):
    await page_login(client, "member")
    listed = await client.get(f"/r/{COMMUNITY}/meetings")
    assert listed.status_code == 200
    assert f'href="/meetings/{world["meeting_id"]}"' in listed.text and "2030-05-06 09:00" in listed.text

    page = await client.get(f"/meetings/{world['meeting_id']}")
    assert page.status_code == 200, page.text
    html = page.text
    assert f'<a href="/topics/{world["topic_id"]}">{TOPIC_TITLE}</a>' in html
    for words in ("民主议事会", "会议协商", "社区议事厅", "2030-05-06 09:00", "更换灯具并加装遮光罩"):
        assert words in html
    people = section(html, "participants")
    for name, category in (("党组织书记", "党组织书记"), ("居委会主任", "居（村）委会班子代表"),
                           ("监委会主任", "居（村）监委会班子代表"), ("张教授", "专家学者")):
        assert name in people and category in people
    # The stakeholder on the council was not invited to this meeting.
    assert "物业代表" not in people
    assert "固定成员 3 人，出席 0 人，法定人数 2 人" in html and "未达法定人数" in html
    for raw in ("deliberation", "party_secretary", "residents_committee", ">expert<", ">meeting<"):
        assert raw not in html
    # A member reads the record but has no form to change it.
    assert f'action="/meetings/{world["meeting_id"]}/attendance"' not in html

    client.cookies.set("yishi_lang", "en")
    english = (await client.get(f"/meetings/{world['meeting_id']}")).text
    for words in ("deliberation meeting", "party secretary", "expert", "Fixed members 3, present 0, quorum 2",
                  "Quorum not reached"):
        assert words in english
    assert "议事会" not in english


async def test_attendance_minutes_and_a_vote_with_quorum_through_the_forms(client, db, world):
    meeting_id, members = world["meeting_id"], world["members"]
    await page_login(client, "secretary")
    html = (await client.get(f"/meetings/{meeting_id}")).text
    assert "未达法定人数" in section(html, "votes")
    attended = await post_form(client, f"/meetings/{meeting_id}/attendance", [
        ("present_member", str(members["党组织书记"])), ("present_member", str(members["居委会主任"])),
        ("present_name", "张教授"), ("present_member", str(members["物业代表"])),
        ("walkin_name_0", "街道城管科 李科长"), ("walkin_category_0", "department"), ("walkin_name_1", "")],
        once=form_once(html, f"/meetings/{meeting_id}/attendance"))
    assert attended.status_code == 303 and attended.headers["location"] == f"/meetings/{meeting_id}#attendance"
    present = dict((await db.execute(select(MeetingParticipant.name, MeetingParticipant.attended)
                                     .where(MeetingParticipant.meeting_id == meeting_id))).all())
    assert present == {"党组织书记": True, "居委会主任": True, "监委会主任": False, "张教授": True, "物业代表": True,
                       "街道城管科 李科长": True}

    html = (await client.get(f"/meetings/{meeting_id}")).text
    assert "固定成员 3 人，出席 2 人，法定人数 2 人" in html and "已达法定人数" in html
    assert "政府职能部门代表" in section(html, "participants")

    noted = await post_form(client, f"/meetings/{meeting_id}/minutes", {
        "minute_member_0": str(members["居委会主任"]), "minute_topic_0": str(world["topic_id"]),
        "minute_points_0": "建议先更换 3 号楼前两盏", "minute_speaker_1": "街道城管科 李科长",
        "minute_points_1": "可纳入微民生项目"}, once=form_once(html, f"/meetings/{meeting_id}/minutes"))
    assert noted.status_code == 303
    assert await count(db, MinuteEntry) == 2

    html = (await client.get(f"/meetings/{meeting_id}")).text
    minutes = section(html, "minutes")
    assert "建议先更换 3 号楼前两盏" in minutes and "街道城管科 李科长" in minutes
    votes = section(html, "votes")
    # The ballot lists who is present, with the choices in words.
    assert f'name="choice_{members["党组织书记"]}"' in votes and f'name="choice_{members["监委会主任"]}"' not in votes
    assert "赞成" in votes and "反对" in votes and "弃权" in votes
    voted = await post_form(client, f"/meetings/{meeting_id}/votes", {
        "topic_id": str(world["topic_id"]), "choice_" + str(members["党组织书记"]): "for",
        "choice_" + str(members["居委会主任"]): "for", "choice_" + str(members["物业代表"]): "against",
        "resolution": "更换路灯两盏，物业负责"}, once=form_once(html, f"/meetings/{meeting_id}/votes"))
    assert voted.status_code == 303, voted.text
    vote = await db.scalar(select(Vote))
    assert (vote.votes_for, vote.votes_against, vote.quorum_met, vote.passed) == (2, 1, True, True)

    html = (await client.get(f"/meetings/{meeting_id}")).text
    votes = section(html, "votes")
    assert "表决通过" in votes and "赞成 2 票，反对 1 票，弃权 0 票" in votes and "更换路灯两盏，物业负责" in votes
    assert "物业代表：反对" in votes
    # A second screen still showing the vote form: the service's refusal on top of the page.
    again = await post_form(client, f"/meetings/{meeting_id}/votes", {
        "topic_id": str(world["topic_id"]), "tally_for": "2"}, once="another-screen-token")
    assert again.status_code == 409 and "本次会议已对该议题表决" in again.text
    assert await count(db, Vote) == 1

    closed = await post_form(client, f"/meetings/{meeting_id}/close", {},
                             once=form_once(html, f"/meetings/{meeting_id}/close"))
    assert closed.status_code == 303
    html = (await client.get(f"/meetings/{meeting_id}")).text
    assert "记录已关闭" in html and f'action="/meetings/{meeting_id}/minutes"' not in html


async def test_a_vote_the_attendance_cannot_carry_is_refused_beside_the_field(client, db, world):
    meeting_id, members = world["meeting_id"], world["members"]
    await page_login(client, "chair")
    html = (await client.get(f"/meetings/{meeting_id}")).text
    await post_form(client, f"/meetings/{meeting_id}/attendance", {"present_member": str(members["党组织书记"])},
                    once=form_once(html, f"/meetings/{meeting_id}/attendance"))
    html = (await client.get(f"/meetings/{meeting_id}")).text
    assert "固定成员 3 人，出席 1 人，法定人数 2 人" in html and "未达法定人数" in section(html, "votes")

    refused = await post_form(client, f"/meetings/{meeting_id}/votes", {
        "topic_id": str(world["topic_id"]), "tally_for": "3", "resolution": "更换路灯"},
        once=form_once(html, f"/meetings/{meeting_id}/votes"))
    assert refused.status_code == 400
    votes = section(refused.text, "votes")
    error = votes[votes.index('class="field tallies'):]
    assert '<p class="error"' in error[:error.index("</fieldset>")]
    assert "票数合计 3 超过出席成员 1 人" in error[:error.index("</fieldset>")]
    # What was typed stays in the form.
    assert 'value="3"' in votes and "更换路灯" in votes
    assert await count(db, Vote) == 0

    # Recorded as the service judges it: without quorum it does not pass, and the page says why.
    html = (await client.get(f"/meetings/{meeting_id}")).text
    recorded = await post_form(client, f"/meetings/{meeting_id}/votes", {
        "topic_id": str(world["topic_id"]), "tally_for": "1"}, once=form_once(html, f"/meetings/{meeting_id}/votes"))
    assert recorded.status_code == 303
    votes = section((await client.get(f"/meetings/{meeting_id}")).text, "votes")
    assert "表决未通过" in votes and "未达法定人数" in votes
    assert (await db.scalar(select(Vote.quorum_met))) is False


async def test_another_regions_meeting_is_the_not_found_page_and_a_reader_cannot_record(client, db, world):
    meeting_id = world["meeting_id"]
    await page_login(client, "other_chair")
    hidden = await client.get(f"/meetings/{meeting_id}")
    assert hidden.status_code == 404 and "会议不存在" in hidden.text and "党组织书记" not in hidden.text
    assert (await client.get(f"/r/{COMMUNITY}/meetings")).status_code == 404
    posted = await post_form(client, f"/meetings/{meeting_id}/close", {}, once="x" * 20)
    assert posted.status_code == 404

    await page_login(client, "member")
    refused = await post_form(client, f"/meetings/{meeting_id}/close", {}, once="y" * 20)
    assert refused.status_code == 403 and "您不能管理此会议" in refused.text
    assert (await db.scalar(select(Meeting.status))) == "scheduled"
