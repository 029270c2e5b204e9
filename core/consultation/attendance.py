"""Who attended a meeting: the invited marked present or absent, walk-ins added."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.principal import Principal
from core.consultation.access import require_open, require_plan_notice, require_started
from core.consultation.fields import check_members, participant_entries
from core.fields import request_body
from core.consultation.queries import participants, serving_members, votes_of
from core.errors import FieldError, conflict, validation_failed
from core.models.consultation import Meeting, MeetingParticipant


async def record_attendance(session: AsyncSession, principal: Principal, meeting: Meeting,
                            data: Mapping[str, Any] | None, *, plan_notice_days: int = 0) -> Meeting:
    """Record who attended: ``data["present"]``, a list of ``{member_id}`` or ``{name}``.

    Invited people not listed are marked absent; people listed but not
    invited are added as walk-ins. Once a vote is recorded the attendance it
    was judged on can no longer change.
    """
    data = request_body(data)
    require_open(meeting)
    require_started(meeting)
    require_plan_notice(meeting, plan_notice_days)
    errors: list[FieldError] = []
    if "present" not in data:
        errors.append(FieldError("present", "请列出出席人员", "list who was present"))
    entries = participant_entries(data.get("present"), "present", errors)
    serving = await serving_members(session, meeting)
    check_members(entries, serving, "present", errors)
    if errors:
        raise validation_failed(*errors)
    if await votes_of(session, meeting):
        raise conflict("vote_recorded", "已有表决结果，出席情况不能再修改",
                       "a vote has been recorded; the attendance it rests on cannot change")
    people = await participants(session, meeting)
    before = [(p.name, p.attended) for p in people]
    by_member = {p.member_id: p for p in people if p.member_id is not None}
    by_name = {p.name: p for p in people if p.member_id is None}
    present: set[int] = set()
    for member_id, name, category in entries:
        if member_id is not None:
            person = by_member.get(member_id)
            if person is None:
                member = serving[member_id]
                person = MeetingParticipant(meeting_id=meeting.id, member_id=member_id, name=member.name,
                                            category=member.category, invited=False)
                session.add(person)
                by_member[member_id] = person
        else:
            person = by_name.get(name)
            if person is None:
                person = MeetingParticipant(meeting_id=meeting.id, member_id=None, name=name, category=category,
                                            invited=False)
                session.add(person)
                by_name[name] = person
        person.attended = True
        present.add(id(person))
    for person in people:
        if id(person) not in present:
            person.attended = False
    meeting.updated_at = clock.now()
    await session.flush()
    after = [(p.name, p.attended) for p in await participants(session, meeting)]
    await record(session, actor=principal, action="meeting.attendance", object_type="meeting",
                 object_id=meeting.id, region_code=meeting.region_code, before={"attendance": before},
                 after={"attendance": after})
    return meeting
