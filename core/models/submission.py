"""One row per form a page has accepted, keyed by the one-time token the page rendered.

A double click, a reload of the POST or a second tab submitting the same form finds its
token here and is sent where the first submission went, so it makes no second record
(post/redirect/get plus this table; :mod:`admin_ui.forms`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class FormSubmission(Base):
    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Where the first submission's answer sent the browser.
    location: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_form_submissions_created_at", "created_at"),)
