"""The implementation page on both backends: a topic's outcome and tasks in Chinese, and its
forms posted as a browser posts them: a task, progress with a photo (shown through the
attachment route), completion, a supervision note and a rating."""
from __future__ import annotations

import struct
import zlib
from datetime import timedelta

import pytest_asyncio
from sqlalchemy import func, select

from core import clock
from core.models import Topic
from core.models.attachment import Attachment
from core.models.implementation import ProgressUpdate, Rating, SupervisionNote, Task
from tests.auth_helpers import app_client
from tests.page_helpers import once_token, page_login, post_form
from tests.test_implementation import confirmed
from tests.test_notices import world  # noqa: F401  (fixture)


def tiny_png() -> bytes:
    """A valid 1×1 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


@pytest_asyncio.fixture
async def client(runtime, world):  # noqa: F811  (the fixture imported above)
    async with app_client(runtime) as test_client:
        # Each answer as the browser gets it: a form's 303 is checked, not followed.
        test_client.follow_redirects = False
        yield test_client


def form_once(html: str, action: str) -> str:
    start = html.index(f'action="{action}"')
    return once_token(html[start:])


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find("<section", start + 1)
    return html[start:end if end > 0 else len(html)]


async def count(db, model, *where) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where))


async def test_a_task_its_progress_with_a_photo_completion_a_note_and_a_rating(world, client):  # noqa: F811
    db = world.db
    topic_id = await confirmed(world)
    page_url = f"/topics/{topic_id}/implementation"
    await page_login(client, "secretary")
    html = (await client.get(page_url)).text
    outcome = section(html, "outcome")
    for words in ("会议决议", "社区居委会", (clock.today() - timedelta(days=7) + timedelta(days=30)).isoformat(),
                  "3 号楼前更换路灯两盏，物业月底前完成"):
        assert words in outcome
    assert "resolution" not in html

    # A deadline in the past: the service's words beside the field, no task.
    refused = await post_form(client, f"/topics/{topic_id}/tasks", {
        "title": "更换路灯", "responsible_name": "青石物业公司", "deadline": "2020-01-01"},
        once=form_once(html, f"/topics/{topic_id}/tasks"))
    assert refused.status_code == 400
    field = refused.text[refused.text.index('id="task-deadline"'):]
    assert "完成期限不能早于现在" in field[:field.index("</div>")]
    assert 'value="青石物业公司"' in refused.text
    assert await count(db, Task) == 0

    deadline = (clock.today() + timedelta(days=30)).isoformat()
    created = await post_form(client, f"/topics/{topic_id}/tasks", {
        "title": "更换路灯", "responsible_name": "青石物业公司", "deadline": deadline, "measures": "更换 LED 灯具两盏"},
        once=once_token(refused.text[refused.text.index(f'action="/topics/{topic_id}/tasks"'):]))
    assert created.status_code == 303 and created.headers["location"] == f"{page_url}#tasks"
    task_id = await db.scalar(select(Task.id))

    html = (await client.get(page_url)).text
    tasks = section(html, "tasks")
    assert "更换路灯" in tasks and "青石物业公司" in tasks and "办理中" in tasks and deadline in tasks
    once = form_once(html, f"/tasks/{task_id}/progress")
    photo = tiny_png()
    for _ in range(2):  # a double click sends the same form twice
        reported = await post_form(client, f"/tasks/{task_id}/progress", {"text": "已更换一盏", "percent": "50"},
                                   once=once, files={"photos": ("路灯.png", photo, "image/png")})
        assert reported.status_code == 303 and reported.headers["location"] == f"{page_url}#task-{task_id}"
    [update] = (await db.scalars(select(ProgressUpdate))).all()
    [attachment_id] = update.attachment_ids
    assert (update.percent, update.text) == (50, "已更换一盏")
    assert (await db.get(Attachment, attachment_id)).content_type == "image/png"

    await page_login(client, "supervisor")
    html = (await client.get(page_url)).text
    assert f'<img src="/api/v1/attachments/{attachment_id}"' in section(html, "tasks")
    shown = await client.get(f"/api/v1/attachments/{attachment_id}")
    assert shown.status_code == 200 and shown.content == photo
    noted = await post_form(client, f"/topics/{topic_id}/supervision-notes",
                            {"text": "现场查看，第二盏灯具尚未到货", "task_id": str(task_id)},
                            once=form_once(html, f"/topics/{topic_id}/supervision-notes"))
    assert noted.status_code == 303
    assert await count(db, SupervisionNote) == 1

    await page_login(client, "secretary")
    html = (await client.get(page_url)).text
    assert "现场查看，第二盏灯具尚未到货" in section(html, "supervision")
    done = await post_form(client, f"/tasks/{task_id}/complete", {"note": "两盏路灯均已更换并通电", "close_topic": "true"},
                           once=form_once(html, f"/tasks/{task_id}/complete"))
    assert done.status_code == 303, done.text
    db.expire_all()
    assert (await db.get(Task, task_id)).status == "done"
    assert (await db.get(Topic, topic_id)).status == "closed"

    await page_login(client, "resident")
    html = (await client.get(page_url)).text
    tasks = section(html, "tasks")
    assert "已完成" in tasks and "两盏路灯均已更换并通电" in tasks
    assert f'<img src="/api/v1/attachments/{attachment_id}"' in tasks
    # The resident has no form to change the tasks.
    assert f'action="/tasks/{task_id}/progress"' not in html and f'action="/topics/{topic_id}/tasks"' not in html
    assert "非常满意" in section(html, "ratings")
    rated = await post_form(client, f"/topics/{topic_id}/ratings", {"score": "5", "comment": "晚上亮堂了"},
                            once=form_once(html, f"/topics/{topic_id}/ratings"))
    assert rated.status_code == 303
    assert (await db.scalar(select(Rating.score))) == 5
    ratings = section((await client.get(page_url)).text, "ratings")
    assert "非常满意" in ratings and "晚上亮堂了" in ratings and "居民" in ratings

    await page_login(client, "chair")
    html = (await client.get(page_url)).text
    reported = await post_form(client, f"/topics/{topic_id}/evaluation-reports",
                               {"evaluator": "某高校社会工作系", "summary": "群众满意度 95%", "score": "92"},
                               once=form_once(html, f"/topics/{topic_id}/evaluation-reports"),
                               files={"photos": ("评估报告.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert reported.status_code == 303
    reports = section((await client.get(page_url)).text, "reports")
    assert "某高校社会工作系" in reports and "得分 92（满分 100）" in reports and "评估报告.pdf</a>" in reports
    assert "第三方评估机构" in reports

    # The supervisory committee's member files the committee's report from the same page.
    await page_login(client, "supervisor")
    html = (await client.get(page_url)).text
    assert "评估主体" in html and 'value="supervisory_committee"' in html
    filed = await post_form(client, f"/topics/{topic_id}/evaluation-reports",
                            {"evaluator_kind": "supervisory_committee", "evaluator": "青石社区居务监督委员会",
                             "summary": "程序规范，群众认可"},
                            once=form_once(html, f"/topics/{topic_id}/evaluation-reports"))
    assert filed.status_code == 303, filed.text
    reports = section((await client.get(page_url)).text, "reports")
    assert "青石社区居务监督委员会" in reports and "居务监督委员会</span>" in reports


async def test_a_bad_photo_is_refused_beside_the_field_and_another_region_gets_the_not_found_page(
        world, client):  # noqa: F811
    topic_id = await confirmed(world)
    task = {"title": "更换路灯", "responsible_name": "青石物业公司",
            "deadline": (clock.today() + timedelta(days=30)).isoformat()}
    await page_login(client, "secretary")
    html = (await client.get(f"/topics/{topic_id}/implementation")).text
    await post_form(client, f"/topics/{topic_id}/tasks", task, once=form_once(html, f"/topics/{topic_id}/tasks"))
    task_id = await world.db.scalar(select(Task.id))
    html = (await client.get(f"/topics/{topic_id}/implementation")).text
    refused = await post_form(client, f"/tasks/{task_id}/progress", {"text": "照片", "percent": "10"},
                              once=form_once(html, f"/tasks/{task_id}/progress"),
                              files={"photos": ("lamp.png", b"MZ not a picture", "image/png")})
    assert refused.status_code == 415
    field = refused.text[refused.text.index(f'id="progress-{task_id}-photos"'):]
    assert "不支持此类文件" in field[:field.index("</div>")]
    assert await count(world.db, ProgressUpdate) == 0 and await count(world.db, Attachment) == 0

    await page_login(client, "outsider")
    hidden = await client.get(f"/topics/{topic_id}/implementation")
    assert hidden.status_code == 404 and "青石物业公司" not in hidden.text
    posted = await post_form(client, f"/tasks/{task_id}/progress", {"text": "x", "percent": "10"}, once="z" * 20)
    assert posted.status_code == 404
