"""The meeting kinds a council may hold at its region: the built-ins and those
of the region's enabled plugins.

Apart from :mod:`core.consultation.kinds` because it asks the region's hooks:
``core.plugins`` imports that module, and this one reaches ``core.plugins``
through ``core.region_context``.
"""
from __future__ import annotations

from core.consultation.kinds import BUILTIN_KINDS, MeetingKind
from core.region_context import RegionContext


def meeting_kinds(context: RegionContext | None) -> dict[str, MeetingKind]:
    """The kinds a council at the context's region may hold: the built-ins, then
    those of its enabled plugins (only the built-ins without a context)."""
    kinds = {k.key: k for k in BUILTIN_KINDS}
    if context is None:
        return kinds
    for answer in context.hooks.yishi_meeting_kinds(region_code=context.region_code):
        for kind in answer or ():
            kinds.setdefault(kind.key, kind)
    return kinds
