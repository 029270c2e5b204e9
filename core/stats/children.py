"""The dashboard's figures (驾驶舱): the stats of each child region, and what happened in a period.

:func:`child_stats` gives, for every child region of a region, the same figures as
:func:`core.stats.service.region_stats` gives for that child alone: the totals are read from
the per-region rollups in one statement grouped by child, and each figure is then computed by
the very functions ``region_stats`` uses (``TOTALS_FIGURES``), so a child's row cannot disagree
with the child's own stats. The two clock-bound counts (notices open now, tasks overdue now)
are one grouped statement each. The statements run do not grow with the number of children.

:func:`period_stats` counts what happened between two days (China time, both included):
topics submitted, by channel and by month; consultations held by month (a resolution recorded,
as ``consultations_held`` counts them: a reconsultation counts again); escalations by the level
they went to; objections received. Each kind is one grouped statement over the subtree, the
months and the children told apart in the same statement. Objections awaiting an answer are
counted now, whatever the period. A topic counts where it stands now (its current region), as
in the rollups.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.scope import RegionScope
from core.errors import FieldError, validation_failed
from core.periods import Period
from core.models import Region
from core.models.escalation import Escalation
from core.models.implementation import Task
from core.models.notice import Notice, Objection
from core.models.region import LEVEL_BY_LENGTH
from core.models.rollup import TopicRollup, has_pending, settle
from core.models.topic import Topic, TopicEvent
from core.plugins import PluginHost
from core.stats.service import TOTALS_FIGURES, Subtree, Totals, resolution_actions

# The monthly chart has a bar per month: three years is as far as a dashboard looks back at once.
MAX_PERIOD_DAYS = 3 * 366
EARLIEST_YEAR = 2000


# -- the period asked for ----------------------------------------------------------------

def _day(text: str | None, name: str, zh_name: str, errors: list[FieldError]) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        errors.append(FieldError(name, f"{zh_name}（{name}）须为日期，如 2026-01-01",
                                 f"{name} must be a date such as 2026-01-01"))
        return None
    if day.year < EARLIEST_YEAR:
        errors.append(FieldError(name, f"{zh_name}（{name}）不能早于 {EARLIEST_YEAR} 年",
                                 f"{name} cannot be before {EARLIEST_YEAR}"))
        return None
    return day


def period_asked(first: str | None, last: str | None) -> Period:
    """The period of the ``from`` and ``to`` query parameters; each left out is this year's
    first day / today. A malformed or reversed pair, or one longer than three years, is a 400
    naming the field."""
    errors: list[FieldError] = []
    start = _day(first, "from", "起始日期", errors)
    end = _day(last, "to", "截止日期", errors)
    if errors:
        raise validation_failed(*errors)
    today = clock.today()
    end = end or (today if start is None or start <= today else start)
    start = start or date(end.year, 1, 1)
    if start > end:
        raise validation_failed(FieldError("to", f"截止日期（to）{end.isoformat()} 早于起始日期 {start.isoformat()}",
                                           f"to ({end.isoformat()}) is before from ({start.isoformat()})"))
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise validation_failed(FieldError("to", "统计区间最长三年，请缩短起止日期",
                                           "the period can be three years at most: bring from and to closer"))
    return Period(start, end)


# -- the children ------------------------------------------------------------------------

def _reaches(scope: RegionScope, code: str) -> bool:
    """Whether the scope sees anything in ``code``'s subtree."""
    return (scope.contains(code) or any(p.startswith(code) for p in scope.prefixes)
            or any(c.startswith(code) for c in scope.codes))


def child_code_length(code: str) -> int | None:
    """How long the codes of ``code``'s children are (None below a community)."""
    return next((n for n in sorted(LEVEL_BY_LENGTH) if n > len(code)), None)


async def child_regions(session: AsyncSession, scope: RegionScope, code: str) -> list[tuple[str, str, str]]:
    """(code, name, level) of the active regions directly under ``code`` that the scope reaches into."""
    rows = await session.execute(select(Region.code, Region.name, Region.level)
                                 .where(Region.parent_code == code, Region.active.is_(True)).order_by(Region.code))
    return [(c, n, level) for c, n, level in rows.all() if _reaches(scope, c)]


async def _grouped_count(session: AsyncSession, column, length: int, *conditions) -> dict[str, int]:
    prefix = func.substr(column, 1, length)
    rows = await session.execute(select(prefix, func.count()).where(*conditions).group_by(prefix))
    return {child: int(n) for child, n in rows.all()}


async def child_stats(session: AsyncSession, scope: RegionScope, region_code: str, *,
                      plugins: PluginHost) -> list[dict[str, Any]]:
    """``region_stats`` of each child region of ``region_code`` (as far as ``scope`` reaches),
    in code order, each with the child's name and level."""
    children = await child_regions(session, scope, region_code)
    if not children:
        return []
    actions = resolution_actions(plugins)
    subtrees = {code: Subtree(code, scope, actions) for code, _name, _level in children}
    whole: dict[str, str] = {}
    own_only: dict[str, str] = {}
    for code, subtree in subtrees.items():
        counted, own = subtree.rollup_regions()
        whole.update((c, code) for c in counted)
        own_only.update((c, code) for c in own)

    if has_pending(session):
        # This transaction changed topics: its own changes count, as region_stats counts them.
        await session.run_sync(settle)
    totals = {code: Totals() for code in subtrees}
    terms = []
    if whole:
        terms.append(TopicRollup.region_code.in_(sorted(whole)))
    if own_only:
        terms.append(and_(TopicRollup.region_code.in_(sorted(own_only)), TopicRollup.own.is_(True)))
    if terms:
        rows = await session.execute(
            select(TopicRollup.region_code, TopicRollup.figure, TopicRollup.item, func.sum(TopicRollup.total))
            .where(or_(*terms)).group_by(TopicRollup.region_code, TopicRollup.figure, TopicRollup.item))
        for row_region, figure, item, total in rows.all():
            child = whole.get(row_region) or own_only.get(row_region)
            if child is None or not total:
                continue
            items = totals[child].figures.setdefault(figure, {})
            items[item] = items.get(item, 0) + int(total)
        for tally in totals.values():
            tally.figures = {figure: dict(sorted(items.items())) for figure, items in sorted(tally.figures.items())}

    length = len(children[0][0])
    root = Subtree(region_code, scope, actions)
    now = clock.now()
    notices = await _grouped_count(session, Notice.region_code, length, Notice.status == "open",
                                   root.where(Notice.region_code), Notice.closes_at >= now)
    overdue = await _grouped_count(session, Task.region_code, length, Task.status == "open",
                                   root.where(Task.region_code), Task.deadline < now)
    found = []
    for code, name, level in children:
        figures: dict[str, Any] = {"region_code": code, "name": name, "level": level}
        for figure_name, figure in TOTALS_FIGURES.items():
            figures[figure_name] = figure(totals[code], subtrees[code])
        figures["open_notices"] = notices.get(code, 0)
        figures["overdue_tasks"] = overdue.get(code, 0)
        found.append(figures)
    return found


def resolution_rate(figures: dict[str, Any]) -> float | None:
    """Topics resolved (closed) as a share of all topics, 0–1; None when there is no topic."""
    total = figures.get("topics_total") or 0
    return round(figures.get("topics_resolved", 0) / total, 4) if total else None


# -- the period --------------------------------------------------------------------------

def _month_bucket(column, months: list[tuple[str, datetime, datetime]]):
    """The index of the month ``column`` falls in (the rows are already inside the period)."""
    return case(*[(column < end, literal(index)) for index, (_key, _start, end) in enumerate(months)],
                else_=literal(len(months) - 1))


def _child_key(column, root: str, length: int | None):
    return func.substr(column, 1, length) if length else literal(root)


async def period_stats(session: AsyncSession, scope: RegionScope, region_code: str, first: date, last: date, *,
                       plugins: PluginHost, child_length: int | None = None) -> dict[str, Any]:
    """What happened in ``region_code``'s subtree from ``first`` to ``last`` (China days, both
    included), as far as ``scope`` reaches; with ``child_length`` (the code length of the
    region's children) also topics submitted and consultations held per child."""
    period = Period(first, last)
    subtree = Subtree(region_code, scope, resolution_actions(plugins))
    months = period.months()
    month_keys = [key for key, _start, _end in months]
    per_month = {key: {"month": key, "topics_submitted": 0, "consultations_held": 0} for key in month_keys}
    children: dict[str, dict[str, int]] = defaultdict(lambda: {"topics_submitted": 0, "consultations_held": 0})

    bucket = _month_bucket(Topic.created_at, months).label("bucket")
    child = _child_key(Topic.region_code, region_code, child_length).label("child")
    rows = await session.execute(
        select(Topic.channel, bucket, child, func.count())
        .where(subtree.where(Topic.region_code), Topic.created_at >= period.start, Topic.created_at < period.end)
        .group_by(Topic.channel, bucket, child))
    by_channel: dict[str, int] = defaultdict(int)
    for channel, index, child_code, n in rows.all():
        by_channel[channel] += n
        per_month[month_keys[index]]["topics_submitted"] += n
        if child_length and len(child_code) == child_length:
            children[child_code]["topics_submitted"] += n

    bucket = _month_bucket(TopicEvent.at, months).label("bucket")
    child = _child_key(Topic.region_code, region_code, child_length).label("child")
    rows = await session.execute(
        select(bucket, child, func.count()).select_from(TopicEvent).join(Topic, Topic.id == TopicEvent.topic_id)
        .where(subtree.where(Topic.region_code), TopicEvent.action.in_(subtree.resolution_actions),
               TopicEvent.at >= period.start, TopicEvent.at < period.end)
        .group_by(bucket, child))
    for index, child_code, n in rows.all():
        per_month[month_keys[index]]["consultations_held"] += n
        if child_length and len(child_code) == child_length:
            children[child_code]["consultations_held"] += n

    level = func.length(Escalation.to_region_code)
    rows = await session.execute(
        select(level, func.count()).where(subtree.where(Escalation.from_region_code), Escalation.at >= period.start,
                                          Escalation.at < period.end).group_by(level))
    escalations = {LEVEL_BY_LENGTH[int(length)].value: int(n) for length, n in rows.all()
                   if int(length) in LEVEL_BY_LENGTH}

    received = await session.scalar(
        select(func.count()).select_from(Objection).join(Notice, Notice.id == Objection.notice_id)
        .where(subtree.where(Notice.region_code), Objection.created_at >= period.start,
               Objection.created_at < period.end)) or 0
    waiting = await session.scalar(
        select(func.count()).select_from(Objection).join(Notice, Notice.id == Objection.notice_id)
        .where(subtree.where(Notice.region_code), Objection.status == "open")) or 0

    return {
        "region_code": region_code, **period.as_dict(),
        "topics_submitted": sum(by_channel.values()),
        "topics_by_channel": dict(sorted(by_channel.items())),
        "consultations_held": sum(m["consultations_held"] for m in per_month.values()),
        "months": list(per_month.values()),
        "escalations_by_level": escalations,
        "objections_received": int(received),
        "objections_open": int(waiting),
        "children": {code: dict(values) for code, values in sorted(children.items())} if child_length else {},
    }
