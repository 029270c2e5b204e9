"""Regional standards the platform checks (ComplianceCheck: 五个有, 六有, 每季度一次).

Plugins answer ``yishi_compliance_checks`` for a region with results built
from these values; the core collects them for ``GET /regions/{code}/compliance``
and a plugin's own reports add them up over a district or a city.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ComplianceItem:
    """One requirement of a standard and whether the region meets it, with what was seen."""

    key: str
    title_zh: str
    title_en: str
    met: bool
    detail_zh: str = ""
    detail_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title_zh": self.title_zh, "title_en": self.title_en, "met": self.met,
                "detail_zh": self.detail_zh, "detail_en": self.detail_en}


@dataclass(frozen=True)
class ComplianceResult:
    """A standard (e.g. ``ningbo.five_haves``) checked at one region."""

    standard: str
    title_zh: str
    title_en: str
    region_code: str
    items: tuple[ComplianceItem, ...]

    @property
    def met_count(self) -> int:
        return sum(1 for item in self.items if item.met)

    @property
    def complete(self) -> bool:
        return self.met_count == len(self.items)

    def item(self, key: str) -> ComplianceItem | None:
        return next((i for i in self.items if i.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return {"standard": self.standard, "title_zh": self.title_zh, "title_en": self.title_en,
                "region_code": self.region_code, "met": self.met_count, "total": len(self.items),
                "complete": self.complete, "items": [i.as_dict() for i in self.items]}
