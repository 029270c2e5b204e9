"""Request bodies of Lianyungang's routes. A field a form does not have is refused by name."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType


class Designation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Defaults to today; an earlier date records a home designated before the platform.
    designated_on: date | None = None


class PilotChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    is_pilot: bool


class CommitteeMemberForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str | None | UnsetType = UNSET
    # An account of the city, for a member who signs in to read the committee's inbox.
    user_id: int | None | UnsetType = UNSET
    # Defaults to true: the committee coordinates the city's CPPCC members (seed 003 §三).
    is_cppcc: bool | None | UnsetType = UNSET


class CommitteeForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A special committee (专门委员会); on a change, a field left out stays as it is and a list given replaces."""

    name: str | None | UnsetType = UNSET
    # Typed loosely: the service names a bad code by its place, with the form's other mistakes.
    categories: Annotated[Any, Meta(description="catalogue item codes (a list of strings); default: those the "
                                                "setting lianyungang.special_committees gives the name")] | \
        UnsetType = UNSET
    members: list[CommitteeMemberForm] | None | UnsetType = UNSET


class CityMatterForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The city departments a matter involves (replacing those named before), and the coordinating committee."""

    city_departments: Annotated[Any, Meta(description="department names (a list of non-empty strings)")] | \
        UnsetType = UNSET
    special_committee_id: Annotated[Any, Meta(description="a special committee of the city (its id); default: "
                                                          "the one matching the topic's category")] | UnsetType = UNSET
