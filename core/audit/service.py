"""Appending to the audit chain and checking it.

How appends serialize, so the chain never forks: every append first runs
``UPDATE audit_head SET last_id = last_id + 1`` on the single head row.

* PostgreSQL: that UPDATE takes the row lock, which a second appender waits
  for until the first transaction ends; it then reads the committed head and
  links to it. Plain ``SELECT … FOR UPDATE`` would do the same, but the
  UPDATE also hands out the gap-free id in the same statement.
* SQLite: the UPDATE takes the database write lock (there is one writer at a
  time), so the read that follows cannot be stale.

The lock is held until the caller's transaction ends, so every audited
write on the platform serializes on it. That is fine at the pace people
edit councils; it is also why callers record *after* making their change:
the head is then the last lock a transaction takes, so two transactions
cannot wait on each other through it.

The hash covers every field of an entry except its id, plus the previous
entry's hash; the position is fixed by that link instead. An entry moved to
another id therefore still hashes right but links wrong, which is how
``verify`` tells "reordered" from "altered".
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.models.audit import GENESIS_HASH, AuditEntry, AuditHead

SYSTEM_LABEL = "system"
HEAD_ID = 1
_BATCH = 1000


# -- who did it -----------------------------------------------------------

def actor_fields(actor: Any) -> tuple[int | None, str]:
    """(user id, label) for a Principal, a User, a plain label (a job, the CLI) or None (the system)."""
    if actor is None:
        return None, SYSTEM_LABEL
    if isinstance(actor, str):
        return None, actor[:200] or SYSTEM_LABEL
    user_id = getattr(actor, "user_id", None)
    if user_id is None:
        user_id = getattr(actor, "id", None)
    username = getattr(actor, "username", None)
    if user_id is None or username is None:
        raise TypeError(f"cannot tell who {actor!r} is; pass a Principal, a User, a label or None")
    display = getattr(actor, "display_name", "") or ""
    label = username if not display or display == username else f"{display} ({username})"
    return int(user_id), label[:200]


# -- the canonical form ---------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an audit payload")
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} cannot go into an audit entry")


def to_json_value(value: Any) -> Any:
    """``value`` as the database will give it back, so the hash computed now
    equals the one computed at verify time (dates become ISO strings, tuples lists)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_plain, ensure_ascii=False, allow_nan=False))


def _at_text(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def entry_hash(*, at: datetime, actor_user_id: int | None, actor_label: str, region_code: str | None,
               action: str, object_type: str, object_id: str, before: Any, after: Any, prev_hash: str) -> str:
    """SHA-256 over sorted-key, separator-free JSON of the entry's fields and the previous hash."""
    canonical = json.dumps(
        {
            "at": _at_text(at),
            "actor_user_id": actor_user_id,
            "actor_label": actor_label,
            "region_code": region_code,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": before,
            "after": after,
            "prev_hash": prev_hash,
        },
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- appending ------------------------------------------------------------

async def record(session: AsyncSession, *, actor: Any, action: str, object_type: str, object_id: Any,
                 region_code: str | None = None, before: Any = None, after: Any = None) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change).

    ``actor``: a Principal, a User, a label such as ``"job:reminders"``, or
    None for the system. ``before`` / ``after``: JSON-able snapshots (dates,
    datetimes, enums and dataclasses are converted); None for "did not exist".
    """
    before = to_json_value(before)
    after = to_json_value(after)
    actor_user_id, actor_label = actor_fields(actor)
    object_id = str(object_id)
    # Both backends: this statement is the lock (see the module docstring).
    head = (await session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID)
        .values(last_id=AuditHead.last_id + 1)
        .returning(AuditHead.last_id, AuditHead.last_hash)
        .execution_options(synchronize_session=False))).one_or_none()
    if head is None:
        raise RuntimeError("audit_head row is missing; run `yishi db upgrade`")
    entry_id, prev_hash = head
    at = clock.now()
    digest = entry_hash(at=at, actor_user_id=actor_user_id, actor_label=actor_label, region_code=region_code,
                        action=action, object_type=object_type, object_id=object_id, before=before,
                        after=after, prev_hash=prev_hash)
    entry = AuditEntry(id=entry_id, at=at, actor_user_id=actor_user_id, actor_label=actor_label,
                       region_code=region_code, action=action, object_type=object_type, object_id=object_id,
                       before=before, after=after, prev_hash=prev_hash, hash=digest)
    session.add(entry)
    await session.flush()
    await session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=digest)
                          .execution_options(synchronize_session=False))
    return entry


# -- checking -------------------------------------------------------------

@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    bad_entry_id: int | None = None
    # "altered", "removed" or "reordered"
    reason: str | None = None
    detail: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} entries"
        return f"audit chain broken at entry {self.bad_entry_id}: {self.reason} ({self.detail})"


def _recomputed(row) -> str:
    return entry_hash(at=row.at, actor_user_id=row.actor_user_id, actor_label=row.actor_label,
                      region_code=row.region_code, action=row.action, object_type=row.object_type,
                      object_id=row.object_id, before=row.before, after=row.after, prev_hash=row.prev_hash)


async def verify(session: AsyncSession) -> VerifyReport:
    """Walk the chain from the first entry and report the first break.

    Reads the head first and checks the entries up to it: entries appended
    while this runs are not judged, and every entry up to the head is
    already committed (the head moves in the same transaction as its entry).
    """
    head = (await session.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == HEAD_ID))).one_or_none()
    if head is None:
        return VerifyReport(False, 0, None, "removed", "the audit_head row is missing")
    expected_id, prev_hash, checked = 1, GENESIS_HASH, 0
    while expected_id <= head.last_id:
        rows = (await session.execute(
            select(AuditEntry.__table__).where(AuditEntry.id >= expected_id, AuditEntry.id <= head.last_id)
            .order_by(AuditEntry.id).limit(_BATCH))).all()
        if not rows:
            break
        for row in rows:
            if row.id != expected_id:
                gap = str(expected_id) if row.id == expected_id + 1 else f"{expected_id}–{row.id - 1}"
                return VerifyReport(False, checked, expected_id, "removed", f"entries {gap} are missing")
            if _recomputed(row) != row.hash:
                return VerifyReport(False, checked, row.id, "altered",
                                    "its content no longer matches its hash")
            if row.prev_hash != prev_hash:
                return VerifyReport(False, checked, row.id, *await _why_unlinked(session, row))
            prev_hash = row.hash
            expected_id += 1
            checked += 1
    if expected_id <= head.last_id:
        gap = str(expected_id) if expected_id == head.last_id else f"{expected_id}–{head.last_id}"
        return VerifyReport(False, checked, expected_id, "removed", f"entries {gap} are missing")
    if prev_hash != head.last_hash:
        return VerifyReport(False, checked, head.last_id or None, "altered",
                            "the last entry does not match the chain head")
    # Read rows before the head again: a legitimate entry is committed with
    # its head update, so an id beyond the head was written past the service.
    max_id = await session.scalar(select(func.max(AuditEntry.id)))
    last_id = await session.scalar(select(AuditHead.last_id).where(AuditHead.id == HEAD_ID))
    if max_id is not None and max_id > last_id:
        first_extra = await session.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.id > last_id))
        return VerifyReport(False, checked, first_extra, "altered",
                            "entry written outside the audit service (beyond the chain head)")
    return VerifyReport(True, checked)


async def _why_unlinked(session: AsyncSession, row) -> tuple[str, str]:
    """An intact entry that links to the wrong predecessor: moved, or its predecessor is gone."""
    if row.prev_hash == GENESIS_HASH:
        return "reordered", "the chain's first entry sits at a later position"
    predecessor = await session.scalar(select(AuditEntry.id).where(AuditEntry.hash == row.prev_hash).limit(1))
    if predecessor is not None:
        return "reordered", f"it follows entry {predecessor} in the chain, not entry {row.id - 1}"
    return "removed", "the entry it links to is no longer in the chain (removed, or rewritten with a new hash)"
