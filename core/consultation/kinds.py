"""Meeting kinds (会议类型): what a kind is, and the kinds every council may hold.

The platform (``core.plugins``) imports :class:`MeetingKind` so that a
regional variant can declare its own kinds; this module therefore imports
nothing of the platform or of other features.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MeetingKind:
    key: str
    title_zh: str
    title_en: str


BUILTIN_KINDS = (
    MeetingKind("talk", "说事会", "talk session"),
    MeetingKind("heart_to_heart", "恳谈会", "heart-to-heart meeting"),
    MeetingKind("hearing", "听证会", "hearing"),
    MeetingKind("deliberation", "议事会", "deliberation meeting"),
    MeetingKind("review", "评议会", "review meeting"),
    MeetingKind("joint", "联席会议", "joint meeting"),
)
