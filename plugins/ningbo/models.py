"""Ningbo's own tables: demonstration points, the parties of estate joint meetings,
reserved matters and their referrals to the residents' (representatives') meeting,
and the notices that publish a consultation plan."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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


class ReservedMatter(Base):
    """A topic the law or policy reserves to the residents' (representatives') meeting
    (001 §二(四)): its results go to that meeting for decision, objection or not."""

    __tablename__ = "ningbo_reserved_matters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), unique=True)
    # The provision that reserves it, as staff cite it.
    basis: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("topic_events.id", ondelete="SET NULL"))
    marked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_by_name: Mapped[str] = mapped_column(String(100), default="")
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssemblyReferral(Base):
    """One submission of a topic to the residents' (representatives') meeting
    (提交居民（代表）会议), and that meeting's decision once recorded."""

    __tablename__ = "ningbo_assembly_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    # None only for a decision on a referral made before referrals were recorded.
    referred_event_id: Mapped[int | None] = mapped_column(ForeignKey("topic_events.id", ondelete="SET NULL"))
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # reserved (policy reserves it), unsettled (consultation could not settle it), contested (objections).
    reason: Mapped[str] = mapped_column(String(16))
    reserved: Mapped[bool] = mapped_column(Boolean, default=False)
    objections: Mapped[int] = mapped_column(Integer, default=0)
    decided_event_id: Mapped[int | None] = mapped_column(ForeignKey("topic_events.id", ondelete="SET NULL"))
    adopted: Mapped[bool | None] = mapped_column(Boolean)
    # When and where the residents' (representatives') meeting sat.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    decision: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_name: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_ningbo_assembly_referrals_topic_id", "topic_id", "id"),)


class PlanNotice(Base):
    """A public notice of kind ``plan`` (提前公示协商方案) and the meeting whose plan it publishes."""

    __tablename__ = "ningbo_plan_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), unique=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
