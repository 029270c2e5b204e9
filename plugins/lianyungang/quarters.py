"""Calendar quarters on Beijing's calendar, and the activities a home held in one.

Seed 003 §五 (建立长效机制): "原则上每个协商民主之家每季度开展一次协商议事活动".
An activity is a meeting the home's council held (``core.consultation``
counts a meeting once its start has passed). A home is held to a quarter
it was a home for from the quarter's first day: one designated during a
quarter starts with the next.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from core.consultation.service import meetings_held
from core.clock import CHINA_TZ
from plugins.lianyungang.models import Home


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def next(self) -> "Quarter":
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    @property
    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def last_day(self) -> date:
        return self.next.first_day - timedelta(days=1)

    def reminder_day(self, days_before: int) -> date:
        """The day ``days_before`` days before the quarter's last day (Q3, 15 days: 15 September)."""
        return self.last_day - timedelta(days=days_before)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[first local midnight, next quarter's first local midnight) in UTC."""
        return local_midnight(self.first_day), local_midnight(self.next.first_day)

    @property
    def label_zh(self) -> str:
        return f"{self.year}年第{self.number}季度"

    @property
    def label_en(self) -> str:
        return f"Q{self.number} {self.year}"


def is_due(home: Home, quarter: Quarter) -> bool:
    """Whether the home is held to the quarter: a home from its first day."""
    return home.designated_on <= quarter.first_day


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(timezone.utc)


async def activities_in(session: AsyncSession, quarter: Quarter, within: str,
                        until: date | None = None) -> dict[str, int]:
    """Activities held in the quarter (so far, or up to the end of ``until``) by
    each council in ``within``'s subtree, by region code."""
    start, end = quarter.utc_bounds()
    if until is not None:
        end = min(end, local_midnight(until + timedelta(days=1)))
    return await meetings_held(session, start, end, within=within)
