"""Request bodies of the implementation and evaluation routes.

Every optional field defaults to ``UNSET``, so ``msgspec.to_builtins`` hands
the service exactly the fields the client sent; the service still judges
the values (ranges, deadlines in the future, attachments that exist) and
answers in both languages. A field the form does not have is refused by name.
"""
from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

# Typed loosely: the service names a bad list together with the form's other mistakes.
AttachmentIds = Annotated[Any, Meta(description="attachment ids (a list of integers)")]


class TaskForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: str | None | UnsetType = UNSET
    measures: str | None | UnsetType = UNSET
    responsible_name: str | None | UnsetType = UNSET
    # A user reminded directly when the task falls due.
    responsible_user_id: int | None | UnsetType = UNSET
    # An ISO date (the end of that day, China time) or a datetime.
    deadline: str | None | UnsetType = UNSET


class ProgressReport(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    percent: int | None | UnsetType = UNSET
    text: str | None | UnsetType = UNSET
    attachment_ids: AttachmentIds | UnsetType = UNSET


class TaskCompletion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: str | None | UnsetType = UNSET
    attachment_ids: AttachmentIds | UnsetType = UNSET
    # Close the topic too when no task is left open.
    close_topic: bool | UnsetType = UNSET


class SupervisionNoteForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: str | None | UnsetType = UNSET
    task_id: int | None | UnsetType = UNSET


class RatingForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # 1 to 5.
    score: int | None | UnsetType = UNSET
    comment: str | None | UnsetType = UNSET


class EvaluationReportForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # supervisory_committee / third_party (the default).
    evaluator_kind: str | None | UnsetType = UNSET
    evaluator: str | None | UnsetType = UNSET
    summary: str | None | UnsetType = UNSET
    # 1 to 100.
    score: int | None | UnsetType = UNSET
    attachment_ids: AttachmentIds | UnsetType = UNSET
