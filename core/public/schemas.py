"""The residents' door's form (社会征).

Every field defaults to ``UNSET``, so ``msgspec.to_builtins`` hands the
service exactly the fields the resident sent; the service still judges them
and answers in both languages. A misspelt field (``contact`` for
``proposer_contact``) is refused by name rather than dropped with the
resident's number.
"""
from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class PublicTopicForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: str | None | UnsetType = UNSET
    description: str | None | UnsetType = UNSET
    category: str | None | UnsetType = UNSET
    scale: str | None | UnsetType = UNSET
    proposer_name: str | None | UnsetType = UNSET
    proposer_contact: str | None | UnsetType = UNSET
    affected_regions: list[str] | None | UnsetType = UNSET
    # Accepted and overridden: the public door is always the resident channel.
    channel: str | None | UnsetType = UNSET
