"""The audit trail: an append-only, hash-chained log of every change.

Each entry stores the MAC of the one before it, so altering, removing or
reordering an entry breaks the chain where it happened (``yishi audit verify``);
the MAC is keyed with a secret kept outside the database (see core/audit/README.md).
Entry ids are handed out by the single-row ``audit_head`` table, not by a
sequence: a sequence leaves gaps on rollback, and a gap must mean removal.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, code_column_type

# The prev_hash of the first entry.
GENESIS_HASH = "0" * 64
# ``scheme``: entries written before the chain was keyed (migration 0015) keep
# their plain SHA-256; every entry since is HMAC-SHA256 with the audit key.
LEGACY_SCHEME = "sha256"
KEYED_SCHEME = "hmac-sha256"


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    # 1, 2, 3 … with no gaps; assigned from audit_head while it is locked.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None when the system or a background job made the change.
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    # Kept as text so the entry still reads right after the user is renamed or deleted.
    actor_label: Mapped[str] = mapped_column(String(200))
    # No foreign keys anywhere: the trail must outlive what it describes.
    region_code: Mapped[str | None] = mapped_column(code_column_type(12))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # The entry's seal under ``scheme``; the next entry's prev_hash is this.
    hash: Mapped[str] = mapped_column(String(64))
    scheme: Mapped[str] = mapped_column(String(16), default=KEYED_SCHEME)

    __table_args__ = (
        Index("ix_audit_entries_region_code", "region_code"),
        Index("ix_audit_entries_object", "object_type", "object_id"),
        Index("ix_audit_entries_actor_user_id", "actor_user_id"),
    )


class AuditHead(Base):
    """The chain's tip, one row (id = 1), locked by every append."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
