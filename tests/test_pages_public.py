"""The residents' pages over HTTP, as a phone's browser uses them, on both backends: a community's
public page (roster without contacts, catalogue, flowchart, notice board with countdowns),
submitting a topic with photos (one topic per form, bad photos refused beside the input),
following it by tracking code, objecting to a notice, and the printed notice's QR code."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
import pytest_asyncio
import zxingcpp
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.councils import service as councils
from core.councils.service import MemberData
from core.models import Topic, TopicEvent, User
from core.models.attachment import Attachment
from core.models.notice import Notice, Objection
from core.models.public import PublicReceipt
from core.notices import service as notices
from core.region_context import region_context
from core.topics import service as topics
from tests import walk
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.page_helpers import ORIGIN, page_form, post_form

COMMUNITY = "330203001001"  # 青石社区
STREET = "330203001"        # 月湖街道
DISTRICT = "330203"
T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)
MEMBERS = (("王建国", "party_secretary"), ("李秀英", "residents_committee"), ("赵明", "supervisory_committee"))
EXPERT_PHONE = "13700001111"
PROPOSER_PHONE = "13900000000"
OBJECTOR_PHONE = "13812345678"
NOTICE_TEXT = "3 号楼前更换路灯两盏，物业月底前完成"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


async def count(db, model) -> int:
    await db.rollback()  # a fresh snapshot: the app committed in its own connection
    return await db.scalar(select(func.count()).select_from(model))


class World:
    def __init__(self, db, runtime, authorizer, people):
        self.db, self.runtime, self.authorizer, self.people = db, runtime, authorizer, people

    async def act(self, who, topic_id, action, **payload):
        return await topics.perform_action(self.db, self.people[who], topic_id, action, payload,
                                           plugins=self.runtime.plugins, authorizer=self.authorizer)

    async def published(self) -> Notice:
        """A resident's topic walked to its public notice (open for 7 days from T0), committed."""
        topic = await topics.create_topic(self.db, self.people["resident"], COMMUNITY,
                                          {"title": "小区路灯不亮", "channel": "resident", "category": "generic.yi.6",
                                           "proposer_contact": PROPOSER_PHONE},
                                          plugins=self.runtime.plugins, authorizer=self.authorizer)
        await self.act("secretary", topic.id, "admit")
        await self.act("chair", topic.id, "confirm")
        await self.act("member", topic.id, "record_research", **walk.RESEARCH)
        await self.act("secretary", topic.id, "schedule_meeting", **walk.meeting())
        await walk.hold_vote(self.db, self.runtime.plugins, self.people["secretary"], topic.id)
        await self.act("secretary", topic.id, "record_resolution", **walk.resolution(text=NOTICE_TEXT))
        await self.db.commit()
        return await self.db.scalar(select(Notice).where(Notice.topic_id == topic.id))


@pytest_asyncio.fixture
async def world(db, runtime):
    clock.set_now(T0)
    await add_regions(db, *SMALL_TREE)
    people = {}
    for name, role in (("chair", "council_chair"), ("secretary", "council_secretary"),
                       ("member", "council_member"), ("resident", "resident")):
        user = await make_user(db, name, (role, COMMUNITY))
        user = await db.scalar(select(User).where(User.id == user.id).execution_options(populate_existing=True))
        people[name] = principal_of(user)
    await walk.seat_council(db, runtime.plugins, COMMUNITY, MEMBERS)
    # An "X" participant whose notes hold a phone number: the roster shows the name and category only.
    council = await councils.get_council(db, COMMUNITY)
    await councils.add_member(db, council, MemberData(name="周教授", category="expert", grid="第三网格",
                                                      notes=f"电话 {EXPERT_PHONE}",
                                                      joined_on=clock.today() - timedelta(days=30)),
                              context=await region_context(db, runtime.plugins, COMMUNITY))
    await db.commit()
    authorizer = Authorizer()
    await authorizer.load(db)
    await db.commit()
    return World(db, runtime, authorizer, people)


@pytest_asyncio.fixture
async def client(runtime, world):
    async with app_client(runtime) as test_client:
        # A browser follows the 303 itself; the tests look at where it points.
        test_client.follow_redirects = False
        yield test_client


async def submit(client, fields: dict, files=None):
    _, once = await page_form(client, f"/c/{COMMUNITY}/submit")
    return once, await post_form(client, f"/c/{COMMUNITY}/submit", fields, once=once, files=files)


# -- the public page -----------------------------------------------------------------------


async def test_the_public_page_shows_roster_catalogue_flowchart_and_open_notices(world, client):
    notice = await world.published()
    page = await client.get(f"/c/{COMMUNITY}")
    assert page.status_code == 200, page.text
    html = page.text
    # The region with its parents.
    assert "青石社区" in html and "月湖街道" in html and "海曙区" in html and "宁波市" in html
    # The roster: names and 1+7+X categories, never a contact, a note or a grid.
    for name, label in (("王建国", "党组织书记"), ("李秀英", "居（村）委会班子代表"),
                        ("赵明", "居（村）监委会班子代表"), ("周教授", "专家学者")):
        assert name in html and label in html
    assert EXPERT_PHONE not in html and "第三网格" not in html and PROPOSER_PHONE not in html
    # The catalogue in force, items numbered, verbatim.
    assert "可以协商的事项" in html and "不予协商的事项" in html
    assert '<li value="6">公共设施维护' in html and "个体矛盾" in html
    # The flowchart as an image with words, and its steps as text.
    assert f'<img src="/c/{COMMUNITY}/procedure.svg?lang=zh"' in html and 'alt="议事流程图' in html
    for step in ("收集议题", "议前调研", "公开公示", "跟踪落实"):
        assert step in html
    # The open notice with its countdown: the script's hook and the server's text.
    assert f'href="/notices/{notice.id}"' in html and NOTICE_TEXT in html
    closes = notice.closes_at.isoformat()
    assert f'data-countdown="{closes}"' in html and "剩余 7 天 0 小时" in html
    # The links a resident needs.
    assert f'href="/c/{COMMUNITY}/submit"' in html and 'action="/t"' in html

    svg = await client.get(f"/c/{COMMUNITY}/procedure.svg?lang=zh")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and "收集议题" in svg.text


async def test_results_list_closed_notices_and_concluded_topics(world, client):
    notice = await world.published()
    topic_id, closes_at = notice.topic_id, notice.closes_at
    clock.set_now(closes_at + timedelta(minutes=1))
    await notices.close_if_expired(world.db, notice.id)
    await world.act("chair", topic_id, "confirm_results")
    await world.act("secretary", topic_id, "close", note="两盏路灯均已更换")
    await world.db.commit()

    html = (await client.get(f"/c/{COMMUNITY}")).text
    results = html.split('id="h-results"', 1)[1]
    assert "目前没有正在公示的事项" in html
    # The closed notice, then the concluded topic with the results that were on notice.
    assert "公示期已结束" in results and "无异议" in results and f'href="/notices/{notice.id}"' in results
    assert "已办结议题" in results and "小区路灯不亮" in results and NOTICE_TEXT in results
    assert "2030-05-13 办结" in results


async def test_a_region_without_a_public_door_is_the_404_page(client):
    for code in (DISTRICT, "3302", "999999999999", "abc"):
        for path in (f"/c/{code}", f"/c/{code}/submit", f"/c/{code}/procedure.svg"):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"].startswith("text/html") and "区划不存在" in response.text
    # A street is a door too.
    assert (await client.get(f"/c/{STREET}")).status_code == 200


# -- submitting a topic ----------------------------------------------------------------------


async def test_a_topic_with_a_photo_is_one_topic_with_one_photo_and_its_receipt(db, world, client):
    fields = {"title": "楼道灯坏了", "description": "5 号楼 2 单元", "category": "generic.yi.6",
              "proposer_name": "李大爷", "proposer_contact": PROPOSER_PHONE}
    once, response = await submit(client, fields, files=[("photos", ("lamp.png", png(), "image/png"))])
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    code = re.fullmatch(r"/t/([A-Z0-9-]{19})\?new=1", location).group(1)

    assert await count(db, Topic) == 1 and await count(db, Attachment) == 1
    topic = await db.scalar(select(Topic))
    assert topic.channel == "resident" and topic.proposer_contact == PROPOSER_PHONE and topic.title == "楼道灯坏了"
    photo = await db.scalar(select(Attachment))
    assert photo.region_code == COMMUNITY and photo.uploader_user_id is None and photo.content_type == "image/png"
    submitted = await db.scalar(select(TopicEvent).where(TopicEvent.topic_id == topic.id))
    assert submitted.data["attachment_ids"] == [photo.id]

    answer = await client.get(location)
    assert answer.status_code == 200
    assert f'<p class="tracking-code">{code}</p>' in answer.text and f'href="/t/{code}"' in answer.text
    assert "您的议题已提交" in answer.text and "随议题提交了 1 张照片" in answer.text
    assert PROPOSER_PHONE not in answer.text and "李大爷" not in answer.text

    # The same form again (a double tap, a reload): sent to the same receipt, nothing more stored.
    again = await post_form(client, f"/c/{COMMUNITY}/submit", fields, once=once,
                            files=[("photos", ("lamp.png", png(), "image/png"))])
    assert again.status_code == 303 and again.headers["location"] == location
    assert await count(db, Topic) == 1 and await count(db, Attachment) == 1 and await count(db, PublicReceipt) == 1


@pytest.mark.parametrize("photos, message", [
    ([("notes.png", b"MZ\x90\x00 not an image at all")], "第 1 张照片：仅可上传照片"),
    ([("scan.pdf", b"%PDF-1.4 a document")], "仅可上传照片（JPEG、PNG）"),
    ([(f"p{n}.png", png()) for n in range(4)], "最多上传 3 张照片"),
    ([("ok.png", png()), ("huge.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024))], "第 2 张照片：附件不得超过 5 MB"),
])
async def test_a_bad_photo_is_refused_beside_the_photo_input_and_nothing_is_stored(db, client, photos, message):
    _, response = await submit(client, {"title": "楼道灯坏了"},
                               files=[("photos", (name, content, "image/png")) for name, content in photos])
    assert response.status_code == 400, response.text
    error = re.search(r'<p class="error" id="e-photos">([^<]*)</p>', response.text)
    assert error and message in error.group(1), response.text
    assert 'aria-describedby="e-photos"' in response.text
    # What was typed stays in the form.
    assert 'value="楼道灯坏了"' in response.text
    for model in (Topic, Attachment, PublicReceipt):
        assert await count(db, model) == 0


async def test_a_missing_title_and_a_bad_photo_are_shown_together(db, client):
    _, response = await submit(client, {"description": "没有标题"},
                               files=[("photos", ("x.png", b"GIF89a", "image/png"))])
    assert response.status_code == 400
    assert 'id="e-title"' in response.text and 'id="e-photos"' in response.text
    assert "没有标题" in response.text
    assert await count(db, Topic) == 0


# -- following a topic ---------------------------------------------------------------------------


async def test_the_tracking_page_shows_the_timeline_and_every_reply(db, world, client):
    _, response = await submit(client, {"title": "楼道堆物", "proposer_name": "李大爷",
                                        "proposer_contact": PROPOSER_PHONE})
    code = response.headers["location"].split("/t/", 1)[1].split("?", 1)[0]
    topic_id = await db.scalar(select(Topic.id))
    secretary = bearer(await login(client, "secretary"))
    admitted = await client.post(f"/api/v1/topics/{topic_id}/actions/admit", headers=secretary,
                                 json={"feedback": "下周派人查看", "catalogue_item": "generic.yi.6"})
    assert admitted.status_code == 200, admitted.text

    page = await client.get(f"/t/{code}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "楼道堆物" in html and code in html and "办理中" in html
    # The history in words, in China time (T0 is 09:00 in Shanghai), no keys.
    assert "2030-05-06 09:00" in html and "提交议题" in html and "受理议题" in html and "→ 进入：确定议题" in html
    assert "admit" not in html and "collect" not in html
    # The council's reply; nothing of the proposer repeated back.
    assert "下周派人查看" in html
    assert PROPOSER_PHONE not in html and "李大爷" not in html

    # The code typed in lower case without dashes finds it; a wrong one is the 404 page.
    found = await client.get("/t", params={"code": code.replace("-", "").lower()})
    assert found.status_code == 303 and found.headers["location"] == f"/t/{code}"
    malformed = await client.get("/t", params={"code": "12"})
    assert malformed.status_code == 400 and 'id="e-code"' in malformed.text
    unknown = await client.get("/t/ABCD-EFGH-JKLM-NPQR")
    assert unknown.status_code == 404 and "回执不存在" in unknown.text


# -- a notice and its objections -----------------------------------------------------------------------


async def test_an_objection_during_the_period_is_stored_and_shown_then_refused_after_it(db, world, client):
    notice = await world.published()
    url, closes_at = f"/notices/{notice.id}", notice.closes_at
    html, once = await page_form(client, url)
    assert NOTICE_TEXT in html and f'action="{url}/object"' in html and "剩余 7 天 0 小时" in html
    assert "公示期：2030-05-06 09:00 至 2030-05-13 09:00" in html

    # A missing contact is refused beside its field; nothing stored.
    refused = await post_form(client, f"{url}/object", {"name": "王大妈", "text": "占用消防通道"}, once=once)
    assert refused.status_code == 400 and 'id="e-contact"' in refused.text and "占用消防通道" in refused.text
    assert await count(db, Objection) == 0

    fields = {"name": "王大妈", "contact": OBJECTOR_PHONE, "text": "占用消防通道"}
    sent = await post_form(client, f"{url}/object", fields, once=once)
    assert sent.status_code == 303 and sent.headers["location"] == f"{url}#objections"
    again = await post_form(client, f"{url}/object", fields, once=once)
    assert again.status_code == 303
    assert await count(db, Objection) == 1

    shown = (await client.get(url)).text
    assert "占用消防通道" in shown and "待议事会答复" in shown and "您的异议已收到" in shown
    assert OBJECTOR_PHONE not in shown and "138****5678" not in shown

    # After the period: no form, and a post is refused with the service's words.
    clock.set_now(closes_at + timedelta(hours=1))
    after = await client.get(url)
    assert after.status_code == 200 and f'action="{url}/object"' not in after.text
    assert "公示期已结束，不再受理异议" in after.text
    late = await post_form(client, f"{url}/object", {**fields, "text": "太晚了"}, once="late-token")
    assert late.status_code == 409 and "不能再提出异议" in late.text
    assert await count(db, Objection) == 1
    assert (await client.get("/notices/999999")).status_code == 404


def qr_matrix_image(svg: str) -> Image.Image:
    """Draw the dark modules of segno's inline SVG (one path of horizontal strokes) as a bitmap."""
    size = int(float(re.search(r'width="([\d.]+)', svg).group(1)))
    scale = float(re.search(r'scale\(([\d.]+)\)', svg).group(1))
    path = re.search(r'<path class="qr-line"[^>]* d="([^"]+)"', svg).group(1)
    pixel = 8
    modules = round(size / scale)
    image = Image.new("L", (modules * pixel, modules * pixel), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: ?(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            row = int(y - 0.5)
            draw.rectangle([x * pixel, row * pixel, (x + float(a)) * pixel - 1, (row + 1) * pixel - 1], fill=0)
            x += float(a)
    return image


async def test_the_printable_notice_carries_a_qr_code_of_the_notice_address(world, client):
    notice = await world.published()
    page = await client.get(f"/notices/{notice.id}/print")
    assert page.status_code == 200, page.text
    html = page.text
    assert NOTICE_TEXT in html and "青石社区协商议事会" in html and "公示" in html
    assert 'class="primary" data-print hidden' in html and 'class="actions no-print"' in html
    svg = re.search(r'<svg [^>]*class="qr".*?</svg>', html, re.S).group(0)
    [decoded] = zxingcpp.read_barcodes(qr_matrix_image(svg))
    assert decoded.text == f"{ORIGIN}/notices/{notice.id}"
    assert (await client.get("/notices/999999/print")).status_code == 404


# -- languages -----------------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The words a reader meets: text outside script/style, and alt, placeholder, aria-label, title."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("alt", "placeholder", "aria-label", "title") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def interface_text(html: str, data: list[str]) -> str:
    """The page's visible words without its data (names, titles, what people wrote) and the
    language switch, which names the other language in that language on purpose."""
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    text = re.sub(r"https?://\S+|/t/\S+|[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3}", " ", text)
    return text.replace("中文", " ").replace("English", " ")


async def test_each_language_shows_only_its_own_interface_text(db, world, client):
    notice = await world.published()
    _, response = await submit(client, {"title": "楼道堆物"})
    tracking = response.headers["location"].split("?", 1)[0]
    objected = await post_form(client, f"/notices/{notice.id}/object",
                               {"name": "王大妈", "contact": OBJECTOR_PHONE, "text": "占用消防通道"}, once="o-1")
    assert objected.status_code == 303
    council = await councils.get_council(db, COMMUNITY)
    data = ["宁波市", "海曙区", "月湖街道", "青石社区", council.name, *(n for n, _ in MEMBERS), "周教授",
            "小区路灯不亮", NOTICE_TEXT, "楼道堆物", "占用消防通道"]
    pages = [f"/c/{COMMUNITY}", f"/c/{COMMUNITY}/submit", tracking, f"/notices/{notice.id}",
             f"/notices/{notice.id}/print", "/t?code=12"]

    client.cookies.set("yishi_lang", "en")
    for path in pages:
        page = await client.get(path)
        assert page.status_code in (200, 400), path
        leftover = CJK.findall(interface_text(page.text, data))
        assert not leftover, f"{path}: Chinese in the English view: {''.join(leftover)}"
    english = (await client.get(f"/c/{COMMUNITY}")).text
    assert "What may be consulted" in english and "party secretary" in english
    assert "upkeep of public facilities" in english
    assert "d 0 h left" in english

    client.cookies.set("yishi_lang", "zh-CN")
    # Words a Chinese page may carry in Latin letters: file kinds, units, the 1+7+X formula.
    allowed = {"JPEG", "PNG", "MB", "X"}
    for path in pages:
        page = await client.get(path)
        words = set(re.findall(r"[A-Za-z]{2,}", interface_text(page.text, data))) - allowed
        assert not words, f"{path}: English in the Chinese view: {sorted(words)}"


# -- the same, for other clients: public JSON under /api/v1/public -------------------------


async def test_the_roster_and_the_procedure_are_public_json_without_contacts(world, client):
    roster = await client.get(f"/api/v1/public/regions/{COMMUNITY}/council")
    assert roster.status_code == 200, roster.text
    body = roster.json()
    assert body["region_name"] == "青石社区" and body["council"]["name"]
    shown = {m["name"]: m for m in body["members"]}
    assert shown["王建国"]["category_zh"] == "党组织书记" and shown["王建国"]["fixed"] is True
    assert shown["周教授"]["category"] == "expert" and shown["周教授"]["fixed"] is False
    # The "1" first, the "X" last, as on the wall.
    assert body["members"][0]["name"] == "王建国" and body["members"][-1]["name"] == "周教授"
    assert EXPERT_PHONE not in roster.text and "第三网格" not in roster.text and "notes" not in roster.text

    procedure = await client.get(f"/api/v1/public/regions/{COMMUNITY}/procedure")
    assert procedure.status_code == 200, procedure.text
    steps = [s["key"] for s in procedure.json()["procedure"]["steps"]]
    assert steps[0] == "collect" and "research" in steps

    # Only a street's or a community's door is public: a district is not.
    for path in ("council", "procedure"):
        assert (await client.get(f"/api/v1/public/regions/330203/{path}")).status_code == 404


async def test_topics_admitted_and_their_implementation_progress_are_public_without_the_proposer(db, world, client):
    from core.implementation.progress import add_progress
    from core.implementation.tasks import create_task

    notice = await world.published()
    topic_id = notice.topic_id
    clock.set_now(notice.closes_at + timedelta(minutes=1))
    await notices.close_if_expired(world.db, notice.id)
    await world.act("chair", topic_id, "confirm_results")
    task = await create_task(world.db, world.people["chair"], topic_id, {
        "title": "更换 3 号楼前路灯", "measures": "联系物业更换灯具", "responsible_name": "物业服务中心",
        "deadline": (clock.now() + timedelta(days=20)).date().isoformat()},
        plugins=world.runtime.plugins, authorizer=world.authorizer)
    await add_progress(world.db, world.people["chair"], task.id, {"percent": 50, "text": "已更换一盏，另一盏待配件"},
                       authorizer=world.authorizer)
    # Submitted but not yet admitted: not on the public list.
    await topics.create_topic(world.db, world.people["resident"], COMMUNITY,
                              {"title": "楼道堆物", "channel": "resident", "category": "generic.yi.6",
                               "proposer_contact": PROPOSER_PHONE},
                              plugins=world.runtime.plugins, authorizer=world.authorizer)
    await world.db.commit()

    answer = await client.get(f"/api/v1/public/regions/{COMMUNITY}/topics")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 1 and [t["title"] for t in body["items"]] == ["小区路灯不亮"]
    [shown] = body["items"]
    assert shown["step"]["key"] == "implement" or shown["step"]["title_zh"]
    [progress] = shown["implementation"]
    assert (progress["title"], progress["percent"], progress["latest"]["text"]) == (
        "更换 3 号楼前路灯", 50, "已更换一盏，另一盏待配件")
    assert PROPOSER_PHONE not in answer.text and "proposer" not in answer.text

    html = (await client.get(f"/c/{COMMUNITY}")).text
    in_hand = html.split('id="h-in-hand"', 1)[1].split('id="h-results"', 1)[0]
    assert "正在协商的议题" in html and "小区路灯不亮" in in_hand and "已完成 50%" in in_hand
    assert "已更换一盏，另一盏待配件" in in_hand and "楼道堆物" not in in_hand
    assert (await client.get("/api/v1/public/regions/330203/topics")).status_code == 404
