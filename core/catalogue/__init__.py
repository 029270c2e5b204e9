"""The consultation catalogue (议事目录): what may and may not be consulted.

Plugins supply items through ``yishi_catalogue``; the core's generic
catalogue (``core.catalogue.generic``) fills in where no plugin does.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ADMISSIBLE = "admissible"
EXCLUDED = "excluded"
KINDS = (ADMISSIBLE, EXCLUDED)

# Where a rejected topic goes (DOMAIN.md §3).
ROUTES = {
    "forward_upward": ("提请上级协商", "forward to the higher council"),
    "refer_department": ("转交职能部门办理", "refer to the responsible department"),
    "answer_directly": ("直接答复提议人", "answer the proposer directly"),
}


@dataclass(frozen=True)
class CatalogueItem:
    code: str
    kind: str
    number: int
    text_zh: str
    text_en: str = ""
    # The route a rejection citing this item usually takes, if any.
    route: str | None = None
    # The core's generic items: used only for a kind no plugin supplies.
    fallback: bool = False

    def as_dict(self) -> dict:
        return {"code": self.code, "kind": self.kind, "number": self.number, "text_zh": self.text_zh,
                "text_en": self.text_en, "route": self.route}


class Catalogue:
    """A region's items, in the order plugins gave them."""

    def __init__(self, items: Iterable[CatalogueItem]):
        self.items: tuple[CatalogueItem, ...] = tuple(items)
        self._by_code = {item.code: item for item in self.items}

    def get(self, code: str | None) -> CatalogueItem | None:
        return self._by_code.get(code) if code else None

    def of_kind(self, kind: str) -> list[CatalogueItem]:
        return [item for item in self.items if item.kind == kind]


def catalogue_for_region(host, region_code: str, enabled: Iterable[str]) -> Catalogue:
    """The catalogue the region's enabled plugins (and the built-ins) supply.

    Fallback items stand in per kind: a plugin that lists only exclusions
    (Jinchang's three) keeps the generic admissible kinds, and vice versa.
    """
    found = [item for items in host.hooks_for(enabled).yishi_catalogue(region_code=region_code)
             for item in (items or ())]
    supplied = {item.kind for item in found if not item.fallback}
    return Catalogue(item for item in found if not (item.fallback and item.kind in supplied))
