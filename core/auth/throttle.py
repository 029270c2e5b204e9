"""Failed logins counted per account name and per client address: after a few
free failures each one imposes a growing delay, and enough of them lock the
account for a while.

Nothing sleeps: while a delay or lock is in force the attempt is refused
(429 or 423 with ``Retry-After``) before the password is even looked at, so
the right password is refused too and a guesser learns nothing from it.

Counted by the name typed, whether or not such a user exists, so a made-up
name is throttled and locked exactly like a real one and the answers never
tell them apart. The address counter catches one client spraying guesses
across many names; it is never reset by a success (one working account
would otherwise clear it), only forgotten after the failure window.

The rows are locked for the whole attempt (``FOR UPDATE`` on PostgreSQL,
the write lock on SQLite), so parallel guesses at one account are counted
one after the other instead of all slipping past the same check. Account
rows are always locked before address rows, so two attempts cannot wait on
each other.

All thresholds are our defaults, each overridable by its environment
variable (see :class:`ThrottleSettings`).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.clientaddr import digest
from core.db import upsert_insert
from core.errors import ApiError
from core.models import LoginThrottle

ACCOUNT = "account"
ADDRESS = "address"
AUDIT_ACTOR = "login-throttle"
_KEY_LENGTH = 64
_PRUNE_BATCH = 500


@dataclass(frozen=True)
class ThrottleSettings:
    """Our defaults; each field is read from ``YISHI_LOGIN_<FIELD>`` when set."""

    free_failures: int = 3            # failures on one account before any delay
    max_failures: int = 10            # failures on one account that lock it
    lock_minutes: int = 15
    base_delay_seconds: int = 1       # first delay; doubles with each further failure
    max_delay_seconds: int = 60
    address_free_failures: int = 10   # failures from one address (over all names) before any delay
    address_max_failures: int = 100   # failures from one address that lock it out
    window_minutes: int = 15          # failures older than this are forgotten

    @classmethod
    def from_env(cls) -> "ThrottleSettings":
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"YISHI_LOGIN_{f.name.upper()}")
            if raw:
                values[f.name] = int(raw)
        return cls(**values)

    def limits(self, scope: str) -> tuple[int, int]:
        if scope == ACCOUNT:
            return self.free_failures, self.max_failures
        return self.address_free_failures, self.address_max_failures

    def delay_after(self, scope: str, failures: int) -> int:
        """Seconds of delay the ``failures``-th failure imposes (0: none)."""
        free, _ = self.limits(scope)
        if failures <= free:
            return 0
        return min(self.max_delay_seconds, self.base_delay_seconds * 2 ** min(failures - free - 1, 32))


class RetryLater(ApiError):
    """Refused for now; ``retry_after`` seconds is when to try again (the ``Retry-After`` header)."""

    def __init__(self, status_code: int, code: str, zh: str, en: str, retry_after: int) -> None:
        super().__init__(status_code, code, zh, en)
        self.retry_after = retry_after


def _seconds_until(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _refusal(scope: str, row: LoginThrottle, now: datetime) -> RetryLater | None:
    if row.locked_until is not None and row.locked_until > now:
        wait = _seconds_until(row.locked_until, now)
        minutes = max(1, math.ceil(wait / 60))
        if scope == ACCOUNT:
            return RetryLater(423, "account_locked",
                              f"该账号因多次登录失败已被临时锁定，请约 {minutes} 分钟后再试，或请管理员解锁",
                              f"this account is locked after repeated failed logins; try again in about "
                              f"{minutes} minutes or ask an administrator to unlock it", wait)
        return RetryLater(429, "login_throttled",
                          f"此地址登录失败次数过多，请约 {minutes} 分钟后再试",
                          f"too many failed logins from this address; try again in about {minutes} minutes", wait)
    if row.blocked_until is not None and row.blocked_until > now:
        wait = _seconds_until(row.blocked_until, now)
        return RetryLater(429, "login_throttled", f"登录失败次数过多，请 {wait} 秒后再试",
                          f"too many failed logins; try again in {wait} seconds", wait)
    return None


def account_key(username: Any) -> str:
    return (username if isinstance(username, str) else "")[:_KEY_LENGTH]


def address_key(address: str) -> str:
    # Only a digest is kept: enough to count by, not to read an address back.
    return digest(address)


async def _locked_row(session: AsyncSession, scope: str, key: str) -> LoginThrottle:
    """The row for (scope, key), made if missing, locked until the transaction ends."""
    insert = upsert_insert(session)
    while True:
        await session.execute(insert(LoginThrottle).values(scope=scope, key=key, failures=0)
                              .on_conflict_do_nothing(index_elements=["scope", "key"]))
        row = await session.scalar(select(LoginThrottle)
                                   .where(LoginThrottle.scope == scope, LoginThrottle.key == key)
                                   .with_for_update().execution_options(populate_existing=True))
        # None only if another attempt's prune removed the row in between: make it again.
        if row is not None:
            return row


def _forget_stale(row: LoginThrottle, now: datetime, settings: ThrottleSettings) -> None:
    if row.locked_until is not None and row.locked_until <= now:
        # A lock served in full starts the count afresh.
        row.failures, row.locked_until, row.blocked_until = 0, None, None
    elif (row.locked_until is None and row.last_failure_at is not None
          and row.last_failure_at <= now - timedelta(minutes=settings.window_minutes)):
        row.failures, row.blocked_until = 0, None


def _state(row: LoginThrottle) -> dict:
    return {"failures": row.failures, "blocked_until": row.blocked_until, "locked_until": row.locked_until}


@dataclass
class Gate:
    """An attempt let through; tell it how the attempt went, in the same transaction."""

    settings: ThrottleSettings
    now: datetime
    username: str
    rows: dict[str, LoginThrottle]

    async def failed(self, session: AsyncSession) -> None:
        for scope, row in self.rows.items():
            row.failures += 1
            row.last_failure_at = self.now
            _, most = self.settings.limits(scope)
            delay = self.settings.delay_after(scope, row.failures)
            event = None
            if row.failures >= most:
                row.locked_until = self.now + timedelta(minutes=self.settings.lock_minutes)
                row.blocked_until = None
                event = "login.lock"
            elif delay:
                row.blocked_until = self.now + timedelta(seconds=delay)
                event = "login.throttle"
            await session.flush()
            if event is not None:
                after = _state(row) | ({"username": self.username} if scope == ACCOUNT else {})
                await record(session, actor=AUDIT_ACTOR, action=event, object_type=f"login_{scope}",
                             object_id=row.key, after=after)
        await _prune(session, self.now, self.settings)

    async def succeeded(self, session: AsyncSession) -> None:
        """The account starts afresh; the address keeps its count (see the module docstring)."""
        await session.delete(self.rows[ACCOUNT])
        address = self.rows[ADDRESS]
        if address.failures == 0:
            await session.delete(address)
        await session.flush()


async def open_gate(session: AsyncSession, settings: ThrottleSettings, username: Any, address: str) -> Gate:
    """Let an attempt at ``username`` from ``address`` through, or raise :class:`RetryLater`."""
    now = clock.now()
    rows = {}
    for scope, key in ((ACCOUNT, account_key(username)), (ADDRESS, address_key(address))):
        row = await _locked_row(session, scope, key)
        _forget_stale(row, now, settings)
        rows[scope] = row
    for scope, row in rows.items():
        refusal = _refusal(scope, row, now)
        if refusal is not None:
            raise refusal
    return Gate(settings=settings, now=now, username=account_key(username), rows=rows)


async def _prune(session: AsyncSession, now: datetime, settings: ThrottleSettings) -> None:
    """Drop rows whose failures are forgotten anyway, so guessed names do not pile up.

    Rows another attempt holds are skipped (``SKIP LOCKED``), not waited for.
    """
    horizon = now - timedelta(minutes=settings.window_minutes)
    stale = (select(LoginThrottle.id)
             .where(LoginThrottle.last_failure_at < horizon,
                    or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now))
             .limit(_PRUNE_BATCH).with_for_update(skip_locked=True))
    ids = list(await session.scalars(stale))
    if ids:
        await session.execute(delete(LoginThrottle).where(LoginThrottle.id.in_(ids))
                              .execution_options(synchronize_session=False))


async def unlock(session: AsyncSession, username: str, *, actor: Any) -> bool:
    """Lift any delay or lock on the account ``username``; whether there was one. Audited."""
    row = await session.scalar(select(LoginThrottle)
                               .where(LoginThrottle.scope == ACCOUNT, LoginThrottle.key == account_key(username))
                               .with_for_update().execution_options(populate_existing=True))
    now = clock.now()
    if row is None or not ((row.locked_until and row.locked_until > now)
                           or (row.blocked_until and row.blocked_until > now)):
        if row is not None:
            await session.delete(row)
        return False
    before = _state(row) | {"username": row.key}
    await session.delete(row)
    await session.flush()
    await record(session, actor=actor, action="login.unlock", object_type=f"login_{ACCOUNT}", object_id=row.key,
                 before=before, after=None)
    return True
