"""Request bodies of the escalation and upward-report routes.

Every optional field defaults to ``UNSET``, so ``msgspec.to_builtins`` hands
the service exactly the fields the client sent; the service still judges
the values and answers in both languages. A field the form does not have
is refused by name.
"""
from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.models.escalation import REPORT_KINDS


class EscalationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: str | None | UnsetType = UNSET
    # Communities the topic also concerns (same city).
    affected_regions: list[str] | None | UnsetType = UNSET


class UpwardReportForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: Annotated[str | None, Meta(description=f"one of: {', '.join(REPORT_KINDS)}")] | UnsetType = UNSET
    title: str | None | UnsetType = UNSET
    body: str | None | UnsetType = UNSET
    # Any level above the topic's council; by default the one directly above.
    to_region: str | None | UnsetType = UNSET


class ReportAnswer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    answer: str | None | UnsetType = UNSET
