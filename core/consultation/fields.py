"""Reading the fields of a meeting's or a topic action's request: each reader
appends a bilingual field error and returns None (or an empty value) for
input it cannot take, so a request reports all its mistakes at once."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any

from core.clock import CHINA_TZ
from core.councils.categories import TOPIC_CATEGORIES
from core.errors import FieldError
from core.fields import text_field
from core.models import CouncilMember

MAX_TITLE = 200
MAX_PLACE = 200
MAX_NAME = 100
MAX_TEXT = 10000
MAX_ITEMS = 500


def choice_field(value: Any, allowed: Iterable[str], field: str, zh: str, en: str, errors: list[FieldError],
                 *, required: bool = True) -> str | None:
    allowed = list(allowed)
    if value is None and not required:
        return None
    if value not in allowed:
        if value is None:
            errors.append(FieldError(field, f"请选择{zh}：{'、'.join(allowed)}",
                                     f"{en} is required, one of: {', '.join(allowed)}"))
        else:
            errors.append(FieldError(field, f"未知的{zh}“{value}”，应为：{'、'.join(allowed)}",
                                     f"unknown {en} '{value}', expected one of: {', '.join(allowed)}"))
        return None
    return value


def moment_field(value: Any, field: str, zh: str, en: str, errors: list[FieldError]) -> datetime | None:
    """An ISO 8601 time; one written without a zone is China time, as people write it."""
    if value is None or value == "":
        errors.append(FieldError(field, f"请填写{zh}", f"{en} is required"))
        return None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        errors.append(FieldError(field, f"{zh}应为日期时间，如 2024-05-01T19:30",
                                 f"{en} must be a date and time such as 2024-05-01T19:30"))
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA_TZ)
    return when.astimezone(timezone.utc)


def day_field(value: Any, field: str, zh: str, en: str, errors: list[FieldError]) -> date | None:
    if value is None or value == "":
        errors.append(FieldError(field, f"请填写{zh}", f"{en} is required"))
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    errors.append(FieldError(field, f"{zh}应为日期，如 2024-06-30", f"{en} must be a date such as 2024-06-30"))
    return None


def id_list_field(value: Any, field: str, zh: str, en: str, errors: list[FieldError]) -> list[int]:
    if value is None:
        return []
    if (not isinstance(value, list) or len(value) > MAX_ITEMS
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        errors.append(FieldError(field, f"{zh}应为编号列表（至多 {MAX_ITEMS} 个）",
                                 f"{en} must be a list of ids (at most {MAX_ITEMS})"))
        return []
    return list(dict.fromkeys(value))


def participant_entries(raw: Any, field: str, errors: list[FieldError]) -> list[tuple[int | None, str, str]]:
    """(member id, name, category) of each entry ``{member_id}`` or ``{name, category?}``."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        errors.append(FieldError(field, f"应为人员列表（至多 {MAX_ITEMS} 人）",
                                 f"must be a list of people (at most {MAX_ITEMS})"))
        return []
    entries = []
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            errors.append(FieldError(where, "应为 {member_id} 或 {name}", "must be {member_id} or {name}"))
            continue
        member_id = item.get("member_id")
        if member_id is not None:
            if not isinstance(member_id, int) or isinstance(member_id, bool):
                errors.append(FieldError(f"{where}.member_id", "成员编号应为整数", "member_id must be an integer"))
                continue
            entries.append((member_id, "", ""))
            continue
        name = text_field(item, "name", MAX_NAME, errors, required=True, zh="姓名", en="name",
                          field=f"{where}.name")
        category = item.get("category") or ""
        if category and category not in TOPIC_CATEGORIES:
            allowed = ", ".join(TOPIC_CATEGORIES)
            errors.append(FieldError(f"{where}.category", f"列席人员类别应为：{allowed}",
                                     f"a participant's category must be one of: {allowed}"))
        if name:
            entries.append((None, name, category))
    return entries


def check_members(entries: list[tuple[int | None, str, str]], serving: Mapping[int, CouncilMember],
                  field: str, errors: list[FieldError]) -> None:
    """Each entry naming a member names one serving on the meeting day."""
    for i, (member_id, _name, _category) in enumerate(entries):
        if member_id is not None and member_id not in serving:
            errors.append(FieldError(f"{field}[{i}].member_id", f"{member_id} 不是本议事会在会议当日的成员",
                                     f"{member_id} is not a member of this council on the meeting day"))
