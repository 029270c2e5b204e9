"""Meeting kinds (会议类型): what a kind is, and the kinds every council may hold.

The platform (``core.plugins``) imports :class:`MeetingKind` so that a
regional variant can declare its own kinds; this module therefore imports
nothing of the platform or of other features (core.seeds imports nothing).
"""
from __future__ import annotations

from dataclasses import dataclass

from core.seeds import platform_default, quote


@dataclass(frozen=True)
class MeetingKind:
    key: str
    title_zh: str
    title_en: str


# The five 载体 of 001 §二(三), by their full names; the joint meeting of several
# parties (联席会议) is ours, for cross-community and estate matters.
BUILTIN_KINDS = (
    MeetingKind("talk", quote("001", "居民说事会"), "residents' talk session"),
    MeetingKind("heart_to_heart", quote("001", "民情恳谈会"), "heart-to-heart meeting"),
    MeetingKind("hearing", quote("001", "民主听证会"), "public hearing"),
    MeetingKind("deliberation", quote("001", "民主议事会"), "deliberation meeting"),
    MeetingKind("review", quote("001", "民主评议会"), "review meeting"),
    MeetingKind("joint", platform_default("联席会议"), "joint meeting"),
)
