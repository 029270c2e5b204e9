"""Request bodies of the meeting routes.

Every optional field defaults to ``UNSET``, so ``msgspec.to_builtins`` hands
the service exactly the fields the client sent; the service still judges
what the values mean (times, members serving, the agenda) and answers in
both languages. A field the form does not have is refused by name.
"""
from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.models.consultation import MEETING_FORMS, VOTE_CHOICES


class Participant(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A council member (``member_id``) or someone else by name (with a category)."""

    member_id: int | None | UnsetType = UNSET
    name: str | None | UnsetType = UNSET
    category: str | None | UnsetType = UNSET


class MeetingForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A meeting to schedule; the fixed members serving that day are invited anyway."""

    form: Annotated[str | None, Meta(description=f"one of: {', '.join(MEETING_FORMS)}")] | UnsetType = UNSET
    kind: str | None | UnsetType = UNSET
    # ISO 8601; China time when no zone is given.
    starts_at: str | None | UnsetType = UNSET
    place: str | None | UnsetType = UNSET
    title: str | None | UnsetType = UNSET
    plan: str | None | UnsetType = UNSET
    # Topic ids of this council.
    agenda: list[int] | None | UnsetType = UNSET
    participants: list[Participant] | None | UnsetType = UNSET


class PlanPublication(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Replaces the stored plan; without it the stored one is published.
    plan: str | None | UnsetType = UNSET


class Attendance(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    present: list[Participant] | None | UnsetType = UNSET


class MinutesEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One speaker's points: a member (``member_id``) or a named ``speaker``."""

    points: str | None | UnsetType = UNSET
    member_id: int | None | UnsetType = UNSET
    speaker: str | None | UnsetType = UNSET
    topic_id: int | None | UnsetType = UNSET


class Minutes(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    entries: list[MinutesEntry] | None | UnsetType = UNSET


class MemberVote(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    member_id: int | None | UnsetType = UNSET
    choice: Annotated[str | None, Meta(description=f"one of: {', '.join(VOTE_CHOICES)}")] | UnsetType = UNSET


class Tallies(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    for_: int | None | UnsetType = msgspec.field(name="for", default=UNSET)
    against: int | None | UnsetType = UNSET
    abstain: int | None | UnsetType = UNSET


class VoteRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The vote on one agenda topic: each member's (``votes``) or the ``tallies``, not both."""

    topic_id: int | None | UnsetType = UNSET
    votes: list[MemberVote] | None | UnsetType = UNSET
    tallies: Tallies | None | UnsetType = UNSET
    resolution: str | None | UnsetType = UNSET
