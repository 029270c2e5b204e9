"""Appending to the audit chain and checking it.

How appends serialize, so the chain never forks: a transaction's entries
wait in its session (``record``) and are sealed when it commits
(``seal_pending``): ``UPDATE audit_head SET last_id = last_id … RETURNING``
on the single head row is the lock and reads the tip; each entry then links
to the one before and goes in with the commit's flush, and a trigger on
``audit_entries`` moves the head to the newest (migration 0019).

* PostgreSQL: that UPDATE takes the row lock, which a second committer waits
  for until the first transaction ends; it then reads the committed head and
  links to it.
* SQLite: the UPDATE takes the database write lock (there is one writer at a
  time), so the read that follows cannot be stale.

The lock is held from the seal to the end of the commit only: every audited
write on the platform serializes on it, for two statements and the commit
rather than for the whole request (measured by bench/run: a topic's action
answers with its page, which used to be built while the head was locked).
It is also the last lock a transaction takes, so two transactions cannot
wait on each other through it. An entry's time is when it was recorded; its
place in the chain is when its transaction committed. A transaction that
reads the chain before committing (verify, a test) seals first and sees its
own entries; a savepoint that rolls back takes its entries with it.

The seal covers every field of an entry except its id, plus the previous
entry's seal; the position is fixed by that link instead. An entry moved to
another id therefore still seals right but links wrong, which is how
``verify`` tells "reordered" from "altered".

The seal is an HMAC-SHA256 keyed with the audit key (core/audit/key.py),
which is not in the database, so rewriting rows and recomputing their
hashes no longer passes; the head is also written down outside the database
in checkpoints (core/audit/checkpoint.py), so deleting the newest rows and
rewinding ``audit_head`` does not pass either. What that proves and what it
does not: core/audit/README.md.
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from core import clock
from core.audit.checkpoint import Checkpoint, CheckpointError, append_checkpoint, parse_line, read_checkpoints
from core.audit.key import AuditKey
from core.audit.session import session_checkpoints, session_key
from core.savepoints import began_within, frame_of
from core.models.audit import GENESIS_HASH, KEYED_SCHEME, LEGACY_SCHEME, AuditEntry, AuditHead

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


def _canonical(*, at: datetime, actor_user_id: int | None, actor_label: str, region_code: str | None,
               action: str, object_type: str, object_id: str, before: Any, after: Any, prev_hash: str) -> bytes:
    """Sorted-key, separator-free JSON of the entry's fields and the previous seal."""
    return json.dumps(
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
    ).encode("utf-8")


def entry_hash(**fields: Any) -> str:
    """The legacy seal (scheme ``sha256``): plain SHA-256 of the canonical form, anyone can compute it."""
    return hashlib.sha256(_canonical(**fields)).hexdigest()


def entry_mac(key: AuditKey, **fields: Any) -> str:
    """The seal of every entry since migration 0015 (scheme ``hmac-sha256``)."""
    return hmac.new(key.secret, _canonical(**fields), hashlib.sha256).hexdigest()


def _fields(row) -> dict[str, Any]:
    return dict(at=row.at, actor_user_id=row.actor_user_id, actor_label=row.actor_label,
                region_code=row.region_code, action=row.action, object_type=row.object_type,
                object_id=row.object_id, before=row.before, after=row.after, prev_hash=row.prev_hash)


# -- appending ------------------------------------------------------------

async def record(session: AsyncSession, *, actor: Any, action: str, object_type: str, object_id: Any,
                 region_code: str | None = None, before: Any = None, after: Any = None) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change).

    ``actor``: a Principal, a User, a label such as ``"job:reminders"``, or
    None for the system. ``before`` / ``after``: JSON-able snapshots (dates,
    datetimes, enums and dataclasses are converted); None for "did not exist".

    The entry waits in the session and is sealed into the chain when the
    transaction commits (or when the transaction itself reads the chain):
    its id and its link are given then, so the entry returned has neither yet.
    """
    # Now, not at commit: a session without the key must refuse the change that records.
    session_key(session)
    if not session.in_transaction():
        # The entry belongs to a transaction: a rollback before any other statement drops it too.
        await session.connection()
    actor_user_id, actor_label = actor_fields(actor)
    entry = AuditEntry(at=clock.now(), actor_user_id=actor_user_id, actor_label=actor_label,
                       region_code=region_code, action=action, object_type=object_type, object_id=str(object_id),
                       before=to_json_value(before), after=to_json_value(after), scheme=KEYED_SCHEME)
    sync = session.sync_session
    sync.info.setdefault(_PENDING, []).append((frame_of(sync), entry))
    return entry


# Entries recorded in this transaction and not yet sealed: (frame, entry).
_PENDING = "yishi.audit.pending"


def seal_pending(session: Session) -> None:
    """Seal the transaction's waiting entries into the chain: lock the head and
    read the tip in one statement, link and MAC each entry, and add them for the
    flush that follows (the head follows the newest by a trigger, migration 0019).

    Both backends: the UPDATE is the lock (see the module docstring). Taken at
    commit, it is held for the INSERT and the COMMIT only.
    """
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    key = session_key(session)
    head = session.connection().execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_id=AuditHead.last_id)
        .returning(AuditHead.last_id, AuditHead.last_hash)
        .execution_options(synchronize_session=False)).one_or_none()
    if head is None:
        raise RuntimeError("audit_head row is missing; run `yishi db upgrade`")
    last_id, prev_hash = head
    for _frame, entry in pending:
        last_id += 1
        entry.id, entry.prev_hash = last_id, prev_hash
        entry.hash = prev_hash = entry_mac(key, **_fields(entry))
        session.add(entry)


@event.listens_for(Session, "before_commit")
def _seal_at_commit(session: Session) -> None:
    # The entries added here go in with the commit's own flush.
    seal_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _seal_before_reading_the_chain(state: ORMExecuteState) -> None:
    # A transaction reading the chain (verify, a test) sees its own entries in it.
    if state.session.info.get(_PENDING) and state.is_select and any(
            mapper.class_ in (AuditEntry, AuditHead) for mapper in state.all_mappers):
        seal_pending(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if previous.parent is None:
        session.info.pop(_PENDING, None)
        return
    # What a rolled-back savepoint recorded is gone with what it changed.
    kept = [(frame, entry) for frame, entry in pending if not began_within(frame, previous)]
    session.info[_PENDING] = kept


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


# -- checking -------------------------------------------------------------

@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    bad_entry_id: int | None = None
    # "altered", "removed", "reordered", or "checkpoint" (the checkpoint file itself is bad)
    reason: str | None = None
    detail: str = ""
    # The newest checkpoint the chain was held against; None: none written yet.
    anchor: Checkpoint | None = None

    def describe(self) -> str:
        if not self.ok:
            if self.bad_entry_id is None:
                return f"audit chain cannot be trusted: {self.reason} ({self.detail})"
            return f"audit chain broken at entry {self.bad_entry_id}: {self.reason} ({self.detail})"
        if self.anchor is None:
            return (f"audit chain intact: {self.checked} entries; no checkpoint yet, so removal of the "
                    "newest entries would not show (run `yishi audit checkpoint`)")
        return (f"audit chain intact: {self.checked} entries; holds against {self.anchor.where} "
                f"(entry {self.anchor.entry_id}, {_at_text(self.anchor.at)})")


class CheckpointRefused(RuntimeError):
    """The chain does not check out since the last checkpoint, so none was written."""

    def __init__(self, report: VerifyReport):
        super().__init__(report.describe())
        self.report = report


@dataclass
class _Walk:
    """Where a walk along the chain has got to."""

    next_id: int
    prev_hash: str
    checked: int = 0
    # Last legacy entry seen, and whether a keyed one came already.
    legacy_end: int = 0
    keyed_seen: bool = False


@dataclass(frozen=True)
class _Anchors:
    by_id: dict[int, Checkpoint]
    latest: Checkpoint | None
    # Where the legacy (plain SHA-256) part ends, as the checkpoints say; None: no checkpoint yet.
    legacy_end: int | None


def _anchors(checkpoints: Sequence[Checkpoint]) -> _Anchors:
    """Index genuine checkpoints by entry; CheckpointError when two of them contradict each other."""
    by_id: dict[int, Checkpoint] = {}
    for checkpoint in checkpoints:
        seen = by_id.get(checkpoint.entry_id)
        if seen is not None and seen.mac != checkpoint.mac:
            raise CheckpointError(checkpoint.where, f"it records another MAC for entry {checkpoint.entry_id} "
                                                    f"than {seen.where}")
        by_id.setdefault(checkpoint.entry_id, checkpoint)
        first = checkpoints[0]
        if checkpoint.legacy_end != first.legacy_end:
            raise CheckpointError(checkpoint.where, f"it moves the end of the legacy part from entry "
                                                    f"{first.legacy_end} to {checkpoint.legacy_end}")
    latest = max(checkpoints, key=lambda c: c.entry_id, default=None)
    return _Anchors(by_id, latest, checkpoints[0].legacy_end if checkpoints else None)


def _seal_problem(row, key: AuditKey, walk: _Walk, legacy_end: int | None) -> str | None:
    if row.scheme == KEYED_SCHEME:
        if hmac.compare_digest(entry_mac(key, **_fields(row)), row.hash):
            return None
        return "MAC mismatch: its content no longer matches its MAC (edited, or not written with the audit key)"
    if row.scheme == LEGACY_SCHEME:
        if legacy_end is not None and row.id > legacy_end:
            return (f"it claims the pre-key SHA-256 scheme, but the checkpoints seal the legacy part "
                    f"at entry {legacy_end}")
        if legacy_end is None and walk.keyed_seen:
            return "it claims the pre-key SHA-256 scheme after keyed entries"
        if entry_hash(**_fields(row)) == row.hash:
            return None
        return "its content no longer matches its hash"
    return f"unknown seal scheme {row.scheme!r}"


async def _walk(session: AsyncSession, key: AuditKey, walk: _Walk, upto: int,
                anchors: _Anchors) -> VerifyReport | None:
    """Check entries ``walk.next_id`` … ``upto`` in order; the first break, or None."""
    while walk.next_id <= upto:
        rows = (await session.execute(
            select(AuditEntry.__table__).where(AuditEntry.id >= walk.next_id, AuditEntry.id <= upto)
            .order_by(AuditEntry.id).limit(_BATCH))).all()
        if not rows:
            break
        for row in rows:
            if row.id != walk.next_id:
                gap = str(walk.next_id) if row.id == walk.next_id + 1 else f"{walk.next_id}–{row.id - 1}"
                return VerifyReport(False, walk.checked, walk.next_id, "removed", f"entries {gap} are missing")
            problem = _seal_problem(row, key, walk, anchors.legacy_end)
            if problem is not None:
                return VerifyReport(False, walk.checked, row.id, "altered", problem)
            if row.prev_hash != walk.prev_hash:
                return VerifyReport(False, walk.checked, row.id, *await _why_unlinked(session, row))
            anchor = anchors.by_id.get(row.id)
            if anchor is not None and anchor.mac != row.hash:
                return VerifyReport(False, walk.checked, row.id, "altered",
                                    f"it is not the entry {anchor.where} ({_at_text(anchor.at)}) recorded: "
                                    "it, or entries before it, were replaced since")
            if row.scheme == LEGACY_SCHEME:
                walk.legacy_end = row.id
            else:
                walk.keyed_seen = True
            walk.prev_hash = row.hash
            walk.next_id += 1
            walk.checked += 1
    if walk.next_id <= upto:
        gap = str(walk.next_id) if walk.next_id == upto else f"{walk.next_id}–{upto}"
        return VerifyReport(False, walk.checked, walk.next_id, "removed", f"entries {gap} are missing")
    return None


def _rewound(checked: int, last_id: int, latest: Checkpoint) -> VerifyReport:
    first = last_id + 1
    gap = str(first) if first == latest.entry_id else f"{first}–{latest.entry_id}"
    return VerifyReport(False, checked, first, "removed",
                        f"{latest.where} ({_at_text(latest.at)}) records entry {latest.entry_id} with MAC "
                        f"{latest.mac[:16]}…, but the chain now ends at entry {last_id}: entries {gap} were "
                        "deleted and the head rewound")


def _load_anchors(session: AsyncSession, key: AuditKey, extra: Sequence[str]) -> _Anchors:
    checkpoints = read_checkpoints(session_checkpoints(session), key)
    checkpoints += [parse_line(text, key, f"--checkpoint {n}") for n, text in enumerate(extra, start=1)]
    return _anchors(checkpoints)


async def verify(session: AsyncSession, *, extra_checkpoints: Sequence[str] = ()) -> VerifyReport:
    """Walk the chain from the first entry and report the first break.

    Every entry's seal is checked (MAC with the session's key, or SHA-256
    for the legacy part), every link, and every entry a checkpoint names
    (from the checkpoint file, plus ``extra_checkpoints``: printed lines).
    Reads the head first and checks the entries up to it: entries appended
    while this runs are not judged, and every entry up to the head is
    already committed (the head moves in the same transaction as its entry).
    """
    key = session_key(session)
    try:
        anchors = _load_anchors(session, key, extra_checkpoints)
    except CheckpointError as exc:
        return VerifyReport(False, 0, None, "checkpoint", str(exc))
    head = (await session.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == HEAD_ID))).one_or_none()
    if head is None:
        return VerifyReport(False, 0, None, "removed", "the audit_head row is missing")
    walk = _Walk(1, GENESIS_HASH)
    broken = await _walk(session, key, walk, head.last_id, anchors)
    if broken is not None:
        return broken
    if walk.prev_hash != head.last_hash:
        return VerifyReport(False, walk.checked, head.last_id or None, "altered",
                            "the last entry does not match the chain head")
    # Read rows before the head again: a legitimate entry is committed with
    # its head update, so an id beyond the head was written past the service.
    max_id = await session.scalar(select(func.max(AuditEntry.id)))
    last_id = await session.scalar(select(AuditHead.last_id).where(AuditHead.id == HEAD_ID))
    if max_id is not None and max_id > last_id:
        first_extra = await session.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.id > last_id))
        return VerifyReport(False, walk.checked, first_extra, "altered",
                            "entry written outside the audit service (beyond the chain head)")
    if anchors.latest is not None and anchors.latest.entry_id > head.last_id:
        return _rewound(walk.checked, head.last_id, anchors.latest)
    return VerifyReport(True, walk.checked, anchor=anchors.latest)


async def take_checkpoint(session: AsyncSession) -> tuple[Checkpoint, str]:
    """Write the current head to the checkpoint file; returns it and its line.

    Only the entries since the newest checkpoint are checked first (so the
    cost stays flat as the chain grows): a checkpoint must not bless new
    forged entries or a rewound head. CheckpointRefused if they do not hold.
    When nothing was appended since, the newest checkpoint is returned as is.
    """
    key, path = session_key(session), session_checkpoints(session)
    try:
        anchors = _load_anchors(session, key, ())
    except CheckpointError as exc:
        raise CheckpointRefused(VerifyReport(False, 0, None, "checkpoint", str(exc))) from None
    head = (await session.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == HEAD_ID))).one_or_none()
    if head is None:
        raise CheckpointRefused(VerifyReport(False, 0, None, "removed", "the audit_head row is missing"))
    latest = anchors.latest
    walk = _Walk(1, GENESIS_HASH)
    if latest is not None:
        if head.last_id < latest.entry_id:
            raise CheckpointRefused(_rewound(0, head.last_id, latest))
        walk = _Walk(latest.entry_id + 1, latest.mac, legacy_end=latest.legacy_end)
        if latest.entry_id:
            # The anchor entry itself, once: the walk below starts after it.
            row = (await session.execute(
                select(AuditEntry.__table__).where(AuditEntry.id == latest.entry_id))).one_or_none()
            if row is None or row.hash != latest.mac:
                raise CheckpointRefused(VerifyReport(
                    False, 0, latest.entry_id, "removed" if row is None else "altered",
                    f"it is not the entry {latest.where} recorded"))
            problem = _seal_problem(row, key, walk, anchors.legacy_end)
            if problem is not None:
                raise CheckpointRefused(VerifyReport(False, 0, row.id, "altered", problem))
    broken = await _walk(session, key, walk, head.last_id, anchors)
    if broken is not None:
        raise CheckpointRefused(broken)
    if walk.prev_hash != head.last_hash:
        raise CheckpointRefused(VerifyReport(False, walk.checked, head.last_id or None, "altered",
                                             "the last entry does not match the chain head"))
    if latest is not None and (latest.entry_id, latest.mac) == (head.last_id, head.last_hash):
        return latest, latest.line(key)
    legacy_end = anchors.legacy_end if anchors.legacy_end is not None else walk.legacy_end
    checkpoint = Checkpoint(head.last_id, head.last_hash, clock.now(), legacy_end,
                            where=path.name)
    return checkpoint, append_checkpoint(path, key, checkpoint)


async def _why_unlinked(session: AsyncSession, row) -> tuple[str, str]:
    """An intact entry that links to the wrong predecessor: moved, or its predecessor is gone."""
    if row.prev_hash == GENESIS_HASH:
        return "reordered", "the chain's first entry sits at a later position"
    predecessor = await session.scalar(select(AuditEntry.id).where(AuditEntry.hash == row.prev_hash).limit(1))
    if predecessor is not None:
        return "reordered", f"it follows entry {predecessor} in the chain, not entry {row.id - 1}"
    return "removed", "the entry it links to is no longer in the chain (removed, or rewritten with a new hash)"
