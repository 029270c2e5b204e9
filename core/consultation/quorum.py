"""Quorum (法定人数): how many of the fixed members serving on the meeting day
must be present for a vote to count, and where a meeting stands against it.

A vote judges it once and stores the figures (:mod:`~core.consultation.votes`);
the meeting's view shows the same figures for the attendance as it stands, so
a recorder sees before voting whether the vote can pass.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.consultation.queries import participants, serving_members
from core.councils.categories import is_fixed
from core.models import CouncilMember
from core.models.consultation import Meeting

QUORUM_SETTING = "core.quorum_ratio"


def quorum_required(fixed_members: int, ratio: float) -> int:
    """Fixed members who must be present; at least one, so an empty council never has quorum."""
    # The epsilon keeps 0.5 * 20 at 10, not 11, after float rounding.
    return max(1, math.ceil(fixed_members * ratio - 1e-9))


@dataclass(frozen=True)
class Quorum:
    fixed_members: int
    fixed_present: int
    required: int
    ratio: float

    @property
    def met(self) -> bool:
        return self.fixed_members > 0 and self.fixed_present >= self.required

    def as_dict(self) -> dict[str, Any]:
        return {"fixed_members": self.fixed_members, "fixed_present": self.fixed_present,
                "quorum_ratio": self.ratio, "quorum_required": self.required, "quorum_met": self.met}


def quorum_of(serving: Mapping[int, CouncilMember], attending: Collection[int], ratio: float) -> Quorum:
    """The quorum of a council whose ``serving`` members (by id) include the ``attending`` ones."""
    fixed = [m for m in serving.values() if is_fixed(m.category)]
    return Quorum(fixed_members=len(fixed), fixed_present=sum(1 for m in fixed if m.id in attending),
                  required=quorum_required(len(fixed), ratio), ratio=float(ratio))


async def attending_members(session: AsyncSession, meeting: Meeting,
                            serving: Mapping[int, CouncilMember]) -> set[int]:
    """Ids of the serving members marked present at ``meeting``."""
    return {p.member_id for p in await participants(session, meeting) if p.attended and p.member_id in serving}


async def meeting_quorum(session: AsyncSession, meeting: Meeting, ratio: float) -> Quorum:
    """The quorum as the meeting's attendance stands now."""
    serving = await serving_members(session, meeting)
    return quorum_of(serving, await attending_members(session, meeting, serving), ratio)
