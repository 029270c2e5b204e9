"""Housing-estate joint meetings (小区联席会议), seed 001 §二(三).

In estates with a property company, the community party organisation
convenes a joint meeting of the residents' committee, the owners'
committee, the property services company and the street's property
management office. The meeting kind ``estate_joint`` is offered to
Ningbo's councils; the council says which participant speaks for which
party, and a resolution resting on such a meeting's vote is refused until
all four attended. The meeting's party view shows what is still missing.

The residents' committee is recognised without tagging too: a council
member seated as its representative (category ``residents_committee``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.authz.principal import Principal
from core.consultation.kinds import MeetingKind
from core.consultation.service import meeting_not_found
from core.errors import FieldError, conflict, validation_failed
from core.models import TopicEvent
from core.models.consultation import Meeting, MeetingParticipant, Outcome
from plugins.ningbo.models import EstateParty

KIND = MeetingKind("estate_joint", "小区联席会议", "housing-estate joint meeting")
PARTIES: dict[str, tuple[str, str]] = {
    "residents_committee": ("社区居民委员会", "residents' committee"),
    "owners_committee": ("业主委员会", "owners' committee"),
    "property_company": ("物业服务企业", "property services company"),
    "street_property_office": ("街道物管办", "street property management office"),
}
RESIDENTS_COMMITTEE = "residents_committee"


async def load_meeting(session: AsyncSession, region_code: str, meeting_id: int) -> Meeting:
    """The meeting of ``region_code``'s council; another council's is reported as missing."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or meeting.region_code != region_code:
        raise meeting_not_found()
    return meeting


def _require_joint(meeting: Meeting) -> None:
    if meeting.kind != KIND.key:
        raise conflict("not_estate_joint", f"会议 {meeting.id} 不是小区联席会议",
                       f"meeting {meeting.id} is not a housing-estate joint meeting")


async def _people(session: AsyncSession, meeting: Meeting) -> list[MeetingParticipant]:
    return list(await session.scalars(select(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting.id)
                                      .order_by(MeetingParticipant.id)))


async def _tags(session: AsyncSession, meeting: Meeting) -> dict[int, str]:
    rows = await session.execute(select(EstateParty.participant_id, EstateParty.party)
                                 .where(EstateParty.meeting_id == meeting.id))
    return dict(rows.all())


async def parties_of(session: AsyncSession, meeting: Meeting) -> dict[str, list[MeetingParticipant]]:
    """Party → the participants speaking for it."""
    tags = await _tags(session, meeting)
    found: dict[str, list[MeetingParticipant]] = {party: [] for party in PARTIES}
    for person in await _people(session, meeting):
        party = tags.get(person.id)
        if party is None and person.category == RESIDENTS_COMMITTEE:
            party = RESIDENTS_COMMITTEE
        if party is not None:
            found[party].append(person)
    return found


def missing_parties(parties: Mapping[str, list[MeetingParticipant]]) -> list[str]:
    """Parties none of whose people attended."""
    return [party for party, people in parties.items() if not any(p.attended for p in people)]


def _names(parties: list[str], lang: int) -> str:
    return ("、" if lang == 0 else ", ").join(PARTIES[p][lang] for p in parties)


async def parties_view(session: AsyncSession, meeting: Meeting) -> dict[str, Any]:
    parties = await parties_of(session, meeting)
    missing = missing_parties(parties)
    return {
        "meeting_id": meeting.id, "kind": meeting.kind,
        "parties": [{"party": party, "title_zh": PARTIES[party][0], "title_en": PARTIES[party][1],
                     "people": [{"participant_id": p.id, "name": p.name, "attended": p.attended} for p in people],
                     "present": any(p.attended for p in people)} for party, people in parties.items()],
        "missing": missing,
        "missing_zh": _names(missing, 0), "missing_en": _names(missing, 1),
        "complete": not missing,
    }


async def set_parties(session: AsyncSession, principal: Principal, meeting: Meeting, data: Any) -> None:
    """Say who speaks for which party: ``{"parties": {"owners_committee": [participant ids], …}}``.

    Replaces the meeting's earlier answer; every id must be a participant of
    this meeting and stand for one party only.
    """
    _require_joint(meeting)
    if meeting.status == "closed":
        raise conflict("meeting_closed", "会议已结束，不能再修改", "the meeting is closed; it can no longer change")
    raw = data.get("parties") if isinstance(data, Mapping) else None
    if not isinstance(raw, Mapping):
        raise validation_failed(FieldError("parties", "请按参会方列出参会人员编号：{参会方: [编号]}",
                                           "give the participants of each party: {party: [participant ids]}"))
    people = {p.id: p for p in await _people(session, meeting)}
    errors: list[FieldError] = []
    chosen: dict[int, str] = {}
    for party, ids in raw.items():
        where = f"parties.{party}"
        if party not in PARTIES:
            errors.append(FieldError(where, f"未知参会方“{party}”，应为：{'、'.join(PARTIES)}",
                                     f"unknown party '{party}', expected one of: {', '.join(PARTIES)}"))
            continue
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            errors.append(FieldError(where, "应为参会人员编号列表", "must be a list of participant ids"))
            continue
        for participant_id in ids:
            if participant_id not in people:
                errors.append(FieldError(where, f"{participant_id} 不是本次会议的参会人员",
                                         f"{participant_id} is not a participant of this meeting"))
            elif chosen.setdefault(participant_id, party) != party:
                errors.append(FieldError(where, f"{people[participant_id].name} 不能同时代表两个参会方",
                                         f"{people[participant_id].name} cannot speak for two parties"))
    if errors:
        raise validation_failed(*errors)
    before = {str(k): v for k, v in (await _tags(session, meeting)).items()}
    await session.execute(delete(EstateParty).where(EstateParty.meeting_id == meeting.id))
    session.add_all(EstateParty(meeting_id=meeting.id, participant_id=pid, party=party)
                    for pid, party in chosen.items())
    await session.flush()
    await record(session, actor=principal, action="ningbo.estate_parties", object_type="meeting",
                 object_id=meeting.id, region_code=meeting.region_code, before={"parties": before},
                 after={"parties": {str(k): v for k, v in chosen.items()}})


async def require_parties_for_outcome(session: AsyncSession, event: TopicEvent) -> None:
    """Refuse the outcome just recorded if it rests on a joint meeting without all four parties."""
    outcome = await session.scalar(select(Outcome).where(Outcome.event_id == event.id))
    meeting = await session.get(Meeting, outcome.meeting_id) if outcome and outcome.meeting_id else None
    if meeting is None or meeting.kind != KIND.key:
        return
    missing = missing_parties(await parties_of(session, meeting))
    if missing:
        raise conflict("estate_parties_missing",
                       f"小区联席会议须由居委会、业委会、物业服务企业和街道物管办共同参与，未出席：{_names(missing, 0)}",
                       "a housing-estate joint meeting needs the residents' committee, the owners' committee, the "
                       f"property company and the street property office; absent: {_names(missing, 1)}")
