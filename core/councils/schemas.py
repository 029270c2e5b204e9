"""Request bodies of the council routes.

A member's and a document's bodies are the service's own types
(:class:`MemberData`, :class:`DocumentData`): the service takes them as they
are decoded. A field a form does not have is refused by name.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from core.councils.service import Confirmation, DocumentData, MemberData

__all__ = ["Confirmation", "CouncilEdit", "DocumentData", "MemberData", "MemberLeave", "TermStart"]


class CouncilEdit(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    venue: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    # The community's grids (网格), each to nominate fixed members.
    grids: list[Annotated[str, msgspec.Meta(max_length=100)]] | None = None


class TermStart(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    starts_on: date
    ends_on: date | None = None


class MemberLeave(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Defaults to today.
    left_on: date | None = None
    notes: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
