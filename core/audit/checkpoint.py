"""The checkpoint file: the chain's head, written down outside the database.

One line per checkpoint, appended and never rewritten, in
``<data_dir>/audit.checkpoints``::

    yishi-audit v1 entry=42 mac=<64 hex> at=2026-12-01T21:00:00.000000+00:00 legacy=0 sig=<64 hex>

``entry``/``mac``: the newest entry when the checkpoint was taken, and its
MAC (the ``hash`` column). ``legacy``: the last entry sealed with plain
SHA-256 before the chain was keyed (0 when none); it is fixed by the first
checkpoint and repeated by every later one, so no entry after it can pass
for a legacy one. ``sig``: HMAC-SHA256 with the audit key over everything
before `` sig=``, so only the key's holder can write a line that verifies.
The same line is what ``yishi audit checkpoint`` prints for a paper log and
what ``yishi audit verify --checkpoint`` takes back.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from core.audit.key import AuditKey

CHECKPOINT_FILE = "audit.checkpoints"
_PREFIX = "yishi-audit v1"
# Keeps a checkpoint signature from ever being valid as an entry MAC (those are over JSON).
_DOMAIN = b"yishi-audit-checkpoint\n"
_LINE = re.compile(
    r"yishi-audit v1 entry=(?P<entry_id>0|[1-9][0-9]*) mac=(?P<mac>[0-9a-f]{64}) "
    r"at=(?P<at>\S+) legacy=(?P<legacy_end>0|[1-9][0-9]*) sig=(?P<sig>[0-9a-f]{64})")


class CheckpointError(ValueError):
    """A checkpoint line that is malformed or not signed by this key."""

    def __init__(self, where: str, why: str):
        super().__init__(f"{where}: {why}")
        self.where = where
        self.why = why


@dataclass(frozen=True)
class Checkpoint:
    entry_id: int
    mac: str
    at: datetime
    legacy_end: int
    # "audit.checkpoints line 3" or "--checkpoint 1": named in reports.
    where: str = ""

    def body(self) -> str:
        at = self.at.astimezone(timezone.utc).isoformat(timespec="microseconds")
        return f"{_PREFIX} entry={self.entry_id} mac={self.mac} at={at} legacy={self.legacy_end}"

    def line(self, key: AuditKey) -> str:
        return f"{self.body()} sig={_signature(key, self.body())}"


def checkpoint_path(data_dir: Path) -> Path:
    return Path(data_dir) / CHECKPOINT_FILE


def _signature(key: AuditKey, body: str) -> str:
    return hmac.new(key.secret, _DOMAIN + body.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_line(text: str, key: AuditKey, where: str) -> Checkpoint:
    """One checkpoint line, checked against ``key``; CheckpointError if it is not genuine."""
    match = _LINE.fullmatch(text.strip())
    if match is None:
        raise CheckpointError(where, "not a checkpoint line (malformed or edited)")
    try:
        at = datetime.fromisoformat(match["at"])
    except ValueError:
        raise CheckpointError(where, "its time is not an ISO timestamp") from None
    if at.tzinfo is None:
        raise CheckpointError(where, "its time has no UTC offset")
    checkpoint = Checkpoint(int(match["entry_id"]), match["mac"], at, int(match["legacy_end"]), where)
    # Compare against the signature of the line as written, so any edit shows.
    body = text.strip().rsplit(" sig=", 1)[0]
    if not hmac.compare_digest(_signature(key, body), match["sig"]):
        raise CheckpointError(where, f"its signature does not match the audit key from {key.source} "
                                     "(the line was altered, or this is not the key that wrote it)")
    return checkpoint


def read_checkpoints(path: Path, key: AuditKey) -> list[Checkpoint]:
    """Every line of the file in order (none if it does not exist yet); CheckpointError on the first bad one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    checkpoints = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            checkpoints.append(parse_line(line, key, f"{path.name} line {number}"))
    return checkpoints


def append_checkpoint(path: Path, key: AuditKey, checkpoint: Checkpoint) -> str:
    """Add ``checkpoint`` as the file's last line (one O_APPEND write, synced); returns the line."""
    line = checkpoint.line(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return line
