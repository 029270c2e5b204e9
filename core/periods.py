"""A period of calendar days in China time, both ends included: what a ledger, the dashboard's
figures and a street's quarter are counted over (one definition for all of them)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from core.clock import CHINA_TZ


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA_TZ)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """The moment just after the last day."""
        return local_midnight(self.last + timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC."""
        return self.start.astimezone(timezone.utc), self.end.astimezone(timezone.utc)

    def months(self) -> list[tuple[str, datetime, datetime]]:
        """(``YYYY-MM``, start, end) of each calendar month the period touches, cut to the period."""
        found = []
        year, month = self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            following = (year + month // 12, month % 12 + 1)
            start = max(self.start, local_midnight(date(year, month, 1)))
            end = min(self.end, local_midnight(date(*following, 1)))
            found.append((f"{year:04d}-{month:02d}", start, end))
            year, month = following
        return found

    def as_dict(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    def words(self) -> str:
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"


def current_quarter(today: date) -> Period:
    first_month = (today.month - 1) // 3 * 3 + 1
    first = date(today.year, first_month, 1)
    after = date(today.year + 1, 1, 1) if first_month == 10 else date(today.year, first_month + 3, 1)
    return Period(first, after - timedelta(days=1))
