"""Request bodies of the public notice board.

The objection form types what the resident sends; its route hands the
service the body as sent, which names a misspelt field (``phone`` for
``contact``) together with whatever is still missing, in one answer. So
this form alone does not refuse unknown fields itself.
"""
from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class ObjectionForm(msgspec.Struct, kw_only=True):
    name: str | None | UnsetType = UNSET
    # Shown masked on the board.
    contact: str | None | UnsetType = UNSET
    text: str | None | UnsetType = UNSET
