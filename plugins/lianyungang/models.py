"""Lianyungang's tables: consultation homes, the quarterly checks made of them,
the city CPPCC's special committees, and city matters (seed 003).

A home (协商民主之家) is a council designated as one; its kind (村民 / 市民)
follows the division it sits in. A quarter check row records that a home
was reminded, or flagged for missing its quarterly activity, so the daily
job does each once per home and quarter. A special committee (专门委员会) is
a body of the city CPPCC with the catalogue items it answers for and its
members. A city matter row records that a topic, still consulted in its
home, involves city departments or crosses districts, which committee
coordinates it, and the city departments taking part.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, code_column_type, utcnow

HOME_KINDS = ("villagers", "citizens")
CHECK_KINDS = ("reminder", "flag")


class Home(Base):
    __tablename__ = "lianyungang_homes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(
        code_column_type(12), ForeignKey("regions.code", ondelete="CASCADE"), unique=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    # villagers: 政协村民协商民主之家 (townships, villages); citizens: 政协市民协商民主之家.
    kind: Mapped[str] = mapped_column(String(16))
    is_pilot: Mapped[bool] = mapped_column(Boolean, default=False)
    designated_on: Mapped[date] = mapped_column(Date)
    designated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuarterCheck(Base):
    __tablename__ = "lianyungang_quarter_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("lianyungang_homes.id", ondelete="CASCADE"))
    # The home's region, so a district's misses are one range scan.
    region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    # reminder: told before the quarter ended; flag: the quarter ended short.
    kind: Mapped[str] = mapped_column(String(16))
    activities: Mapped[int] = mapped_column(Integer)
    required: Mapped[int] = mapped_column(Integer)
    notified_user_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("home_id", "year", "quarter", "kind", name="uq_lianyungang_quarter_checks_home_quarter"),
        Index("ix_lianyungang_quarter_checks_region_code", "region_code", "year", "quarter"),
    )


class Committee(Base):
    """A special committee (专门委员会) of a city's CPPCC."""

    __tablename__ = "lianyungang_committees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # Catalogue item codes of the matters it coordinates; an item is one committee's at most.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("city_code", "name", name="uq_lianyungang_committees_city_name"),)


class CommitteeMember(Base):
    __tablename__ = "lianyungang_committee_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Named here: the convention's name would pass PostgreSQL's 63 characters.
    committee_id: Mapped[int] = mapped_column(ForeignKey(
        "lianyungang_committees.id", ondelete="CASCADE", name="fk_lianyungang_committee_members_committee_id"))
    name: Mapped[str] = mapped_column(String(100))
    # The account they sign in with, if they have one (an inbox reader).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_cppcc: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_lianyungang_committee_members_committee_id", "committee_id", "position"),)


class CityMatter(Base):
    __tablename__ = "lianyungang_city_matters"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    involves_city_departments: Mapped[bool] = mapped_column(Boolean, default=True)
    # Its affected communities lay in more than one district or county when it was admitted.
    crosses_districts: Mapped[bool] = mapped_column(Boolean, default=False)
    committee_id: Mapped[int | None] = mapped_column(ForeignKey(
        "lianyungang_committees.id", ondelete="SET NULL", name="fk_lianyungang_city_matters_committee_id"))
    # As named when recorded (a committee only named by the setting has no row; a deleted one keeps its name).
    committee_name: Mapped[str] = mapped_column(String(100), default="")
    flagged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_lianyungang_city_matters_committee_id", "committee_id"),)


class MatterDepartment(Base):
    """A city department (市有关部门) taking part in a city matter's consultation."""

    __tablename__ = "lianyungang_city_matter_departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey(
        "lianyungang_city_matters.topic_id", ondelete="CASCADE", name="fk_lianyungang_city_matter_departments_topic_id"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("topic_id", "name", name="uq_lianyungang_city_matter_departments_topic_name"),)
