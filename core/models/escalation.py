"""Escalation upward (上移), similar topics and upward reports (提案, 社情民意信息).

An ``Escalation`` is one move of a topic to a higher council; the topic's
``region_code`` follows the latest move while ``origin_region_code`` and
``topic_regions`` keep where it came from and whom it concerns. A
``TopicLink`` records that two open topics of sibling communities read
alike. An ``UpwardReport`` goes from the council that owns a topic to the
level directly above and is followed there until answered.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, code_column_type, utcnow

# Why a topic moved: at screening (admit), on a staff request, or forwarded
# by a rejection routed 提请上级协商 (forward).
ESCALATION_TRIGGERS = ("admit", "request", "forward")
# 003 §四 "可通过提案、大会发言、专题报告、社情民意信息等方式,及时向党委、政府及有关部门反映".
REPORT_KINDS = ("proposal", "plenary_speech", "special_report", "social_opinion")
REPORT_STATUSES = ("submitted", "accepted", "answered")


class Escalation(Base):
    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    from_region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    to_region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    trigger: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The affected communities when it moved: the inbox shows where it came from.
    source_region_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as written at the time, like a topic event's actor.
    by_name: Mapped[str] = mapped_column(String(100), default="")

    __table_args__ = (
        Index("ix_escalations_to_region_code_at", "to_region_code", "at"),
        Index("ix_escalations_topic_id", "topic_id"),
    )


class TopicLink(Base):
    """A newer topic that reads like an open one of a sibling community."""

    __tablename__ = "topic_links"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    similar_topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_topic_links_similar_topic_id", "similar_topic_id"),)


class UpwardReport(Base):
    __tablename__ = "upward_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    from_region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    # The parent of from_region_code: the level that answers.
    to_region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    answer: Mapped[str] = mapped_column(Text, default="")
    filed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filed_by_name: Mapped[str] = mapped_column(String(100), default="")
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_by_name: Mapped[str] = mapped_column(String(100), default="")

    __table_args__ = (
        Index("ix_upward_reports_to_region_code_status", "to_region_code", "status"),
        Index("ix_upward_reports_topic_id", "topic_id"),
    )
