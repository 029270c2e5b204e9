"""The residents' door: what it keeps to hold back floods and to let a
resident follow a topic without an account.

``public_submission_log`` has one row per accepted public submission; the
rate limiter counts rows in a sliding window, so the limit holds across
processes and on every backend. ``public_receipts`` ties a random tracking
code to the topic it was issued for: the code is the resident's only key.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, code_column_type, utcnow


class PublicSubmission(Base):
    __tablename__ = "public_submission_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Kept only to count submissions per client; IPv6 text fits in 45.
    client_ip: Mapped[str] = mapped_column(String(45))
    region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_public_submission_log_client_ip_at", "client_ip", "at"),
        Index("ix_public_submission_log_region_code_at", "region_code", "at"),
    )


class PublicReceipt(Base):
    __tablename__ = "public_receipts"

    tracking_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_public_receipts_topic_id", "topic_id"),)
