"""Request bodies of Ningbo's routes.

Every field defaults to ``UNSET``, so ``msgspec.to_builtins`` hands the
service exactly the fields the client sent; the service still judges them
and answers in both languages. A field the form does not have is refused by name.
"""
from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType


class DemonstrationPointForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # A community of the district, by code.
    community: str | None | UnsetType = UNSET
    # An ISO date, not in the future; empty or absent means today.
    designated_on: str | None | UnsetType = UNSET


class EstateParties(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Party key (residents_committee, owners_committee, property_company,
    # street_property_office) to the ids of the participants speaking for it;
    # the service names a bad party or list by its key.
    parties: dict[str, Any] | None | UnsetType = UNSET
