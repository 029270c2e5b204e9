"""Per-region plugin enablement and settings.

A value set at a region applies to its whole subtree unless a narrower region
sets its own: community → street → district → city → plugin default.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, code_column_type


class RegionPlugin(Base):
    __tablename__ = "region_plugins"

    region_code: Mapped[str] = mapped_column(
        code_column_type(12), ForeignKey("regions.code", ondelete="CASCADE"), primary_key=True
    )
    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class RegionSetting(Base):
    __tablename__ = "region_settings"

    region_code: Mapped[str] = mapped_column(
        code_column_type(12), ForeignKey("regions.code", ondelete="CASCADE"), primary_key=True
    )
    # "<plugin>.<setting>", e.g. "core.notice_days"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
