"""Reading fields out of a client's JSON body, with bilingual field errors.

Services collect every problem into ``errors`` and raise once, so a form
shows all its mistakes together.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.errors import FieldError, unknown_field, validation_failed


def request_body(data: Any, *, required: bool = False) -> Mapping[str, Any]:
    """A client's JSON body as a mapping. No body is an empty form unless
    ``required``; anything but an object is a 400 naming the body."""
    if data is None and not required:
        return {}
    if not isinstance(data, Mapping):
        raise validation_failed(FieldError("body", "请求内容应为对象", "the request body must be an object"))
    return data


def text_field(data: Mapping[str, Any], name: str, limit: int, errors: list[FieldError], *,
               required: bool = False, zh: str = "", en: str = "", field: str | None = None) -> str:
    """The trimmed text at ``data[name]`` ("" when absent); problems go to ``errors``
    under ``field`` (default ``name``)."""
    field = field or name
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(FieldError(field, f"{zh}应为文本", f"{en} must be text"))
        return ""
    value = value.strip()
    if required and not value:
        errors.append(FieldError(field, f"请填写{zh}", f"{en} is required"))
    elif len(value) > limit:
        errors.append(FieldError(field, f"{zh}不得超过 {limit} 字", f"{en} must be at most {limit} characters"))
    return value


def required_text(data: Mapping[str, Any], name: str, limit: int, zh: str, en: str,
                  errors: list[FieldError]) -> str:
    """Like :func:`text_field` with ``required=True``, except that a value that is
    not text is reported as missing (for short public forms, one message is clearer)."""
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError(name, f"请填写{zh}", f"{en} is required"))
        return ""
    value = value.strip()
    if len(value) > limit:
        errors.append(FieldError(name, f"{zh}不得超过 {limit} 字", f"{en} must be at most {limit} characters"))
    return value


def unknown_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> list[FieldError]:
    """A field-level error for each key of ``data`` the form does not have.

    A misspelt field (``contact`` for ``proposer_contact``) would otherwise be
    dropped without a word and the resident's contact lost.
    """
    known = tuple(allowed)
    return [unknown_field(str(key), known) for key in data if key not in known]
