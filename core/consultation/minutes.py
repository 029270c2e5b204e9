"""A meeting's minutes (会议记录): who said what, on which agenda topic."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.principal import Principal
from core.consultation.access import require_open, require_started
from core.consultation.fields import MAX_ITEMS, MAX_NAME, MAX_TEXT
from core.fields import request_body
from core.consultation.queries import agenda_ids, serving_members
from core.errors import FieldError, validation_failed
from core.fields import text_field
from core.models.consultation import Meeting, MinuteEntry


async def add_minutes(session: AsyncSession, principal: Principal, meeting: Meeting,
                      data: Mapping[str, Any] | None) -> list[MinuteEntry]:
    """Append to the minutes: ``data["entries"]``, each ``{points, member_id | speaker, topic_id?}``."""
    data = request_body(data)
    require_open(meeting)
    require_started(meeting)
    errors: list[FieldError] = []
    raw = data.get("entries")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ITEMS:
        raise validation_failed(FieldError("entries", f"请填写发言记录（1 至 {MAX_ITEMS} 条）",
                                           f"give the minutes entries (1 to {MAX_ITEMS})"))
    serving = await serving_members(session, meeting)
    agenda = set(await agenda_ids(session, meeting))
    rows = []
    for i, item in enumerate(raw):
        where = f"entries[{i}]"
        if not isinstance(item, Mapping):
            errors.append(FieldError(where, "应为对象", "must be an object"))
            continue
        points = text_field(item, "points", MAX_TEXT, errors, required=True, zh="发言要点", en="points",
                            field=f"{where}.points")
        member_id = item.get("member_id")
        speaker = text_field(item, "speaker", MAX_NAME, errors, zh="发言人", en="speaker",
                             field=f"{where}.speaker")
        if member_id is not None:
            member = serving.get(member_id) if isinstance(member_id, int) else None
            if member is None:
                errors.append(FieldError(f"{where}.member_id", f"{member_id} 不是本议事会在会议当日的成员",
                                         f"{member_id} is not a member of this council on the meeting day"))
                continue
            speaker = member.name
        elif not speaker:
            errors.append(FieldError(f"{where}.speaker", "请填写发言人（member_id 或 speaker）",
                                     "name the speaker (member_id or speaker)"))
        topic_id = item.get("topic_id")
        if topic_id is not None and topic_id not in agenda:
            errors.append(FieldError(f"{where}.topic_id", f"议题 {topic_id} 不在本次会议议程中",
                                     f"topic {topic_id} is not on this meeting's agenda"))
        rows.append(MinuteEntry(meeting_id=meeting.id, topic_id=topic_id, speaker_member_id=member_id,
                                speaker_name=speaker, points=points, recorded_at=clock.now()))
    if errors:
        raise validation_failed(*errors)
    session.add_all(rows)
    meeting.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="meeting.minutes", object_type="meeting", object_id=meeting.id,
                 region_code=meeting.region_code, before=None,
                 after={"entries": [{"id": r.id, "speaker": r.speaker_name, "topic_id": r.topic_id,
                                     "points": r.points} for r in rows]})
    return rows
