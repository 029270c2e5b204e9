"""The one source of "now".

Timers (notice periods, reminders, scheduled jobs) read the time here so a
test can move the clock instead of sleeping.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# The platform's one local time zone: dates people see and deadlines they give are China time.
CHINA_TZ = ZoneInfo("Asia/Shanghai")

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc) + _offset


def today() -> date:
    """Today's date in China time (a deadline, a term's first day, a quarter)."""
    return now().astimezone(CHINA_TZ).date()


def set_now(moment: datetime | None) -> None:
    """Freeze the clock at ``moment`` (``None`` unfreezes). For tests and demos."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    _frozen = moment


def advance(delta: timedelta) -> datetime:
    """Move the clock forward by ``delta`` and return the new time."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset = _offset + delta
    return now()


def reset() -> None:
    global _offset, _frozen
    _offset = timedelta(0)
    _frozen = None


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Freeze the clock at ``moment`` for the block (it may be moved inside),
    then put back whatever was in force before: the demo seeder writes a
    history in the past without disturbing a test's own clock."""
    global _offset, _frozen
    saved = (_frozen, _offset)
    set_now(moment)
    try:
        yield
    finally:
        _frozen, _offset = saved


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day where it is shorter):
    the regional standards' windows ("within the last 3 months") are counted this way."""
    years, index = divmod(day.month - 1 - months, 12)
    year, month = day.year + years, index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
