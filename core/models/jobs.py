"""The job outbox and the record of scheduled fires.

A job is written in the same transaction as the change that causes it and
handed to the broker only after commit; its row is marked done by the worker,
so a job in flight when the process stops is handed over again on start.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class OutboxJob(Base):
    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(128))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # pending: not yet handed to the broker; dispatched: handed over; done / failed: finished
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_job_outbox_status", "status"),)


class ScheduledFire(Base):
    """One firing of a periodic job; the primary key makes a slot fire once
    even when two schedulers run."""

    __tablename__ = "scheduled_fires"

    job_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(Integer)
