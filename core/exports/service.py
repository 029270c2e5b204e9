"""The 台账 (ledger) of a region and a period: what the councils of the
region's subtree recorded, one list per kind of record.

Which records belong to a region is decided the way the topic board and the
statistics decide it: by the region code of the council that owns the
record, inside ``[code, next prefix)`` and inside the caller's
:class:`RegionScope`. A topic is listed by its owning council now (it moves
with an escalation), a meeting and its attendance, a vote, a notice and its
objections, a task and its progress by the council that held, posted or set
them, an outcome by the council whose meeting resolved it. A topic that only
*affects* a community (``topic_regions``) is not the community's record, so a
street's ledger never lists another street's topic.

A record falls in the period by one date, the same for every row of a list,
counted in China time: the day of ``from`` from 00:00 to the end of the day
of ``to``. Which date each list uses is :attr:`Sheet.dated_by`.

Each list is one statement, read in partitions of :data:`CHUNK` rows
(``yield_per`` over a server-side cursor where the driver has one), so a
city's ledger is never held in memory whole; the writers (``xlsx``, ``csv``)
write each partition out as it arrives.
"""
from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core import clock
from core.authz.scope import RegionScope
from core.consultation.kinds import BUILTIN_KINDS
from core.consultation.service import FORM_LABELS, OUTCOME_LABELS
from core.councils.categories import CATEGORY_LABELS
from core.errors import ApiError, FieldError, validation_failed
from core.periods import Period, current_quarter
from core.models import Region, Topic
from core.models.consultation import Meeting, MeetingParticipant, MeetingTopic, Outcome, Vote
from core.models.implementation import ProgressUpdate, Task
from core.models.notice import Notice, Objection
from core.models.region import ancestor_codes, subtree_upper_bound
from core.notices.service import mask_contact
from core.plugins import PluginHost
from core.procedures.registry import procedure_registry
from core.topics.service import CHANNEL_LABELS, SCALE_LABELS

# Whoever reads a region's figures reads its ledger: the councils' officers and
# members, street staff and the admins above; residents read neither.
READ = "stats.read"
# Rows per partition read from the database and handed to a writer at once.
CHUNK = 1000
# The dates a period may name: the conversion to UTC stays inside datetime's range.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
DAY_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")
FROM, TO, SHEET = "from", "to", "sheet"
_FIELD_ZH = {FROM: "开始日期", TO: "结束日期"}

YES_NO = {True: "是", False: "否"}
TOPIC_STATUS = {"open": "办理中", "closed": "已办结", "rejected": "未予受理", "withdrawn": "已撤回"}
MEETING_STATUS = {"scheduled": "已安排", "closed": "记录已关闭"}
ATTENDANCE = {True: "出席", False: "缺席", None: "未登记"}
NOTICE_KIND = {"results": "协商结果公示", "plan": "协商方案公示"}
NOTICE_STATUS = {"open": "公示中", "closed": "公示期满", "withdrawn": "已撤回"}
NOTICE_RESULT = {"no_objection": "无异议", "objections": "收到异议"}
OBJECTION_STATUS = {"open": "待答复", "answered": "已答复，维持协商结果", "upheld": "已采纳，重新协商",
                    "referred": "已提请居民（代表）会议决定"}
TASK_STATUS = {"open": "落实中", "done": "已完成"}


# -- the period ---------------------------------------------------------------------

def _day(raw: str, name: str, errors: list[FieldError]) -> date | None:
    zh = _FIELD_ZH[name]
    try:
        day = date.fromisoformat(raw) if DAY_FORMAT.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None:
        errors.append(FieldError(name, f"{zh}“{raw[:20]}”应为 YYYY-MM-DD 格式的日期，如 2030-04-01",
                                 f"'{name}' ({raw[:20]!r}) must be a date as YYYY-MM-DD, such as 2030-04-01"))
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors.append(FieldError(name, f"{zh}应在 {FIRST_DAY} 至 {LAST_DAY} 之间",
                                 f"'{name}' must lie between {FIRST_DAY} and {LAST_DAY}"))
        return None
    return day


def _filled(raw: str | None) -> str | None:
    return (raw or "").strip() or None


def period_of(raw_from: str | None, raw_to: str | None) -> Period:
    """The period a request names (``from``, ``to``: YYYY-MM-DD, both or neither;
    neither is the current quarter), or a 400 naming the offending field."""
    # A page's date inputs left empty send the field with nothing in it.
    raw_from, raw_to = _filled(raw_from), _filled(raw_to)
    if raw_from is None and raw_to is None:
        return current_quarter(clock.today())
    errors: list[FieldError] = []
    given = {FROM: raw_from, TO: raw_to}
    days: dict[str, date | None] = {}
    for name, raw in given.items():
        if raw is None:
            errors.append(FieldError(name, f"请同时给出开始日期和结束日期（都不给则为本季度），缺少{_FIELD_ZH[name]}",
                                     f"give both 'from' and 'to' (neither: the current quarter); '{name}' is missing"))
        else:
            days[name] = _day(raw, name, errors)
    if errors:
        raise validation_failed(*errors)
    first, last = days[FROM], days[TO]
    if last < first:
        raise validation_failed(FieldError(TO, f"结束日期 {last} 早于开始日期 {first}",
                                           f"'to' ({last}) is before 'from' ({first})"))
    return Period(first, last)


# -- what a list reads ----------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    title: str
    # Width in characters in the workbook, so the columns open readable.
    width: int = 12


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str
    dated_by: str
    columns: tuple[Column, ...]
    query: Callable[["_Reading"], Select]
    cells: Callable[["_Reading", Any], tuple]


@dataclass
class _Reading:
    """What the lists share: the subtree, the scope, the period and the words for keys."""

    session: AsyncSession
    plugins: PluginHost
    scope: RegionScope
    region_code: str
    period: Period
    names: dict[str, str]
    _places: dict[str, str] = field(default_factory=dict)
    _steps: dict[tuple[str, int, str], str] = field(default_factory=dict)
    _kinds: dict[str, str] | None = None

    def owned(self, column) -> ColumnElement[bool]:
        return and_(column >= self.region_code, column < subtree_upper_bound(self.region_code),
                    self.scope.where(column))

    def dated(self, column) -> ColumnElement[bool]:
        start, end = self.period.bounds()
        return and_(column >= start, column < end)

    def place(self, code: str) -> str:
        """The region's name as read from the ledger's region: 青石社区 in 月湖街道's, 月湖街道青石社区 in 海曙区's."""
        found = self._places.get(code)
        if found is None:
            below = [c for c in reversed(ancestor_codes(code)) if len(c) > len(self.region_code)]
            found = self._places[code] = "".join(self.names.get(c, c) for c in below) or self.names.get(code, code)
        return found

    def step(self, key: str, version: int, step: str) -> str:
        found = self._steps.get((key, version, step))
        if found is None:
            try:
                defined = procedure_registry(self.plugins).get(key, version).step(step)
            except LookupError:
                defined = None
            found = self._steps[(key, version, step)] = (defined.title_zh if defined else "") or step
        return found

    def kind(self, key: str) -> str:
        if self._kinds is None:
            # Every installed plugin's kinds, enabled here or not: a label is only a word.
            kinds = {k.key: k.title_zh for k in BUILTIN_KINDS}
            for answer in self.plugins.hook.yishi_meeting_kinds(region_code=self.region_code):
                for kind in answer or ():
                    kinds.setdefault(kind.key, kind.title_zh)
            self._kinds = kinds
        return self._kinds.get(key, key)


def local(moment: datetime | None) -> datetime | None:
    """China time without a zone (a spreadsheet cell holds none), to the second."""
    if moment is None:
        return None
    return moment.astimezone(clock.CHINA_TZ).replace(tzinfo=None, microsecond=0)


def _word(labels: dict, key: Any) -> str:
    found = labels.get(key, key)
    if isinstance(found, tuple):
        return found[0]
    return "" if found is None else str(found)


def _columns(*spec: tuple[str, int]) -> tuple[Column, ...]:
    return tuple(Column(title, width) for title, width in spec)


REGION_COLUMNS = (("区划代码", 14), ("所属区划", 18))


# -- the lists ---------------------------------------------------------------------------

def _topics(r: _Reading) -> Select:
    return (select(Topic.id, Topic.region_code, Topic.title, Topic.description, Topic.channel, Topic.category,
                   Topic.scale, Topic.proposer_name, Topic.procedure_key, Topic.procedure_version, Topic.step,
                   Topic.status, Topic.created_at, Topic.updated_at)
            .where(r.owned(Topic.region_code), r.dated(Topic.created_at))
            .order_by(Topic.created_at, Topic.id))


def _topic_cells(r: _Reading, t) -> tuple:
    # The proposer's contact is never in the ledger: it is handed round and printed.
    return (t.id, t.region_code, r.place(t.region_code), t.title, t.description, _word(CHANNEL_LABELS, t.channel),
            t.category or "", _word(SCALE_LABELS, t.scale) if t.scale else "", t.proposer_name,
            r.step(t.procedure_key, t.procedure_version, t.step), _word(TOPIC_STATUS, t.status),
            local(t.created_at), local(t.updated_at))


def _participants(meeting_id, *conditions) -> Any:
    return (select(func.count()).select_from(MeetingParticipant)
            .where(MeetingParticipant.meeting_id == meeting_id, *conditions).scalar_subquery())


def _meetings(r: _Reading) -> Select:
    agenda = (select(func.count()).select_from(MeetingTopic).where(MeetingTopic.meeting_id == Meeting.id)
              .scalar_subquery())
    return (select(Meeting.id, Meeting.region_code, Meeting.title, Meeting.form, Meeting.kind, Meeting.starts_at,
                   Meeting.place, Meeting.status, Meeting.plan_published_at, Meeting.closed_at,
                   agenda.label("agenda"),
                   _participants(Meeting.id, MeetingParticipant.invited.is_(True)).label("invited"),
                   _participants(Meeting.id, MeetingParticipant.attended.is_(True)).label("attended"))
            .where(r.owned(Meeting.region_code), r.dated(Meeting.starts_at))
            .order_by(Meeting.starts_at, Meeting.id))


def _meeting_cells(r: _Reading, m) -> tuple:
    return (m.id, m.region_code, r.place(m.region_code), m.title, _word(FORM_LABELS, m.form), r.kind(m.kind),
            local(m.starts_at), m.place, _word(MEETING_STATUS, m.status), m.agenda, m.invited, m.attended,
            local(m.plan_published_at), local(m.closed_at))


def _attendance(r: _Reading) -> Select:
    return (select(MeetingParticipant.id, MeetingParticipant.meeting_id, Meeting.title, Meeting.starts_at,
                   Meeting.region_code, MeetingParticipant.name, MeetingParticipant.category,
                   MeetingParticipant.invited, MeetingParticipant.attended)
            .join(Meeting, Meeting.id == MeetingParticipant.meeting_id)
            .where(r.owned(Meeting.region_code), r.dated(Meeting.starts_at))
            .order_by(Meeting.starts_at, Meeting.id, MeetingParticipant.id))


def _attendance_cells(r: _Reading, p) -> tuple:
    return (p.meeting_id, p.title, local(p.starts_at), p.region_code, r.place(p.region_code), p.name,
            _word(CATEGORY_LABELS, p.category), _word(YES_NO, p.invited), ATTENDANCE[p.attended])


def _votes(r: _Reading) -> Select:
    return (select(Vote.id, Vote.meeting_id, Vote.topic_id, Topic.title, Meeting.region_code, Vote.votes_for,
                   Vote.votes_against, Vote.votes_abstain, Vote.fixed_members, Vote.fixed_present,
                   Vote.quorum_required, Vote.quorum_met, Vote.passed, Vote.by_ballot, Vote.resolution,
                   Vote.recorded_at)
            .join(Meeting, Meeting.id == Vote.meeting_id).join(Topic, Topic.id == Vote.topic_id)
            .where(r.owned(Meeting.region_code), r.dated(Vote.recorded_at))
            .order_by(Vote.recorded_at, Vote.id))


def _vote_cells(r: _Reading, v) -> tuple:
    return (v.id, v.meeting_id, v.topic_id, v.title, v.region_code, r.place(v.region_code), v.votes_for,
            v.votes_against, v.votes_abstain, v.fixed_members, v.fixed_present, v.quorum_required,
            _word(YES_NO, v.quorum_met), "通过" if v.passed else "未通过", "记名表决" if v.by_ballot else "计票",
            v.resolution, local(v.recorded_at))


def _outcomes(r: _Reading) -> Select:
    # The council whose meeting resolved it; the topic's owner if that meeting is gone.
    region = func.coalesce(Meeting.region_code, Topic.region_code)
    return (select(Outcome.id, Outcome.topic_id, Topic.title, region.label("region_code"), Outcome.meeting_id,
                   Outcome.form, Outcome.text, Outcome.responsible_party, Outcome.measures, Outcome.deadline,
                   Outcome.created_at)
            .join(Topic, Topic.id == Outcome.topic_id).outerjoin(Meeting, Meeting.id == Outcome.meeting_id)
            .where(r.owned(region), r.dated(Outcome.created_at))
            .order_by(Outcome.created_at, Outcome.id))


def _outcome_cells(r: _Reading, o) -> tuple:
    return (o.id, o.topic_id, o.title, o.region_code, r.place(o.region_code), o.meeting_id,
            _word(OUTCOME_LABELS, o.form), o.text, o.responsible_party, o.measures, o.deadline, local(o.created_at))


def _notices(r: _Reading) -> Select:
    objections = (select(func.count()).select_from(Objection).where(Objection.notice_id == Notice.id)
                  .scalar_subquery())
    return (select(Notice.id, Notice.topic_id, Notice.region_code, Notice.kind, Notice.title, Notice.text,
                   Notice.opens_at, Notice.closes_at, Notice.status, Notice.result, Notice.closed_at,
                   objections.label("objections"))
            .where(r.owned(Notice.region_code), r.dated(Notice.opens_at))
            .order_by(Notice.opens_at, Notice.id))


def _notice_cells(r: _Reading, n) -> tuple:
    return (n.id, n.topic_id, n.region_code, r.place(n.region_code), _word(NOTICE_KIND, n.kind), n.title, n.text,
            local(n.opens_at), local(n.closes_at), _word(NOTICE_STATUS, n.status),
            _word(NOTICE_RESULT, n.result) if n.result else "", n.objections, local(n.closed_at))


def _objections(r: _Reading) -> Select:
    return (select(Objection.id, Objection.notice_id, Objection.topic_id, Notice.region_code, Objection.name,
                   Objection.contact, Objection.text, Objection.created_at, Objection.status, Objection.answer,
                   Objection.answered_by_name, Objection.answered_at)
            .join(Notice, Notice.id == Objection.notice_id)
            .where(r.owned(Notice.region_code), r.dated(Objection.created_at))
            .order_by(Objection.created_at, Objection.id))


def _objection_cells(r: _Reading, o) -> tuple:
    # Masked as on the public board: the ledger goes further than the council.
    return (o.id, o.notice_id, o.topic_id, o.region_code, r.place(o.region_code), o.name, mask_contact(o.contact),
            o.text, local(o.created_at), _word(OBJECTION_STATUS, o.status), o.answer, o.answered_by_name,
            local(o.answered_at))


def _tasks(r: _Reading) -> Select:
    return (select(Task.id, Task.topic_id, Topic.title.label("topic_title"), Task.region_code, Task.title,
                   Task.measures, Task.responsible_name, Task.deadline, Task.percent, Task.status,
                   Task.completed_at, Task.created_at)
            .join(Topic, Topic.id == Task.topic_id)
            .where(r.owned(Task.region_code), r.dated(Task.created_at))
            .order_by(Task.created_at, Task.id))


def _task_cells(r: _Reading, t) -> tuple:
    return (t.id, t.topic_id, t.topic_title, t.region_code, r.place(t.region_code), t.title, t.measures,
            t.responsible_name, local(t.deadline), t.percent, _word(TASK_STATUS, t.status), local(t.completed_at),
            local(t.created_at))


def _progress(r: _Reading) -> Select:
    return (select(ProgressUpdate.id, ProgressUpdate.task_id, Task.title, Task.topic_id, Task.region_code,
                   ProgressUpdate.percent, ProgressUpdate.text, ProgressUpdate.attachment_ids,
                   ProgressUpdate.author_name, ProgressUpdate.created_at)
            .join(Task, Task.id == ProgressUpdate.task_id)
            .where(r.owned(Task.region_code), r.dated(ProgressUpdate.created_at))
            .order_by(ProgressUpdate.created_at, ProgressUpdate.id))


def _progress_cells(r: _Reading, p) -> tuple:
    return (p.id, p.task_id, p.title, p.topic_id, p.region_code, r.place(p.region_code), p.percent, p.text,
            len(p.attachment_ids or ()), p.author_name, local(p.created_at))


SHEETS: tuple[Sheet, ...] = (
    Sheet("topics", "议题", "提交时间", _columns(
        ("编号", 8), *REGION_COLUMNS, ("标题", 30), ("内容", 40), ("来源", 10), ("类别", 16), ("规模", 8),
        ("提出人", 12), ("当前步骤", 14), ("状态", 10), ("提交时间", 20), ("最近更新", 20)),
        _topics, _topic_cells),
    Sheet("meetings", "会议", "会议时间", _columns(
        ("编号", 8), *REGION_COLUMNS, ("会议名称", 24), ("协商形式", 10), ("会议类型", 14), ("会议时间", 20),
        ("地点", 16), ("状态", 12), ("议题数", 8), ("应到人数", 8), ("实到人数", 8), ("方案公布时间", 20),
        ("记录关闭时间", 20)),
        _meetings, _meeting_cells),
    Sheet("attendance", "参会", "会议时间", _columns(
        ("会议编号", 8), ("会议名称", 24), ("会议时间", 20), *REGION_COLUMNS, ("姓名", 12), ("身份类别", 24),
        ("受邀", 6), ("出席情况", 8)),
        _attendance, _attendance_cells),
    Sheet("votes", "表决", "表决时间", _columns(
        ("编号", 8), ("会议编号", 8), ("议题编号", 8), ("议题", 30), *REGION_COLUMNS, ("赞成", 6), ("反对", 6),
        ("弃权", 6), ("固定成员数", 8), ("固定成员出席", 8), ("法定人数", 8), ("达到法定人数", 8), ("表决结果", 8),
        ("表决方式", 10), ("决议", 40), ("表决时间", 20)),
        _votes, _vote_cells),
    Sheet("outcomes", "成果", "形成时间", _columns(
        ("编号", 8), ("议题编号", 8), ("议题", 30), *REGION_COLUMNS, ("会议编号", 8), ("成果形式", 10),
        ("成果内容", 40), ("责任单位", 20), ("落实措施", 30), ("完成期限", 12), ("形成时间", 20)),
        _outcomes, _outcome_cells),
    Sheet("notices", "公示", "公示开始时间", _columns(
        ("编号", 8), ("议题编号", 8), *REGION_COLUMNS, ("公示类型", 12), ("标题", 30), ("内容", 40),
        ("公示开始", 20), ("公示截止", 20), ("状态", 10), ("结果", 10), ("异议数", 8), ("结束时间", 20)),
        _notices, _notice_cells),
    Sheet("objections", "异议", "提出时间", _columns(
        ("编号", 8), ("公示编号", 8), ("议题编号", 8), *REGION_COLUMNS, ("异议人", 12), ("联系方式（隐去部分）", 16),
        ("异议内容", 40), ("提出时间", 20), ("状态", 16), ("答复", 40), ("答复人", 12), ("答复时间", 20)),
        _objections, _objection_cells),
    Sheet("tasks", "任务", "安排时间", _columns(
        ("编号", 8), ("议题编号", 8), ("议题", 30), *REGION_COLUMNS, ("任务", 24), ("措施", 30), ("责任方", 20),
        ("完成期限", 20), ("进度（%）", 8), ("状态", 8), ("完成时间", 20), ("安排时间", 20)),
        _tasks, _task_cells),
    Sheet("progress", "进展", "填报时间", _columns(
        ("编号", 8), ("任务编号", 8), ("任务", 24), ("议题编号", 8), *REGION_COLUMNS, ("进度（%）", 8),
        ("进展情况", 40), ("照片数", 8), ("填报人", 12), ("填报时间", 20)),
        _progress, _progress_cells),
)
SHEET_KEYS = tuple(sheet.key for sheet in SHEETS)


def csv_request(raw_sheet: str | None, raw_from: str | None, raw_to: str | None) -> tuple[Sheet, Period]:
    """The list and the period a CSV request names, or one 400 naming every offending field."""
    errors: list[FieldError] = []
    found: list[Any] = []
    for read in (lambda: sheet_named(raw_sheet), lambda: period_of(raw_from, raw_to)):
        try:
            found.append(read())
        except ApiError as refused:
            errors += refused.fields
    if errors:
        raise validation_failed(*errors)
    sheet, period = found
    return sheet, period


def sheet_named(key: str | None) -> Sheet:
    """The list ``key`` names (a query parameter), or a 400 naming the lists there are."""
    for sheet in SHEETS:
        if sheet.key == key:
            return sheet
    known_zh = "、".join(f"{s.key}（{s.title}）" for s in SHEETS)
    shown = (key or "")[:20]
    raise validation_failed(FieldError(SHEET, f"没有名为“{shown}”的台账表，可选：{known_zh}",
                                       f"there is no ledger sheet '{shown}'; the sheets are: {', '.join(SHEET_KEYS)}"))


# -- the ledger ------------------------------------------------------------------------

@dataclass
class Ledger:
    region_code: str
    # With every ancestor's name: 宁波市海曙区月湖街道.
    region_name: str
    period: Period
    sheets: tuple[Sheet, ...]
    _reading: _Reading

    async def rows(self, sheet: Sheet) -> AsyncIterator[list[tuple]]:
        """The list's rows as cell values (text, numbers, China-time datetimes, dates), a partition at a time."""
        query = sheet.query(self._reading).execution_options(yield_per=CHUNK)
        result = await self._reading.session.stream(query)
        try:
            async for partition in result.partitions():
                yield [sheet.cells(self._reading, row) for row in partition]
        finally:
            await result.close()

    def file_name(self, extension: str, sheet: Sheet | None = None) -> tuple[str, str]:
        """(the Chinese file name, an ASCII one for clients that cannot read the other)."""
        days = f"{self.period.first.isoformat()}_{self.period.last.isoformat()}"
        what = f"{sheet.title}台账" if sheet else "协商议事台账"
        ascii_what = f"ledger-{sheet.key}" if sheet else "ledger"
        return (f"{self.region_name}{what}_{days}.{extension}",
                f"{ascii_what}-{self.region_code}-{days}.{extension}")


async def open_ledger(session: AsyncSession, scope: RegionScope, region_code: str, period: Period, *,
                      plugins: PluginHost, sheets: Iterable[Sheet] = SHEETS) -> Ledger:
    """The ledger of ``region_code``'s subtree within ``scope``; its lists are read as they are written.

    One statement here (the names of the region, its ancestors and its subtree),
    then one per list read.
    """
    upper = subtree_upper_bound(region_code)
    rows = await session.execute(select(Region.code, Region.name).where(or_(
        Region.code.in_(ancestor_codes(region_code)), and_(Region.code > region_code, Region.code < upper))))
    names = {code: name for code, name in rows.all()}
    full_name = "".join(names.get(code, "") for code in reversed(ancestor_codes(region_code))) or region_code
    reading = _Reading(session=session, plugins=plugins, scope=scope, region_code=region_code, period=period,
                       names=names)
    return Ledger(region_code=region_code, region_name=full_name, period=period, sheets=tuple(sheets),
                  _reading=reading)
