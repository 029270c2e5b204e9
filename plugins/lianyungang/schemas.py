"""Request bodies of Lianyungang's routes. A field a form does not have is refused by name."""
from __future__ import annotations

from datetime import date

import msgspec


class Designation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Defaults to today; an earlier date records a home designated before the platform.
    designated_on: date | None = None


class PilotChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    is_pilot: bool
