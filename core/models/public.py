"""The residents' door: what it keeps to let a resident follow a topic
without an account (its floods are held back by ``rate_limit_windows``,
:mod:`core.models.ratelimit`).

``public_receipts`` ties a random tracking code to the topic it was issued
for: the code is the resident's only key.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class PublicReceipt(Base):
    __tablename__ = "public_receipts"

    tracking_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_public_receipts_topic_id", "topic_id"),)
