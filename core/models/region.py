"""Regions: the administrative tree, and the tenants.

Official division codes are prefix-hierarchical (a community's 12 digits begin
with its street's 9, its district's 6 and its city's 4; the importer rejects
a row that breaks this). The code is therefore its own materialised path: the
subtree of a region is the index range ``[code, next_prefix(code))``, and the
ancestors of a region are prefixes of its code, with no tree walk.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, code_column_type, utcnow


class RegionLevel(str, enum.Enum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"

    @property
    def code_length(self) -> int:
        return LEVEL_CODE_LENGTH[self]

    @property
    def label_zh(self) -> str:
        return {"city": "市", "district": "区县", "street": "街道乡镇", "community": "社区村"}[self.value]


LEVEL_CODE_LENGTH = {
    RegionLevel.city: 4,
    RegionLevel.district: 6,
    RegionLevel.street: 9,
    RegionLevel.community: 12,
}
LEVEL_BY_LENGTH = {length: level for level, length in LEVEL_CODE_LENGTH.items()}
LEVEL_ORDER = [RegionLevel.city, RegionLevel.district, RegionLevel.street, RegionLevel.community]


def level_of_code(code: str) -> RegionLevel | None:
    """The level a code's length implies, or None for a malformed code."""
    if not code.isdigit():
        return None
    return LEVEL_BY_LENGTH.get(len(code))


def ancestor_codes(code: str) -> list[str]:
    """The code itself and every ancestor's code, narrowest first."""
    return [code[:n] for n in (12, 9, 6, 4) if n <= len(code)]


def subtree_upper_bound(code: str) -> str:
    """The smallest string greater than every code that starts with ``code``."""
    return code[:-1] + chr(ord(code[-1]) + 1)


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(code_column_type(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(
        code_column_type(12), ForeignKey("regions.code"), index=True
    )
    city_code: Mapped[str] = mapped_column(code_column_type(4), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "" for a division; for the council of an enterprise or institution under a
    # street (002 "逐步向企事业单位延伸"), its kind (core.regions.units.UNIT_KINDS):
    # such a unit has a platform code outside the division data and is never
    # touched by a division import.
    unit_kind: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_regions_name", "name"),)

    @property
    def level_enum(self) -> RegionLevel:
        return RegionLevel(self.level)
