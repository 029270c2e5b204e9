"""Topics (议题): a matter for consultation, the path it has walked, and
the screening against the catalogue.

A topic names the procedure key and version it started under and is always
read back against that declaration. ``counters`` and ``timers`` are the
engine's state (research recorded, objections open, notice deadline);
``due_at`` is the nearest timer, kept as a column so a job can find topics
whose deadline has passed without reading JSON.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, code_column_type, utcnow

# petition: a 信访 matter the council takes up for consultation (003 §四 "对群众诉求的一些信访事项,
# 牵头搭建……多方协商平台").
CHANNELS = ("assigned", "member", "resident", "on_behalf", "petition")
SCALES = ("major", "minor", "urgent", "hard")


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The council's region that owns the topic now; changes on escalation.
    # active_history on the three columns the per-region totals count by
    # (core/models/rollup.py): a change knows the value it replaces even when
    # that was not loaded.
    region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"), active_history=True)
    origin_region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # A catalogue item code (an admissible kind), e.g. "tianshui.yi.6".
    category: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    scale: Mapped[str | None] = mapped_column(String(8))
    proposer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposer_name: Mapped[str] = mapped_column(String(100), default="")
    # Private: shown only to those who handle the topic, never publicly.
    proposer_contact: Mapped[str] = mapped_column(String(200), default="")
    # Staff who entered a resident's topic for them (代录), or the proposer.
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    procedure_key: Mapped[str] = mapped_column(String(64))
    procedure_version: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(64), active_history=True)
    status: Mapped[str] = mapped_column(String(16), default="open", active_history=True)
    counters: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Timer key -> ISO 8601 UTC deadline.
    timers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    regions: Mapped[list["TopicRegion"]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="TopicRegion.region_code"
    )

    __table_args__ = (
        Index("ix_topics_region_code_status", "region_code", "status"),
        Index("ix_topics_origin_region_code", "origin_region_code"),
        Index("ix_topics_proposer_user_id", "proposer_user_id"),
        Index("ix_topics_due_at", "due_at"),
    )


class TopicRegion(Base):
    """A community the topic affects."""

    __tablename__ = "topic_regions"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"), primary_key=True)

    __table_args__ = (Index("ix_topic_regions_region_code", "region_code"),)


class TopicEvent(Base):
    """One entry of a topic's history: who did what, when, from where to where."""

    __tablename__ = "topic_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as written at the time, so history reads right after a rename.
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(64))
    from_step: Mapped[str | None] = mapped_column(String(64))
    to_step: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_topic_events_topic_id", "topic_id", "id"),)


class ScreeningDecision(Base):
    """Admissibility decided against the catalogue (应商必商 / 九议九不议)."""

    __tablename__ = "screening_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("topic_events.id", ondelete="SET NULL"))
    admissible: Mapped[bool] = mapped_column(Boolean)
    catalogue_code: Mapped[str] = mapped_column(String(64))
    # The item's text as cited: the catalogue may change later.
    catalogue_text: Mapped[str] = mapped_column(Text)
    # For a rejection: forward_upward / refer_department / answer_directly.
    route: Mapped[str | None] = mapped_column(String(32))
    # Where a rejected matter was referred (refer_department: the department;
    # answer_directly: who answers) and by which channel (12345 hotline, a visit…):
    # the referral the proposer follows on the tracking page.
    referred_to: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(200), default="")
    feedback: Mapped[str] = mapped_column(Text, default="")
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_screening_decisions_topic_id", "topic_id"),)


class TopicFeedback(Base):
    """A message to the proposer (件件有回音); delivery channels come later."""

    __tablename__ = "topic_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recipient_name: Mapped[str] = mapped_column(String(100), default="")
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_topic_feedback_topic_id", "topic_id"),
        Index("ix_topic_feedback_recipient_user_id", "recipient_user_id"),
    )
