"""Rate-limit windows: one row per limited key and fixed window, holding how
many uses that window has admitted. The row is the unit of atomicity: taking
a slot is one upsert on it (see :mod:`core.ratelimit`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class RateLimitWindow(Base):
    __tablename__ = "rate_limit_windows"

    # "<scope>:<subject>"; a client subject is a digest, never an address.
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_rate_limit_windows_ends_at", "ends_at"),)
