"""Issue 13, the 台账 (ledger), on both backends. Done when: a test opens the
ledger for a street and a quarter with openpyxl and checks each sheet's rows
against the database, and that no row belongs to another street.

Two streets of one district: 月湖街道 (青石社区 and 天一社区) and 鼓楼街道
(中山社区). Topics are walked through the real services (research, meeting,
vote, resolution, notice, objection, tasks, progress) in all three
communities; the street's ledger for the second quarter of 2030 is fetched
over HTTP as its street staff and read back with openpyxl and as CSV.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import unquote

import openpyxl
import pytest_asyncio
from sqlalchemy import select

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.clock import CHINA_TZ
from core.implementation import service as implementation
from core.models import Topic, User
from core.models.consultation import Meeting, MeetingParticipant, Outcome, Vote
from core.models.implementation import ProgressUpdate, Task
from core.models.notice import Notice, Objection
from core.notices.service import submit_objection
from core.topics import service as topics
from tests import walk
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.test_statement_counts import counted

QINGSHI = "330203001001"    # 青石社区, 月湖街道
TIANYI = "330203001002"     # 天一社区, 月湖街道
STREET = "330203001"        # 月湖街道
ZHONGSHAN = "330203002001"  # 中山社区, 鼓楼街道: the other street
COMMUNITIES = (QINGSHI, TIANYI, ZHONGSHAN)
FULL_NAME = "宁波市海曙区月湖街道"
QUARTER = {"from": "2030-04-01", "to": "2030-06-30"}
FIRST, LAST = date(2030, 4, 1), date(2030, 6, 30)
T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)  # 09:00 in China
# Either side of the quarter's first midnight and after its last, in China time.
JUST_INSIDE = datetime(2030, 3, 31, 16, 30, tzinfo=timezone.utc)   # 2030-04-01 00:30 in China
JUST_BEFORE = datetime(2030, 3, 31, 15, 30, tzinfo=timezone.utc)   # 2030-03-31 23:30 in China
JUST_AFTER = datetime(2030, 6, 30, 16, 30, tzinfo=timezone.utc)    # 2030-07-01 00:30 in China
PHONE = "13812345678"
# In every title of the other street, so its rows are recognised wherever they would show.
OTHER_MARK = "中山"
SHEET_NAMES = ["概况", "议题", "会议", "参会", "表决", "成果", "公示", "异议", "任务", "进展"]
CSV_SHEETS = {"topics": "议题", "meetings": "会议", "attendance": "参会", "votes": "表决", "outcomes": "成果",
              "notices": "公示", "objections": "异议", "tasks": "任务", "progress": "进展"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class World:
    def __init__(self, db, runtime, authorizer, people):
        self.db, self.runtime, self.plugins = db, runtime, runtime.plugins
        self.authorizer, self.people = authorizer, people

    async def submit(self, community: str, title: str, at: datetime) -> int:
        clock.set_now(at)
        topic = await topics.create_topic(
            self.db, self.people[f"chair@{community}"], community,
            {"title": title, "description": f"{title}的情况说明", "channel": "member", "category": "generic.yi.6"},
            plugins=self.plugins, authorizer=self.authorizer)
        await self.db.commit()
        return topic.id

    async def act(self, who: str, community: str, topic_id: int, action: str, **payload) -> None:
        await topics.perform_action(self.db, self.people[f"{who}@{community}"], topic_id, action, payload,
                                    plugins=self.plugins, authorizer=self.authorizer)

    async def to_notice(self, community: str, title: str) -> int:
        """A topic walked at T0 through research, a meeting and a vote to its public notice."""
        topic_id = await self.submit(community, title, T0)
        await self.act("secretary", community, topic_id, "admit")
        await self.act("chair", community, topic_id, "confirm")
        await self.act("member", community, topic_id, "record_research", **walk.RESEARCH)
        await self.act("secretary", community, topic_id, "schedule_meeting", **walk.meeting(title=f"{title}议事会"))
        await walk.hold_vote(self.db, self.plugins, self.people[f"secretary@{community}"], topic_id,
                             resolution_text=f"{title}：按议事方案实施")
        await self.act("secretary", community, topic_id, "record_resolution",
                       **walk.resolution(text=f"{title}：更换灯具两盏"))
        await self.db.commit()
        return topic_id

    async def object_to(self, topic_id: int, name: str) -> None:
        clock.set_now(T0 + timedelta(days=1))
        notice = await self.db.scalar(select(Notice).where(Notice.topic_id == topic_id))
        await submit_objection(self.db, self.plugins, notice.id,
                               {"name": name, "contact": PHONE, "text": f"{name}认为占用了消防通道"},
                               client="198.51.100.7")
        await self.db.commit()

    async def to_progress(self, community: str, title: str) -> int:
        """A topic walked past its notice to a task with one progress report."""
        topic_id = await self.to_notice(community, title)
        clock.set_now(T0 + timedelta(days=7, seconds=1))
        await self.act("chair", community, topic_id, "confirm_results")
        task = await implementation.create_task(
            self.db, self.people[f"secretary@{community}"], topic_id,
            {"title": f"{title}施工", "measures": "更换 LED 灯具", "responsible_name": "物业公司",
             "deadline": (clock.today() + timedelta(days=30)).isoformat()},
            plugins=self.plugins, authorizer=self.authorizer)
        await self.db.commit()
        clock.set_now(T0 + timedelta(days=9, hours=3))
        await implementation.add_progress(self.db, self.people[f"member@{community}"], task.id,
                                          {"percent": 50, "text": "已更换一盏"}, authorizer=self.authorizer)
        await self.db.commit()
        return topic_id


@pytest_asyncio.fixture
async def world(db, runtime):
    clock.set_now(JUST_BEFORE - timedelta(days=60))
    await add_regions(db, *SMALL_TREE)
    grants = {"street": ("street_staff", STREET), "district": ("district_admin", "330203"),
              "tianshui": ("city_admin", "6205"), "resident": ("resident", QINGSHI)}
    for community in COMMUNITIES:
        for role in ("chair", "secretary", "member"):
            grants[f"{role}@{community}"] = (f"council_{role}", community)
    people = {}
    for name, grant in grants.items():
        user = await make_user(db, name.replace("@", "_"), grant)
        user = await db.scalar(select(User).where(User.id == user.id).execution_options(populate_existing=True))
        people[name] = principal_of(user)
    for community in COMMUNITIES:
        await walk.seat_council(db, runtime.plugins, community)
    authorizer = Authorizer()
    await authorizer.load(db)
    await db.commit()
    w = World(db, runtime, authorizer, people)

    await w.submit(QINGSHI, "上季度的议题", JUST_BEFORE)
    await w.submit(QINGSHI, "季度第一天凌晨的议题", JUST_INSIDE)
    await w.to_progress(QINGSHI, "青石小区路灯")
    await w.submit(QINGSHI, "=1+1 楼道堆物", T0)
    tianyi = await w.to_notice(TIANYI, "天一广场停车")
    await w.object_to(tianyi, "李大爷")
    await w.to_progress(ZHONGSHAN, f"{OTHER_MARK}菜场排污")
    other = await w.to_notice(ZHONGSHAN, f"{OTHER_MARK}健身器材")
    await w.object_to(other, "王阿姨")
    await w.submit(QINGSHI, "下季度的议题", JUST_AFTER)
    clock.set_now(T0 + timedelta(days=20))
    return w


# -- reading what was served ---------------------------------------------------------

def sheet_rows(ws) -> tuple[list[str], list[dict]]:
    rows = list(ws.iter_rows(values_only=True))
    headers = list(rows[1])
    return headers, [dict(zip(headers, row)) for row in rows[2:]]


def local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(CHINA_TZ).replace(tzinfo=None, microsecond=0)


def in_quarter(moment: datetime) -> bool:
    return FIRST <= moment.astimezone(CHINA_TZ).date() <= LAST


def ours(code: str) -> bool:
    return code.startswith(STREET)


async def everything(db, model, *, order=None):
    return (await db.scalars(select(model).order_by(*(order or (model.id,))))).all()


async def expected_rows(db) -> dict[str, list[tuple]]:
    """Each sheet's rows as the database has them, picked in Python rather than SQL."""
    db.expire_all()
    topics_ = {t.id: t for t in await everything(db, Topic)}
    meetings = {m.id: m for m in await everything(db, Meeting)}
    participants = await everything(db, MeetingParticipant)
    notices = {n.id: n for n in await everything(db, Notice)}
    objections = await everything(db, Objection)
    tasks = {t.id: t for t in await everything(db, Task)}
    by_time = lambda at: lambda record: (getattr(record, at), record.id)  # noqa: E731
    expected: dict[str, list[tuple]] = {}
    expected["议题"] = [(t.id, t.region_code, t.title, local(t.created_at))
                      for t in sorted(topics_.values(), key=by_time("created_at"))
                      if ours(t.region_code) and in_quarter(t.created_at)]
    held = [m for m in sorted(meetings.values(), key=by_time("starts_at"))
            if ours(m.region_code) and in_quarter(m.starts_at)]
    expected["会议"] = [(m.id, m.region_code, local(m.starts_at),
                       sum(p.invited for p in participants if p.meeting_id == m.id),
                       sum(p.attended is True for p in participants if p.meeting_id == m.id)) for m in held]
    expected["参会"] = [(p.meeting_id, p.name, {True: "出席", False: "缺席", None: "未登记"}[p.attended])
                      for m in held for p in participants if p.meeting_id == m.id]
    votes = await everything(db, Vote, order=(Vote.recorded_at, Vote.id))
    expected["表决"] = [(v.id, v.topic_id, v.votes_for, "通过" if v.passed else "未通过") for v in votes
                      if ours(meetings[v.meeting_id].region_code) and in_quarter(v.recorded_at)]
    outcomes = await everything(db, Outcome, order=(Outcome.created_at, Outcome.id))
    expected["成果"] = [(o.id, o.topic_id, o.text, datetime.combine(o.deadline, time.min)) for o in outcomes
                      if ours(meetings[o.meeting_id].region_code) and in_quarter(o.created_at)]
    expected["公示"] = [(n.id, n.topic_id, local(n.opens_at), local(n.closes_at),
                       sum(o.notice_id == n.id for o in objections))
                      for n in sorted(notices.values(), key=by_time("opens_at"))
                      if ours(n.region_code) and in_quarter(n.opens_at)]
    expected["异议"] = [(o.id, o.notice_id, o.name, "138****5678", local(o.created_at)) for o in objections
                      if ours(notices[o.notice_id].region_code) and in_quarter(o.created_at)]
    expected["任务"] = [(t.id, t.topic_id, t.title, local(t.deadline))
                      for t in sorted(tasks.values(), key=by_time("created_at"))
                      if ours(t.region_code) and in_quarter(t.created_at)]
    progress = await everything(db, ProgressUpdate, order=(ProgressUpdate.created_at, ProgressUpdate.id))
    expected["进展"] = [(p.id, p.task_id, p.percent, local(p.created_at)) for p in progress
                      if ours(tasks[p.task_id].region_code) and in_quarter(p.created_at)]
    # Kept apart from the sheets: what the other street has, which must show nowhere.
    expected["other street"] = [
        *(("topic", t.id) for t in topics_.values() if t.region_code == ZHONGSHAN),
        *(("meeting", m.id) for m in meetings.values() if m.region_code == ZHONGSHAN),
        *(("notice", n.id) for n in notices.values() if n.region_code == ZHONGSHAN),
        *(("task", t.id) for t in tasks.values() if t.region_code == ZHONGSHAN)]
    return expected


COMPARED = {"议题": ("编号", "区划代码", "标题", "提交时间"),
            "会议": ("编号", "区划代码", "会议时间", "应到人数", "实到人数"),
            "参会": ("会议编号", "姓名", "出席情况"),
            "表决": ("编号", "议题编号", "赞成", "表决结果"),
            "成果": ("编号", "议题编号", "成果内容", "完成期限"),
            "公示": ("编号", "议题编号", "公示开始", "公示截止", "异议数"),
            "异议": ("编号", "公示编号", "异议人", "联系方式（隐去部分）", "提出时间"),
            "任务": ("编号", "议题编号", "任务", "完成期限"),
            "进展": ("编号", "任务编号", "进度（%）", "填报时间")}


async def fetch(client, headers, path: str, **params):
    return await client.get(f"/api/v1/regions/{path}", headers=headers, params=params)


# -- the tests ----------------------------------------------------------------------------

async def test_a_streets_quarterly_ledger_holds_its_communities_records_and_nothing_else(world, runtime):
    expected = await expected_rows(world.db)
    async with app_client(runtime) as client:
        street = bearer(await login(client, "street"))
        with counted() as statements:
            answer = await fetch(client, street, f"{STREET}/ledger.xlsx", **QUARTER)
        assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX_TYPE
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=\"ledger-330203001-2030-04-01_2030-06-30.xlsx\"")
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == \
        f"{FULL_NAME}协商议事台账_2030-04-01_2030-06-30.xlsx"
    # The guard's reads, the names, then one statement per sheet: never one per row.
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) <= 12, "\n".join(reads)

    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == SHEET_NAMES
    assert book.properties.title == f"{FULL_NAME}协商议事台账"
    for name in SHEET_NAMES[1:]:
        ws = book[name]
        assert ws["A1"].value == f"{FULL_NAME}　{name}台账　2030-04-01 至 2030-06-30"
        headers, rows = sheet_rows(ws)
        assert all(ws.cell(row=2, column=n).font.b for n in range(1, len(headers) + 1)), name
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in headers), headers
        assert [tuple(row[h] for h in COMPARED[name]) for row in rows] == expected[name], name
        assert expected[name], f"the world left {name} empty: the check would prove nothing"
        # No row of another street, nor of anything outside 月湖街道.
        assert all(row["区划代码"].startswith(STREET) for row in rows), name
        assert {row["所属区划"] for row in rows} <= {"青石社区", "天一社区"}, name
    assert sheet_rows(book["议题"])[0] == ["编号", "区划代码", "所属区划", "标题", "内容", "来源", "类别", "规模",
                                           "提出人", "当前步骤", "状态", "提交时间", "最近更新"]
    assert sheet_rows(book["会议"])[0][:8] == ["编号", "区划代码", "所属区划", "会议名称", "协商形式", "会议类型",
                                               "会议时间", "地点"]
    # The other street has a record of every kind, and none of them shows anywhere in the file.
    assert {kind for kind, _ in expected["other street"]} == {"topic", "meeting", "notice", "task"}
    cells = [str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert not [c for c in cells if OTHER_MARK in c or "王阿姨" in c or ZHONGSHAN in c]
    assert PHONE not in "".join(cells)

    topics_sheet = {row["标题"]: row for row in sheet_rows(book["议题"])[1]}
    assert "上季度的议题" not in topics_sheet and "下季度的议题" not in topics_sheet
    # Created on 31 March in UTC, on 1 April in China: in the quarter, shown in China time.
    assert topics_sheet["季度第一天凌晨的议题"]["提交时间"] == datetime(2030, 4, 1, 0, 30)
    lamp = topics_sheet["青石小区路灯"]
    assert (lamp["所属区划"], lamp["来源"], lamp["当前步骤"], lamp["状态"]) == ("青石社区", "委员提", "跟踪落实", "办理中")
    assert lamp["提交时间"] == datetime(2030, 5, 6, 9, 0)
    # A title that looks like a formula stays text.
    formula = next(c for c in book["议题"]["D"] if c.value == "=1+1 楼道堆物")
    assert formula.data_type == "s"
    [meeting] = [r for r in sheet_rows(book["会议"])[1] if r["会议名称"] == "青石小区路灯议事会"]
    assert (meeting["协商形式"], meeting["会议类型"], meeting["会议时间"]) == ("会议协商", "民主议事会",
                                                                   datetime(2030, 5, 6, 9, 0))
    [objection] = sheet_rows(book["异议"])[1]
    assert (objection["异议人"], objection["状态"]) == ("李大爷", "待答复")
    cover = {row[0]: row[1:] for row in book["概况"].iter_rows(values_only=True) if row and row[0]}
    assert cover["区划"][0] == FULL_NAME and cover["区划代码"][0] == STREET
    assert cover["期间"][0] == "2030-04-01 至 2030-06-30"
    assert cover["议题"][:2] == (len(expected["议题"]), "提交时间")


def same(xlsx_value, csv_value: str) -> bool:
    if xlsx_value is None:
        return csv_value == ""
    if isinstance(xlsx_value, datetime):
        # A date cell (an outcome's deadline) reads back from the workbook as midnight.
        return csv_value in (xlsx_value.strftime("%Y-%m-%d %H:%M:%S"),
                             xlsx_value.date().isoformat() if xlsx_value.time() == time.min else None)
    if isinstance(xlsx_value, str) and xlsx_value.startswith("="):
        return csv_value == "'" + xlsx_value
    return str(xlsx_value) == csv_value


async def test_each_list_as_csv_has_a_bom_and_the_workbooks_rows(world, runtime):
    async with app_client(runtime) as client:
        street = bearer(await login(client, "street"))
        book = openpyxl.load_workbook(io.BytesIO((await fetch(client, street, f"{STREET}/ledger.xlsx",
                                                              **QUARTER)).content))
        for key, name in CSV_SHEETS.items():
            answer = await fetch(client, street, f"{STREET}/ledger.csv", sheet=key, **QUARTER)
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"] == "text/csv; charset=utf-8"
            assert unquote(answer.headers["content-disposition"].split("filename*=UTF-8''", 1)[1]) == \
                f"{FULL_NAME}{name}台账_2030-04-01_2030-06-30.csv"
            assert answer.content.startswith(b"\xef\xbb\xbf")
            table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
            headers, rows = sheet_rows(book[name])
            assert table[0] == headers, key
            assert len(table) - 1 == len(rows), key
            for got, row in zip(table[1:], rows):
                assert all(same(row[h], value) for h, value in zip(headers, got)), (key, got, row)
        topics_csv = (await fetch(client, street, f"{STREET}/ledger.csv", sheet="topics", **QUARTER)).content
        assert "'=1+1 楼道堆物".encode() in topics_csv and OTHER_MARK.encode() not in topics_csv


async def test_the_scope_decides_whose_ledger_and_which_rows(world, runtime):
    async with app_client(runtime) as client:
        tokens = {who: bearer(await login(client, who.replace("@", "_")))
                  for who in ("tianshui", "chair@" + QINGSHI, "resident", "district")}
        # Another city's admin, and a community's chair asking for the street: not there, as for a missing region.
        for who, code in (("tianshui", STREET), ("tianshui", QINGSHI), ("chair@" + QINGSHI, STREET),
                          ("chair@" + QINGSHI, TIANYI)):
            for path in ("ledger.xlsx", "ledger.csv"):
                refused = await fetch(client, tokens[who], f"{code}/{path}", sheet="topics", **QUARTER)
                assert refused.status_code == 404, (who, code, path, refused.text)
                assert OTHER_MARK not in refused.text and "青石" not in refused.text
        # A resident sees their community but does not read its ledger.
        assert (await fetch(client, tokens["resident"], f"{QINGSHI}/ledger.xlsx", **QUARTER)).status_code == 403

        own = await fetch(client, tokens["chair@" + QINGSHI], f"{QINGSHI}/ledger.csv", sheet="topics", **QUARTER)
        assert own.status_code == 200
        rows = list(csv.DictReader(io.StringIO(own.content.decode("utf-8-sig"), newline="")))
        assert rows and {r["区划代码"] for r in rows} == {QINGSHI} and {r["所属区划"] for r in rows} == {"青石社区"}

        # From the district, both streets, each row named below the district.
        district = await fetch(client, tokens["district"], "330203/ledger.csv", sheet="tasks", **QUARTER)
        places = {r["所属区划"] for r in csv.DictReader(io.StringIO(district.content.decode("utf-8-sig")))}
        assert places == {"月湖街道青石社区", "鼓楼街道中山社区"}


async def test_without_dates_the_current_quarter_is_exported(world, runtime):
    clock.set_now(datetime(2030, 6, 30, 15, 0, tzinfo=timezone.utc))  # 23:00 on 30 June in China
    async with app_client(runtime) as client:
        street = bearer(await login(client, "street"))
        implicit = await fetch(client, street, f"{STREET}/ledger.csv", sheet="topics")
        explicit = await fetch(client, street, f"{STREET}/ledger.csv", sheet="topics", **QUARTER)
        # What a page's form sends with both date inputs left empty.
        empty = await fetch(client, street, f"{STREET}/ledger.csv", sheet="topics", **{"from": "", "to": ""})
    assert implicit.status_code == 200 and implicit.content == explicit.content == empty.content
    assert "2030-04-01_2030-06-30" in implicit.headers["content-disposition"]


async def test_a_bad_or_reversed_range_is_a_400_naming_the_field(world, runtime):
    async with app_client(runtime) as client:
        street = bearer(await login(client, "street"))
        english = {**street, "Accept-Language": "en"}
        cases = [
            ({"from": "2030-13-01", "to": "2030-06-30"}, ["from"]),
            ({"from": "2030/04/01", "to": "2030-06-30"}, ["from"]),
            ({"from": "2030-04-01", "to": "30 June"}, ["to"]),
            ({"from": "2030-06-30", "to": "2030-04-01"}, ["to"]),
            ({"from": "2030-04-01"}, ["to"]),
            ({"to": "2030-06-30"}, ["from"]),
            ({"from": "0001-01-01", "to": "2030-06-30"}, ["from"]),
        ]
        for params, fields in cases:
            for path, extra in (("ledger.xlsx", {}), ("ledger.csv", {"sheet": "topics"})):
                answer = await fetch(client, street, f"{STREET}/{path}", **params, **extra)
                assert answer.status_code == 400, (params, answer.text)
                error = answer.json()["error"]
                assert error["code"] == "validation_failed"
                assert [f["field"] for f in error["fields"]] == fields, (params, error)
                assert all(f["message_zh"] and f["message_en"] for f in error["fields"])
        reversed_range = await client.get(f"/api/v1/regions/{STREET}/ledger.xlsx", headers=english,
                                          params={"from": "2030-06-30", "to": "2030-04-01"})
        [field] = reversed_range.json()["error"]["fields"]
        assert field["message_zh"] == "结束日期 2030-04-01 早于开始日期 2030-06-30"
        assert field["message_en"] == "'to' (2030-04-01) is before 'from' (2030-06-30)"
        # An unknown list and a bad day: both named at once.
        both = await fetch(client, street, f"{STREET}/ledger.csv", sheet="minutes", to="2030-02-30",
                           **{"from": "2030-01-01"})
        assert both.status_code == 400
        assert [f["field"] for f in both.json()["error"]["fields"]] == ["sheet", "to"]
        assert "topics" in both.json()["error"]["fields"][0]["message_en"]
        assert "议题" in both.json()["error"]["fields"][0]["message_zh"]
        missing = await fetch(client, street, f"{STREET}/ledger.csv", **QUARTER)
        assert missing.status_code == 400 and missing.json()["error"]["fields"][0]["field"] == "sheet"
