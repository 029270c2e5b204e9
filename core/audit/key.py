"""The audit key: the secret that makes entry MACs and checkpoints unforgeable.

It lives outside the database on purpose (``YISHI_AUDIT_KEY``, else the file
``<data_dir>/audit.key``): someone who can write the database but not read
the key cannot produce an entry or a checkpoint that verifies.

The key is the file's (or variable's) text, stripped, as UTF-8 bytes, so the
contents of ``audit.key`` can be moved into ``YISHI_AUDIT_KEY`` unchanged.
There is no rotation: entries are sealed with the one key for good.
"""
from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from core.config import Config

KEY_FILE = "audit.key"
# Our default: 32 random bytes, written as 64 hex characters.
GENERATED_BYTES = 32
# A shorter YISHI_AUDIT_KEY is refused as guessable (our default floor).
MIN_KEY_CHARS = 32


class AuditKeyError(RuntimeError):
    """The key is missing, unreadable, too short or exposed to other users."""


@dataclass(frozen=True)
class AuditKey:
    secret: bytes = field(repr=False)
    # Where it came from, for messages: "YISHI_AUDIT_KEY" or the file's path.
    source: str


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE


def _from_text(text: str, source: str) -> AuditKey:
    text = text.strip()
    if len(text) < MIN_KEY_CHARS:
        raise AuditKeyError(f"审计密钥过短 / the audit key from {source} has {len(text)} characters; "
                            f"at least {MIN_KEY_CHARS} are required")
    return AuditKey(text.encode("utf-8"), source)


def _read_file(path: Path) -> AuditKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuditKeyError(f"审计密钥文件权限过宽 / {path} is readable by other users "
                            f"(mode {stat.S_IMODE(mode):o}); run `chmod 600 {path}`")
    return _from_text(path.read_text(encoding="utf-8"), str(path))


def _generate(path: Path) -> None:
    """Write a new key to ``path`` unless one appears there first.

    The key goes to a private temporary file that is then hard-linked into
    place: a link fails if the name exists, so two processes starting at
    once end up with the same key, and neither can read a half-written file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(GENERATED_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)


def load_audit_key(config: Config, *, create: bool = True) -> AuditKey:
    """``config.audit_key`` if set; else the data directory's key file, generated if absent and ``create``."""
    if config.audit_key:
        return _from_text(config.audit_key, "YISHI_AUDIT_KEY")
    path = key_path(config.data_dir)
    if not path.exists():
        if not create:
            raise AuditKeyError(f"找不到审计密钥 / no audit key: YISHI_AUDIT_KEY is unset and {path} does not "
                                "exist (point YISHI_DATA_DIR at the directory holding audit.key)")
        try:
            _generate(path)
        except OSError as exc:
            raise AuditKeyError(f"无法生成审计密钥 / cannot write the audit key to {path}: {exc}") from exc
    return _read_file(path)
