"""Public notices (公示) of consultation results, and residents' objections (异议).

A notice is opened when a resolution is published and stays open for the
region's ``core.notice_days``; it is what the public notice board shows.
``region_code`` is the owning council's region when the notice opened; the
board of a community also shows notices of topics affecting it (through
``topic_regions``), so the source communities of an escalated topic see it.

An objector's contact is private: only its masked form is ever shown to the
public. The client address is kept as a hash, only to bound objections per
client.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, code_column_type, utcnow

NOTICE_STATUSES = ("open", "closed", "withdrawn")
# How a closed notice ended.
NOTICE_RESULTS = ("no_objection", "objections")
OBJECTION_STATUSES = ("open", "answered", "upheld", "referred")


RESULTS = "results"


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    # The action that published the results.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("topic_events.id", ondelete="SET NULL"))
    # Copied at publication: what was posted must not change afterwards.
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What it is for: the consultation's results (the notice residents object to), or
    # another kind a plugin posts (Ningbo's plan, 提前公示协商方案), which takes no objections.
    kind: Mapped[str] = mapped_column(String(16), default=RESULTS)
    status: Mapped[str] = mapped_column(String(16), default="open")
    result: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_notices_topic_id", "topic_id"),
        Index("ix_notices_region_code_status", "region_code", "status"),
        # The expiry job's query: open notices whose period has ended.
        Index("ix_notices_status_closes_at", "status", "closes_at"),
        # The stats' open notices of a subtree: only the open ones are in the range read.
        Index("ix_notices_status_region_code_closes_at", "status", "region_code", "closes_at"),
    )


class Objection(Base):
    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    # The topic event that counted it in the procedure.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("topic_events.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(100))
    # Private; the public sees only a masked form.
    contact: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    # SHA-256 of the client address (never the address): lets a council see that several
    # objections came from one sender. The limit itself counts in core.ratelimit windows.
    client_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The council's answer, public on the notice board.
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_by_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_objections_notice_id", "notice_id", "id"),
        Index("ix_objections_topic_id_status", "topic_id", "status"),
        Index("ix_objections_client_hash_created_at", "client_hash", "created_at"),
    )
