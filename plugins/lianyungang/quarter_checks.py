"""Reminding and flagging homes about their quarterly activity (seed 003 §五).

Run daily by ``jobs.check_quarterly_activity``, with the Beijing date:

* from ``remind_days_before`` days before a quarter ends (Q3: 15 September)
  to its last day, a home that has held fewer than
  ``min_activities_per_quarter`` activities in it is reminded: its head
  (the member whose role is ``head``), else the council's officers;
* once a quarter has ended, a home that held fewer is flagged to the CPPCC
  of its district and of the city (the users granted ``cppcc_member``
  there; ``district_admin`` / ``city_admin`` when none), and the miss is
  recorded.

Each is done once per home and quarter: a ``QuarterCheck`` row, unique per
(home, year, quarter, kind), is written in the same transaction as the
notifications, so running the job again changes nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.roles import Role
from core.councils import service as councils
from core.implementation.notify import notify
from core.models import Region, RoleGrant, User
from core.plugins import PluginHost
from core.region_context import region_context
from plugins.lianyungang.composition import HEAD
from plugins.lianyungang.homes import HomeRow
from plugins.lianyungang.models import Home, QuarterCheck
from plugins.lianyungang.quarters import Quarter, activities_in, is_due
from plugins.lianyungang.settings import MIN_ACTIVITIES, NAME, REMIND_DAYS_BEFORE

log = logging.getLogger(__name__)

REMINDER = "reminder"
FLAG = "flag"
REMINDER_KIND = "lianyungang.quarter_reminder"
FLAG_KIND = "lianyungang.quarter_missed"


@dataclass
class RunSummary:
    on_date: date
    reminded: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"on_date": self.on_date.isoformat(), "reminded": self.reminded, "flagged": self.flagged,
                "failed": self.failed}


async def head_user_ids(session: AsyncSession, home: Home) -> list[int]:
    """The accounts of the home's serving head (normally one)."""
    council = await councils.get_council(session, home.region_code)
    term = await councils.current_term(session, council) if council else None
    if term is None:
        return []
    return [m.user_id for m in await councils.roster(session, term)
            if m.role_in_council == HEAD and m.user_id is not None]


async def users_granted(session: AsyncSession, role: Role, region_code: str) -> list[int]:
    """Active users holding ``role`` at exactly ``region_code``."""
    rows = await session.scalars(
        select(RoleGrant.user_id).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.region_code == region_code, RoleGrant.role == role.value, User.is_active.is_(True))
        .order_by(RoleGrant.user_id).distinct())
    return list(rows.all())


async def cppcc_watchers(session: AsyncSession, region_code: str, fallback: Role) -> list[int]:
    """The CPPCC members granted at a district or the city, else its administrators."""
    return (await users_granted(session, Role.cppcc_member, region_code)
            or await users_granted(session, fallback, region_code))


async def _already(session: AsyncSession, home: Home, quarter: Quarter, kind: str) -> bool:
    return await session.scalar(select(QuarterCheck.id).where(
        QuarterCheck.home_id == home.id, QuarterCheck.year == quarter.year,
        QuarterCheck.quarter == quarter.number, QuarterCheck.kind == kind)) is not None


def _record(home: Home, quarter: Quarter, kind: str, held: int, required: int, told: list) -> QuarterCheck:
    return QuarterCheck(home_id=home.id, region_code=home.region_code, year=quarter.year, quarter=quarter.number,
                        kind=kind, activities=held, required=required,
                        notified_user_ids=[uid for uid in told if uid is not None], at=clock.now())


async def remind(session: AsyncSession, row: HomeRow, quarter: Quarter, held: int, required: int,
                 on_date: date) -> QuarterCheck:
    home = row.home
    days_left = (quarter.last_day - on_date).days
    end = quarter.last_day
    text_zh = (f"{row.name}{quarter.label_zh}已开展协商议事活动 {held} 次，每季度至少 {required} 次；"
               f"距季度末还有 {days_left} 天，请于 {end.month}月{end.day}日前组织开展。")
    text_en = (f"{row.name_en} has held {held} consultation activit{'y' if held == 1 else 'ies'} in "
               f"{quarter.label_en}; at least {required} a quarter is expected. {days_left} day(s) are left: "
               f"hold one by {end.isoformat()}.")
    data = {"year": quarter.year, "quarter": quarter.number, "activities": held, "required": required,
            "home_region_code": home.region_code}
    heads = await head_user_ids(session, home)
    notes = await notify(session, region_code=home.region_code, kind=REMINDER_KIND, text_zh=text_zh,
                         text_en=text_en, user_ids=heads, council=not heads, data=data)
    check = _record(home, quarter, REMINDER, held, required, [n.user_id for n in notes])
    session.add(check)
    await session.flush()
    return check


async def flag(session: AsyncSession, row: HomeRow, quarter: Quarter, held: int, required: int) -> QuarterCheck:
    home = row.home
    text_zh = (f"{row.name}{quarter.label_zh}开展协商议事活动 {held} 次，"
               f"未达到每季度至少 {required} 次的要求。")
    text_en = (f"{row.name_en} held {held} consultation activit{'y' if held == 1 else 'ies'} in "
               f"{quarter.label_en}, short of the {required} a quarter required.")
    data = {"year": quarter.year, "quarter": quarter.number, "activities": held, "required": required,
            "home_region_code": home.region_code}
    told: list[int | None] = []
    for level_code, fallback in ((home.region_code[:6], Role.district_admin), (home.region_code[:4], Role.city_admin)):
        watchers = await cppcc_watchers(session, level_code, fallback)
        # Nobody with an account there: the message is left for the level's council itself.
        notes = await notify(session, region_code=level_code, kind=FLAG_KIND, text_zh=text_zh, text_en=text_en,
                             user_ids=watchers, council=not watchers, data=data)
        told += [n.user_id for n in notes]
    check = _record(home, quarter, FLAG, held, required, told)
    session.add(check)
    await session.flush()
    return check


async def check_home(session: AsyncSession, plugins: PluginHost, row: HomeRow, on_date: date,
                     held_now: int, held_before: int) -> list[QuarterCheck]:
    """The reminder for the running quarter and the flag for the one just ended, each if due and not yet done."""
    home = row.home
    context = await region_context(session, plugins, home.region_code)
    if not context.has(NAME):
        return []
    required = int(context.setting(MIN_ACTIVITIES))
    days_before = int(context.setting(REMIND_DAYS_BEFORE))
    done: list[QuarterCheck] = []
    current = Quarter.of(on_date)
    if (is_due(home, current) and on_date >= current.reminder_day(days_before) and held_now < required
            and not await _already(session, home, current, REMINDER)):
        done.append(await remind(session, row, current, held_now, required, on_date))
    ended = current.previous
    if is_due(home, ended) and held_before < required and not await _already(session, home, ended, FLAG):
        done.append(await flag(session, row, ended, held_before, required))
    return done


async def run_checks(runtime, on_date: date | None = None) -> RunSummary:
    """Check every home, each in its own transaction, so one failure holds back no other."""
    on_date = on_date or clock.today()
    current = Quarter.of(on_date)
    async with runtime.read_sessions() as session:
        rows = (await session.execute(select(Home, Region.name).join(Region, Region.code == Home.region_code)
                                      .order_by(Home.region_code))).all()
        cities = sorted({home.region_code[:4] for home, _ in rows})
        held_now: dict[str, int] = {}
        held_before: dict[str, int] = {}
        for city in cities:
            held_now.update(await activities_in(session, current, city))
            held_before.update(await activities_in(session, current.previous, city))
    summary = RunSummary(on_date)
    for home, region_name in rows:
        try:
            async with runtime.sessions() as session, session.begin():
                fresh = await session.get(Home, home.id)
                if fresh is None:
                    continue
                done = await check_home(session, runtime.plugins, HomeRow(fresh, region_name), on_date,
                                        held_now.get(home.region_code, 0), held_before.get(home.region_code, 0))
        except IntegrityError:
            # Another run wrote the same check first: that one's notifications stand.
            continue
        except Exception:
            log.exception("quarterly check of home %s failed", home.region_code)
            summary.failed.append(home.region_code)
            continue
        for check in done:
            (summary.reminded if check.kind == REMINDER else summary.flagged).append(home.region_code)
    return summary
