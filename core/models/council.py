"""Councils (协商议事会), their terms (任期) and members (1+7+X).

A member row belongs to one term; a new term copies the previous roster into
fresh rows (``carried_from_id`` links them), so each term's roster stays as it
was. A member who leaves keeps the row with ``left_on`` set: history is never
deleted.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, code_column_type, utcnow


class Council(Base):
    __tablename__ = "councils"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(
        code_column_type(12), ForeignKey("regions.code", ondelete="CASCADE"), unique=True
    )
    # The region's level: street / community normally; district / city for escalations.
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    # 议事厅 / 协商议事室 / 协商民主之家: where it meets, free text.
    venue: Mapped[str] = mapped_column(Text, default="")
    # The community's grids (网格), each of which nominates fixed members
    # (000 "每个网格推荐1-2名"): a grid named here with no nominee is remarked on.
    grids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    terms: Mapped[list["CouncilTerm"]] = relationship(
        back_populates="council", order_by="CouncilTerm.number", lazy="raise"
    )


class CouncilTerm(Base):
    __tablename__ = "council_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    # 1 for the first term, then counting up.
    number: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    # Open-ended until the next residents' committee election is known.
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    council: Mapped[Council] = relationship(back_populates="terms", lazy="raise")

    __table_args__ = (
        UniqueConstraint("council_id", "number", name="uq_council_terms_council_number"),
    )


class CouncilMember(Base):
    __tablename__ = "council_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("council_terms.id", ondelete="CASCADE"))
    # None for a person without an account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(100))
    # One of core.councils.categories (the 1, the 7 fixed kinds, or an X kind).
    category: Mapped[str] = mapped_column(String(32))
    is_cadre: Mapped[bool] = mapped_column(Boolean, default=False)
    is_cppcc: Mapped[bool] = mapped_column(Boolean, default=False)
    # A CPPCC member's committee (core.councils.cppcc.CPPCC_LEVELS): city or district/county;
    # "" not recorded (003 §三 places members in councils by their committee's level).
    cppcc_level: Mapped[str] = mapped_column(String(16), default="")
    # The grid (网格) a residents' representative stands for.
    grid: Mapped[str] = mapped_column(String(100), default="")
    # chair / vice_chair / convenor / secretary / head / member
    role_in_council: Mapped[str] = mapped_column(String(32), default="member")
    # Posts the composition rules require on the council (000, 002).
    is_residents_committee_director: Mapped[bool] = mapped_column(Boolean, default=False)
    is_supervisory_director: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    # How a fixed member was put forward (core.councils.nominations.NOMINATIONS); "" not recorded.
    nominated_by: Mapped[str] = mapped_column(String(24), default="")
    # The party organisation's confirmation of the list (党委研究确定 / 党委确认):
    # until then the member is nominated, not yet a fixed member. A new term
    # carries the member over unconfirmed, to be confirmed again.
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    confirmed_by: Mapped[str] = mapped_column(String(200), default="")
    # The same person's row in the previous term, when carried over.
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_council_members_term_id", "term_id"),
        Index("ix_council_members_user_id", "user_id"),
    )


class CouncilDocument(Base):
    """A document a council keeps on file (its rules, its catalogue, photos of
    its signage and facilities…), an attachment filed under a kind.

    Withdrawing one sets ``withdrawn_at``; the row stays, so what was on
    file when is never lost.
    """

    __tablename__ = "council_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    # One of core.councils.categories.DOCUMENT_KINDS.
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    filed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_council_documents_council_id_kind", "council_id", "kind"),)
