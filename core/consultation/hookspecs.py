"""The consultation part of the plugin contract.

Kept beside the consultation code until it joins ``core.hookspecs``; a host
adds it with ``pm.add_hookspecs(core.consultation.hookspecs)``. Until then a
plugin implementing it would be refused by ``check_pending`` and the core
offers the built-in kinds only.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("yishi")


@hookspec
def yishi_meeting_kinds(region_code):
    """Add kinds of consultation meeting (e.g. a region's 村民说事 or 楼道议事).

    Arguments: ``region_code``, the division code of the council holding the
    meeting.

    Return: a list of ``core.consultation.service.MeetingKind`` (key, Chinese
    and English title), or None. The core's six kinds (说事会, 恳谈会, 听证会,
    议事会, 评议会, 联席会议) are always offered; a plugin's kind with the same
    key as another is ignored after the first.

    Collected from every plugin enabled at the region (not firstresult).
    """
