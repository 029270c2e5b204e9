"""Reading the fields of an implementation request; each reader appends a
bilingual field error for input it cannot take."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.clock import CHINA_TZ
from core.db import Base
from core.errors import FieldError

MAX_TITLE = 200
MAX_TEXT = 5000
MAX_NAME = 200
MAX_ATTACHMENTS = 20


def int_field(data: Mapping[str, Any], name: str, low: int, high: int, errors: list[FieldError], *, zh: str, en: str,
              required: bool = True) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors.append(FieldError(name, f"{zh}应为 {low} 到 {high} 之间的整数",
                                 f"{en} must be a whole number from {low} to {high}"))
        return None
    return value


def deadline_field(raw: Any, errors: list[FieldError]) -> datetime | None:
    """An ISO date (end of that day, China time) or an ISO datetime with a zone, in the future."""
    field = "deadline"
    if not isinstance(raw, str) or not raw.strip():
        errors.append(FieldError(field, "请填写完成期限", "deadline is required"))
        return None
    raw = raw.strip()
    try:
        if len(raw) == 10:
            when = datetime.combine(date.fromisoformat(raw), time(23, 59, 59), CHINA_TZ)
        else:
            when = datetime.fromisoformat(raw)
            if when.tzinfo is None:
                when = when.replace(tzinfo=CHINA_TZ)
    except ValueError:
        errors.append(FieldError(field, f"完成期限“{raw[:40]}”不是有效日期（如 2030-06-30）",
                                 f"deadline '{raw[:40]}' is not a valid date (e.g. 2030-06-30)"))
        return None
    when = when.astimezone(timezone.utc)
    if when <= clock.now():
        errors.append(FieldError(field, "完成期限不能早于现在", "the deadline must be in the future"))
        return None
    return when


async def attachment_ids(session: AsyncSession, data: Mapping[str, Any], errors: list[FieldError]) -> list[int]:
    raw = data.get("attachment_ids")
    if raw is None:
        return []
    if (not isinstance(raw, list) or len(raw) > MAX_ATTACHMENTS
            or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in raw)):
        errors.append(FieldError("attachment_ids", f"附件应为至多 {MAX_ATTACHMENTS} 个附件编号的列表",
                                 f"attachment_ids must be a list of at most {MAX_ATTACHMENTS} attachment ids"))
        return []
    ids = list(dict.fromkeys(raw))
    table = Base.metadata.tables.get("attachments")
    if table is not None and ids:
        found = set((await session.scalars(select(table.c.id).where(table.c.id.in_(ids)))).all())
        missing = [i for i in ids if i not in found]
        if missing:
            errors.append(FieldError("attachment_ids", f"附件不存在：{missing}", f"no such attachments: {missing}"))
    return ids
