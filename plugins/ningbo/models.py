"""Ningbo's own tables: demonstration points and the parties of estate joint meetings."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, code_column_type, utcnow


class DemonstrationPoint(Base):
    """A community designated by its district as a 社区协商示范观察点 (001 §一, §三(五))."""

    __tablename__ = "ningbo_demonstration_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code", ondelete="CASCADE"),
                                             unique=True)
    designated_on: Mapped[date] = mapped_column(Date)
    designated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EstateParty(Base):
    """Which participant of a housing-estate joint meeting (小区联席会议) speaks
    for which of the four parties 001 §二(三) names."""

    __tablename__ = "ningbo_estate_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("meeting_participants.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("participant_id", name="uq_ningbo_estate_parties_participant_id"),
        Index("ix_ningbo_estate_parties_meeting_id", "meeting_id"),
    )
