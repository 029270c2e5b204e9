"""What composition rules see and what they answer.

Rules are plugins (``yishi_council_composition_rules``); they get frozen
snapshots, not ORM rows, so a rule can neither lazy-load nor change data.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.councils.categories import is_fixed


@dataclass(frozen=True)
class Violation:
    rule_id: str
    message_zh: str
    message_en: str
    # A blocking violation refuses the save; others are only shown.
    blocking: bool = False

    def as_dict(self) -> dict:
        return {"rule_id": self.rule_id, "message_zh": self.message_zh, "message_en": self.message_en,
                "blocking": self.blocking}


@dataclass(frozen=True)
class CouncilSnapshot:
    region_code: str
    kind: str
    name: str
    term_number: int | None
    term_starts_on: date | None
    term_ends_on: date | None
    # The region's resolved settings ("<plugin>.<setting>"), so a rule's
    # numbers (Tianshui's 20–30) can be set per city, district or community.
    settings: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def setting(self, key: str, default: Any = None) -> Any:
        value = self.settings.get(key)
        return default if value is None else value


@dataclass(frozen=True)
class MemberSnapshot:
    # None for a member not yet saved.
    id: int | None
    name: str
    category: str
    user_id: int | None = None
    is_cadre: bool = False
    is_cppcc: bool = False
    grid: str = ""
    role_in_council: str = "member"
    is_residents_committee_director: bool = False
    is_supervisory_director: bool = False

    @property
    def is_fixed(self) -> bool:
        return is_fixed(self.category)


def fixed_members(roster: Iterable[MemberSnapshot]) -> list[MemberSnapshot]:
    """The "1" and the "7" (rules about head counts mostly count only these)."""
    return [m for m in roster if m.is_fixed]


def collect_violations(hooks, council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
    """Ask every rule plugin ``hooks`` reaches; a plugin answering junk is a bug, said loudly."""
    found: list[Violation] = []
    for answer in hooks.yishi_council_composition_rules(council=council, roster=roster):
        for item in answer or ():
            if not isinstance(item, Violation):
                raise TypeError(f"a composition rule returned {item!r}, not a core.councils.rules.Violation")
            found.append(item)
    return found
