"""Research records, meetings and outcomes: the one way to change them.

Meetings are reached two ways: under a region (``/regions/{code}/meetings``,
checked by the app's guard) and by id (``/meetings/{id}``), where this
module checks the meeting's own region with the authorizer, as the topic
service does: a caller who cannot read it gets the 404 of a missing meeting.

Quorum: a vote counts only when the fixed members present reach
``core.quorum_ratio`` of the fixed members serving on the meeting day
(rounded up). It passes when, with quorum, the votes for are more than half
of the votes cast. Both figures are stored with the vote.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.councils.categories import CATEGORY_LABELS, TOPIC_CATEGORIES, is_fixed
from core.councils.service import current_term, ensure_council, get_council, roster
from core.clock import CHINA_TZ, today
from core.errors import ApiError, FieldError, conflict, forbidden, not_found, validation_failed
from core.fields import text_field as _text
from core.models import CouncilMember, Topic, TopicEvent
from core.models.consultation import (MEETING_FORMS, OUTCOME_FORMS, RESEARCH_METHODS, VOTE_CHOICES, Ballot,
                                      Meeting, MeetingParticipant, MeetingTopic, MinuteEntry, Outcome, Research,
                                      Vote)
from core.models.region import subtree_upper_bound
from core.procedures.guards import NO_RESEARCH
from core.regions.queries import Paging

READ = "meeting.read"
MANAGE = "meeting.manage"
PLUGIN = "consultation"
PLAN_NOTICE_SETTING = "consultation.plan_notice_days"
QUORUM_SETTING = "core.quorum_ratio"
NOT_ALLOWED = "action_not_allowed"

MAX_TITLE = 200
MAX_PLACE = 200
MAX_NAME = 100
MAX_TEXT = 10000
MAX_ITEMS = 500


@dataclass(frozen=True)
class MeetingKind:
    key: str
    title_zh: str
    title_en: str


BUILTIN_KINDS = (
    MeetingKind("talk", "说事会", "talk session"),
    MeetingKind("heart_to_heart", "恳谈会", "heart-to-heart meeting"),
    MeetingKind("hearing", "听证会", "hearing"),
    MeetingKind("deliberation", "议事会", "deliberation meeting"),
    MeetingKind("review", "评议会", "review meeting"),
    MeetingKind("joint", "联席会议", "joint meeting"),
)
FORM_LABELS = {"meeting": ("会议协商", "meeting"), "online": ("网络协商", "online"),
               "written": ("书面协商", "written")}
METHOD_LABELS = {"site_visit": ("实地调研", "site visit"), "survey": ("问卷调查", "survey"),
                 "interviews": ("走访座谈", "interviews")}
OUTCOME_LABELS = {"village_rules": ("村规民约", "village rules"),
                  "residents_convention": ("居民公约", "residents' convention"),
                  "resolution": ("会议决议", "meeting resolution"), "plan": ("计划方案", "plan")}
CHOICE_LABELS = {"for": ("赞成", "for"), "against": ("反对", "against"), "abstain": ("弃权", "abstain")}


def meeting_kinds(hooks: Any, region_code: str) -> dict[str, MeetingKind]:
    """The kinds a council at ``region_code`` may hold: the built-ins, then those of enabled plugins.

    ``hooks``: the region's hook callers (``PluginHost.hooks_for``), or None
    for the built-in kinds only.
    """
    kinds = {k.key: k for k in BUILTIN_KINDS}
    if hooks is None:
        return kinds
    for answer in hooks.yishi_meeting_kinds(region_code=region_code):
        for kind in answer or ():
            kinds.setdefault(kind.key, kind)
    return kinds


def meeting_not_found() -> ApiError:
    return not_found("会议", "meeting")


def _body(data: Any) -> Mapping[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise validation_failed(FieldError("body", "请求内容应为对象", "the request body must be an object"))
    return data


def _actor_name(principal: Principal | None) -> str:
    if principal is None:
        return "system"
    return (principal.display_name or principal.username)[:MAX_NAME]


# -- reading fields ---------------------------------------------------------



def _choice(value: Any, allowed: Iterable[str], field: str, zh: str, en: str, errors: list[FieldError],
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


def _moment(value: Any, field: str, zh: str, en: str, errors: list[FieldError]) -> datetime | None:
    """An ISO 8601 time; one written without a zone is China time, as people write it."""
    if value is None or value == "":
        errors.append(FieldError(field, f"请填写{zh}", f"{en} is required"))
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        errors.append(FieldError(field, f"{zh}应为日期时间，如 2024-05-01T19:30",
                                 f"{en} must be a date and time such as 2024-05-01T19:30"))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(timezone.utc)


def _day(value: Any, field: str, zh: str, en: str, errors: list[FieldError]) -> date | None:
    if value is None or value == "":
        errors.append(FieldError(field, f"请填写{zh}", f"{en} is required"))
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    errors.append(FieldError(field, f"{zh}应为日期，如 2024-06-30", f"{en} must be a date such as 2024-06-30"))
    return None


def _id_list(value: Any, field: str, zh: str, en: str, errors: list[FieldError]) -> list[int]:
    if value is None:
        return []
    if (not isinstance(value, list) or len(value) > MAX_ITEMS
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        errors.append(FieldError(field, f"{zh}应为编号列表（至多 {MAX_ITEMS} 个）",
                                 f"{en} must be a list of ids (at most {MAX_ITEMS})"))
        return []
    return list(dict.fromkeys(value))


def _local_day(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


# -- snapshots and views ------------------------------------------------------

def _labelled(key: str | None, labels: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    zh, en = labels.get(key, (key, key)) if key is not None else (None, None)
    return {"key": key, "title_zh": zh, "title_en": en}


def research_dict(research: Research) -> dict[str, Any]:
    return {"id": research.id, "topic_id": research.topic_id,
            "methods": [_labelled(m, METHOD_LABELS) for m in research.methods or []],
            "findings": research.findings, "draft_plan": research.draft_plan,
            "attachments": list(research.attachments or []), "recorded_by_user_id": research.recorded_by_user_id,
            "recorded_by_name": research.recorded_by_name, "recorded_at": research.recorded_at.isoformat()}


def _kind_dict(key: str, kinds: Mapping[str, MeetingKind] | None) -> dict[str, Any]:
    kind = (kinds or {}).get(key) or next((k for k in BUILTIN_KINDS if k.key == key), None)
    return {"key": key, "title_zh": kind.title_zh if kind else key, "title_en": kind.title_en if kind else key}


def meeting_summary(meeting: Meeting, kinds: Mapping[str, MeetingKind] | None = None) -> dict[str, Any]:
    return {"id": meeting.id, "council_id": meeting.council_id, "region_code": meeting.region_code,
            "title": meeting.title, "form": _labelled(meeting.form, FORM_LABELS),
            "kind": _kind_dict(meeting.kind, kinds), "starts_at": meeting.starts_at.isoformat(),
            "place": meeting.place, "status": meeting.status,
            "plan_published_at": meeting.plan_published_at.isoformat() if meeting.plan_published_at else None,
            "closed_at": meeting.closed_at.isoformat() if meeting.closed_at else None}


def _meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    """What the audit log keeps of a meeting."""
    return {"title": meeting.title, "region_code": meeting.region_code, "form": meeting.form,
            "kind": meeting.kind, "starts_at": meeting.starts_at, "place": meeting.place,
            "status": meeting.status, "plan_published_at": meeting.plan_published_at}


def vote_dict(vote: Vote, ballots: list[Ballot] | None = None) -> dict[str, Any]:
    answer = {"id": vote.id, "meeting_id": vote.meeting_id, "topic_id": vote.topic_id,
              "for": vote.votes_for, "against": vote.votes_against, "abstain": vote.votes_abstain,
              "fixed_members": vote.fixed_members, "fixed_present": vote.fixed_present,
              "quorum_ratio": vote.quorum_ratio, "quorum_required": vote.quorum_required,
              "quorum_met": vote.quorum_met, "passed": vote.passed, "by_ballot": vote.by_ballot,
              "resolution": vote.resolution, "recorded_at": vote.recorded_at.isoformat()}
    if ballots is not None:
        answer["ballots"] = [{"member_id": b.member_id, "choice": b.choice} for b in ballots]
    return answer


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    return {"id": outcome.id, "topic_id": outcome.topic_id, "vote_id": outcome.vote_id,
            "meeting_id": outcome.meeting_id, "form": _labelled(outcome.form, OUTCOME_LABELS),
            "text": outcome.text, "responsible_party": outcome.responsible_party, "measures": outcome.measures,
            "deadline": outcome.deadline.isoformat(), "created_at": outcome.created_at.isoformat()}


def participant_dict(p: MeetingParticipant) -> dict[str, Any]:
    category = CATEGORY_LABELS.get(p.category, (p.category, p.category)) if p.category else ("", "")
    return {"id": p.id, "member_id": p.member_id, "name": p.name, "category": p.category,
            "category_zh": category[0], "category_en": category[1], "invited": p.invited, "attended": p.attended}


# -- the council's members on the meeting day ----------------------------------

async def serving_members(session: AsyncSession, meeting: Meeting) -> dict[int, CouncilMember]:
    """Members of the meeting's council serving on its day, by id."""
    return await _serving_at(session, meeting.region_code, meeting.starts_at)


async def _serving_at(session: AsyncSession, region_code: str, moment: datetime) -> dict[int, CouncilMember]:
    council = await get_council(session, region_code)
    day = _local_day(moment)
    term = await current_term(session, council, day) if council else None
    return {m.id: m for m in await roster(session, term, day)} if term else {}


async def _participants(session: AsyncSession, meeting: Meeting) -> list[MeetingParticipant]:
    return list(await session.scalars(select(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting.id)
                                      .order_by(MeetingParticipant.id)))


async def _agenda_ids(session: AsyncSession, meeting: Meeting) -> list[int]:
    return list(await session.scalars(select(MeetingTopic.topic_id).where(MeetingTopic.meeting_id == meeting.id)
                                      .order_by(MeetingTopic.position, MeetingTopic.topic_id)))


# -- loading with access ---------------------------------------------------------

async def load_meeting(session: AsyncSession, principal: Principal, meeting_id: int, *, authorizer: Authorizer,
                       action: str = READ, for_update: bool = False) -> Meeting:
    """The meeting if the caller may read it (else 404) and take ``action`` at its region (else 403)."""
    query = select(Meeting).where(Meeting.id == meeting_id)
    if for_update:
        # Two recorders of one meeting must not both judge the same attendance.
        query = query.with_for_update()
    meeting = await session.scalar(query)
    if meeting is None or not authorizer.allowed(principal, READ, meeting.region_code):
        raise meeting_not_found()
    if action != READ and not authorizer.allowed(principal, action, meeting.region_code):
        raise forbidden("您不能管理此会议", "you may not manage this meeting")
    return meeting


def _require_open(meeting: Meeting) -> None:
    if meeting.status == "closed":
        raise conflict("meeting_closed", "会议已结束，不能再修改", "the meeting is closed; it can no longer change")


def _require_started(meeting: Meeting) -> None:
    if clock.now() < meeting.starts_at:
        shown = meeting.starts_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        raise conflict("meeting_not_started", f"会议尚未开始（{shown} 开始）",
                       f"the meeting has not started yet (starts {shown} China time)")


def _require_plan_notice(meeting: Meeting, notice_days: int) -> None:
    """Where the region requires the plan in advance (公布议事方案), hold no meeting without it."""
    if notice_days <= 0:
        return
    due = meeting.starts_at - timedelta(days=notice_days)
    if meeting.plan_published_at is None or meeting.plan_published_at > due:
        shown = due.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        raise conflict("plan_not_published",
                       f"议事方案须在会前 {notice_days} 天（{shown} 前）公布，本次会议未按时公布",
                       f"the plan must be published {notice_days} day(s) before the meeting "
                       f"(by {shown} China time); it was not")


# -- meetings -------------------------------------------------------------------

async def _agenda_topics(session: AsyncSession, region_code: str, ids: list[int],
                         errors: list[FieldError], field: str = "agenda") -> list[Topic]:
    if not ids:
        return []
    found = {t.id: t for t in await session.scalars(select(Topic).where(Topic.id.in_(ids)))}
    researched = await first_research_at(session, [t.id for t in found.values() if t.region_code == region_code])
    topics = []
    for topic_id in ids:
        topic = found.get(topic_id)
        # A topic of another council is reported like a missing one.
        if topic is None or topic.region_code != region_code:
            errors.append(FieldError(field, f"本议事会没有议题 {topic_id}", f"this council has no topic {topic_id}"))
        elif topic.status != "open":
            errors.append(FieldError(field, f"议题 {topic_id} 已结束，不能列入议程",
                                     f"topic {topic_id} has ended and cannot go on an agenda"))
        elif topic_id not in researched:
            errors.append(FieldError(field, f"议题 {topic_id}：{NO_RESEARCH.zh}",
                                     f"topic {topic_id}: {NO_RESEARCH.en}"))
        else:
            topics.append(topic)
    return topics


async def first_research_at(session: AsyncSession, topic_ids: Iterable[int]) -> dict[int, datetime]:
    """When each topic's first research was recorded; a topic without research is absent.

    不调研不协商 holds on every path to a decision: an agenda, a vote and a
    resolution all ask this, not only the procedure's scheduling action.
    """
    ids = list(topic_ids)
    if not ids:
        return {}
    rows = await session.execute(select(Research.topic_id, func.min(Research.recorded_at))
                                 .where(Research.topic_id.in_(ids)).group_by(Research.topic_id))
    return {topic_id: at for topic_id, at in rows}


async def _require_research(session: AsyncSession, topic: Topic) -> datetime:
    researched = (await first_research_at(session, [topic.id])).get(topic.id)
    if researched is None:
        raise conflict(NOT_ALLOWED, NO_RESEARCH.zh, NO_RESEARCH.en)
    return researched


def _participant_entries(raw: Any, field: str, errors: list[FieldError]) -> list[tuple[int | None, str, str]]:
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
        name = _text(item, "name", MAX_NAME, errors, required=True, zh="姓名", en="name", field=f"{where}.name")
        category = item.get("category") or ""
        if category and category not in TOPIC_CATEGORIES:
            allowed = ", ".join(TOPIC_CATEGORIES)
            errors.append(FieldError(f"{where}.category", f"列席人员类别应为：{allowed}",
                                     f"a participant's category must be one of: {allowed}"))
        if name:
            entries.append((None, name, category))
    return entries


def _check_members(entries: list[tuple[int | None, str, str]], serving: Mapping[int, CouncilMember],
                   field: str, errors: list[FieldError]) -> None:
    for i, (member_id, _name, _category) in enumerate(entries):
        if member_id is not None and member_id not in serving:
            errors.append(FieldError(f"{field}[{i}].member_id", f"{member_id} 不是本议事会在会议当日的成员",
                                     f"{member_id} is not a member of this council on the meeting day"))


async def create_meeting(session: AsyncSession, principal: Principal | None, region_code: str,
                         data: Mapping[str, Any] | None, *, hooks: Any = None,
                         topics: Iterable[Topic] = ()) -> Meeting:
    """Schedule a meeting of the council of ``region_code``.

    ``data``: form (meeting / online / written), kind (a key of
    :func:`meeting_kinds`), starts_at (ISO 8601; China time when no zone is
    given), place, title, plan, agenda (topic ids of this council),
    participants (X participants: ``{member_id}`` or ``{name, category}``;
    the fixed members serving on the meeting day are always invited).
    ``topics``: topics already checked by the caller, put first on the agenda.
    The caller has been allowed ``meeting.manage`` at the region.
    """
    data = _body(data)
    errors: list[FieldError] = []
    form = _choice(data.get("form"), MEETING_FORMS, "form", "会议形式", "form", errors)
    kinds = meeting_kinds(hooks, region_code)
    kind = _choice(data.get("kind"), kinds, "kind", "会议类型", "kind", errors)
    starts_at = _moment(data.get("starts_at"), "starts_at", "会议时间", "starts_at", errors)
    place = _text(data, "place", MAX_PLACE, errors, zh="会议地点", en="place")
    title = _text(data, "title", MAX_TITLE, errors, zh="会议名称", en="title")
    plan = _text(data, "plan", MAX_TEXT, errors, zh="议事方案", en="plan")
    if form == "meeting" and not place and starts_at is not None:
        errors.append(FieldError("place", "现场会议须填写地点", "a meeting in person needs a place"))
    given = list(topics)
    for topic in given:
        await _require_research(session, topic)
    agenda = [*given, *await _agenda_topics(
        session, region_code, [i for i in _id_list(data.get("agenda"), "agenda", "议程", "agenda", errors)
                               if i not in {t.id for t in given}], errors)]
    extra = _participant_entries(data.get("participants"), "participants", errors)
    serving = await _serving_at(session, region_code, starts_at) if starts_at is not None else {}
    _check_members(extra, serving, "participants", errors)
    if errors:
        raise validation_failed(*errors)

    council = await ensure_council(session, region_code, actor=principal)
    now = clock.now()
    meeting = Meeting(council_id=council.id, region_code=region_code,
                      title=title or (agenda[0].title if agenda else ""), form=form, kind=kind, starts_at=starts_at,
                      place=place, plan=plan, status="scheduled",
                      created_by_user_id=principal.user_id if principal else None, created_at=now, updated_at=now)
    session.add(meeting)
    await session.flush()
    session.add_all(MeetingTopic(meeting_id=meeting.id, topic_id=t.id, position=i, added_at=now)
                    for i, t in enumerate(agenda))
    invited = [m for m in serving.values() if is_fixed(m.category)]
    seen = {m.id for m in invited}
    people = [MeetingParticipant(meeting_id=meeting.id, member_id=m.id, name=m.name, category=m.category,
                                 invited=True) for m in invited]
    for member_id, name, category in extra:
        if member_id is not None:
            if member_id in seen:
                continue
            seen.add(member_id)
            member = serving[member_id]
            people.append(MeetingParticipant(meeting_id=meeting.id, member_id=member_id, name=member.name,
                                             category=member.category, invited=True))
        else:
            people.append(MeetingParticipant(meeting_id=meeting.id, member_id=None, name=name, category=category,
                                             invited=True))
    session.add_all(people)
    await session.flush()
    await record(session, actor=principal, action="meeting.create", object_type="meeting", object_id=meeting.id,
                 region_code=region_code, before=None,
                 after={**_meeting_snapshot(meeting), "agenda": [t.id for t in agenda],
                        "participants": [p.name for p in people]})
    return meeting


async def attach_topic(session: AsyncSession, principal: Principal | None, meeting: Meeting, topic: Topic) -> None:
    """Put ``topic`` on the agenda of ``meeting`` (no-op if already there)."""
    if meeting.region_code != topic.region_code:
        raise validation_failed(FieldError("meeting_id", "该会议不属于本议题的议事会",
                                           "the meeting is not held by this topic's council"))
    _require_open(meeting)
    present = await _agenda_ids(session, meeting)
    if topic.id in present:
        return
    await _require_research(session, topic)
    session.add(MeetingTopic(meeting_id=meeting.id, topic_id=topic.id, position=len(present), added_at=clock.now()))
    meeting.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="meeting.agenda.add", object_type="meeting",
                 object_id=meeting.id, region_code=meeting.region_code, before={"agenda": present},
                 after={"agenda": [*present, topic.id]})


async def publish_plan(session: AsyncSession, principal: Principal, meeting: Meeting,
                       data: Mapping[str, Any] | None) -> Meeting:
    """Publish the meeting's plan (议事方案) to participants and residents, with the time it went out.

    ``data``: plan (optional; replaces the stored plan). Publishing again
    (a revised plan) moves the time: the notice runs from the last version.
    """
    data = _body(data)
    _require_open(meeting)
    errors: list[FieldError] = []
    plan = _text(data, "plan", MAX_TEXT, errors, zh="议事方案", en="plan")
    if not plan and not meeting.plan:
        errors.append(FieldError("plan", "请填写议事方案", "the plan is required"))
    if errors:
        raise validation_failed(*errors)
    before = {**_meeting_snapshot(meeting), "plan": meeting.plan}
    if plan:
        meeting.plan = plan
    meeting.plan_published_at = clock.now()
    meeting.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="meeting.publish_plan", object_type="meeting",
                 object_id=meeting.id, region_code=meeting.region_code, before=before,
                 after={**_meeting_snapshot(meeting), "plan": meeting.plan})
    return meeting


async def _votes_of(session: AsyncSession, meeting: Meeting) -> list[Vote]:
    return list(await session.scalars(select(Vote).where(Vote.meeting_id == meeting.id).order_by(Vote.id)))


async def record_attendance(session: AsyncSession, principal: Principal, meeting: Meeting,
                            data: Mapping[str, Any] | None, *, plan_notice_days: int = 0) -> Meeting:
    """Record who attended: ``data["present"]``, a list of ``{member_id}`` or ``{name}``.

    Invited people not listed are marked absent; people listed but not
    invited are added as walk-ins. Once a vote is recorded the attendance it
    was judged on can no longer change.
    """
    data = _body(data)
    _require_open(meeting)
    _require_started(meeting)
    _require_plan_notice(meeting, plan_notice_days)
    errors: list[FieldError] = []
    if "present" not in data:
        errors.append(FieldError("present", "请列出出席人员", "list who was present"))
    entries = _participant_entries(data.get("present"), "present", errors)
    serving = await serving_members(session, meeting)
    _check_members(entries, serving, "present", errors)
    if errors:
        raise validation_failed(*errors)
    if await _votes_of(session, meeting):
        raise conflict("vote_recorded", "已有表决结果，出席情况不能再修改",
                       "a vote has been recorded; the attendance it rests on cannot change")
    people = await _participants(session, meeting)
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
    after = [(p.name, p.attended) for p in await _participants(session, meeting)]
    await record(session, actor=principal, action="meeting.attendance", object_type="meeting",
                 object_id=meeting.id, region_code=meeting.region_code, before={"attendance": before},
                 after={"attendance": after})
    return meeting


async def add_minutes(session: AsyncSession, principal: Principal, meeting: Meeting,
                      data: Mapping[str, Any] | None) -> list[MinuteEntry]:
    """Append to the minutes: ``data["entries"]``, each ``{points, member_id | speaker, topic_id?}``."""
    data = _body(data)
    _require_open(meeting)
    _require_started(meeting)
    errors: list[FieldError] = []
    raw = data.get("entries")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ITEMS:
        raise validation_failed(FieldError("entries", f"请填写发言记录（1 至 {MAX_ITEMS} 条）",
                                           f"give the minutes entries (1 to {MAX_ITEMS})"))
    serving = await serving_members(session, meeting)
    agenda = set(await _agenda_ids(session, meeting))
    rows = []
    for i, item in enumerate(raw):
        where = f"entries[{i}]"
        if not isinstance(item, Mapping):
            errors.append(FieldError(where, "应为对象", "must be an object"))
            continue
        points = _text(item, "points", MAX_TEXT, errors, required=True, zh="发言要点", en="points",
                       field=f"{where}.points")
        member_id = item.get("member_id")
        speaker = _text(item, "speaker", MAX_NAME, errors, zh="发言人", en="speaker", field=f"{where}.speaker")
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


def quorum_required(fixed_members: int, ratio: float) -> int:
    """Fixed members who must be present; at least one, so an empty council never has quorum."""
    # The epsilon keeps 0.5 * 20 at 10, not 11, after float rounding.
    return max(1, math.ceil(fixed_members * ratio - 1e-9))


def _count(value: Any, field: str, errors: list[FieldError]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors.append(FieldError(field, "票数应为非负整数", "a count must be a non-negative integer"))
        return 0
    return value


async def record_vote(session: AsyncSession, principal: Principal, meeting: Meeting, data: Mapping[str, Any] | None,
                      *, quorum_ratio: float, plan_notice_days: int = 0) -> Vote:
    """Record the vote on one agenda topic.

    ``data``: topic_id; either ``votes`` (``[{member_id, choice}]``, each an
    attending member of the council, once) or ``tallies`` (``{for, against,
    abstain}``, at most the attending members); resolution (the text
    resolved). Quorum and the result are judged here and stored.
    """
    data = _body(data)
    _require_open(meeting)
    _require_started(meeting)
    _require_plan_notice(meeting, plan_notice_days)
    errors: list[FieldError] = []
    topic_id = data.get("topic_id")
    agenda = await _agenda_ids(session, meeting)
    if topic_id is None or topic_id not in agenda:
        errors.append(FieldError("topic_id", f"议题 {topic_id} 不在本次会议议程中",
                                 f"topic {topic_id} is not on this meeting's agenda"))
    resolution = _text(data, "resolution", MAX_TEXT, errors, zh="议事决议", en="resolution")
    serving = await serving_members(session, meeting)
    people = await _participants(session, meeting)
    attending = {p.member_id for p in people if p.attended and p.member_id in serving}
    ballots: list[Ballot] = []
    votes, tallies = data.get("votes"), data.get("tallies")
    counts = {"for": 0, "against": 0, "abstain": 0}
    if (votes is None) == (tallies is None):
        errors.append(FieldError("votes", "请给出逐人表决（votes）或票数（tallies）之一",
                                 "give either each member's vote (votes) or the tallies"))
    elif votes is not None:
        if not isinstance(votes, list) or not votes or len(votes) > MAX_ITEMS:
            errors.append(FieldError("votes", "votes 应为表决列表", "votes must be a non-empty list"))
            votes = []
        seen: set[int] = set()
        for i, item in enumerate(votes):
            where = f"votes[{i}]"
            member_id = item.get("member_id") if isinstance(item, Mapping) else None
            choice = _choice(item.get("choice") if isinstance(item, Mapping) else None, VOTE_CHOICES,
                             f"{where}.choice", "表决意见", "choice", errors)
            if not isinstance(member_id, int) or isinstance(member_id, bool) or member_id not in serving:
                errors.append(FieldError(f"{where}.member_id", f"{member_id} 不是本议事会成员，不能表决",
                                         f"{member_id} is not a member of this council and cannot vote"))
                continue
            if member_id not in attending:
                errors.append(FieldError(f"{where}.member_id", f"{serving[member_id].name} 未出席会议，不能表决",
                                         f"{serving[member_id].name} did not attend and cannot vote"))
                continue
            if member_id in seen:
                errors.append(FieldError(f"{where}.member_id", f"{serving[member_id].name} 重复表决",
                                         f"{serving[member_id].name} voted twice"))
                continue
            seen.add(member_id)
            if choice is not None:
                counts[choice] += 1
                ballots.append(Ballot(member_id=member_id, choice=choice))
    else:
        if not isinstance(tallies, Mapping):
            errors.append(FieldError("tallies", "tallies 应为 {for, against, abstain}",
                                     "tallies must be {for, against, abstain}"))
        else:
            for choice in VOTE_CHOICES:
                counts[choice] = _count(tallies.get(choice, 0), f"tallies.{choice}", errors)
            if sum(counts.values()) > len(attending):
                errors.append(FieldError("tallies", f"票数合计 {sum(counts.values())} 超过出席成员 {len(attending)} 人",
                                         f"{sum(counts.values())} votes exceed the {len(attending)} "
                                         "attending members"))
            elif sum(counts.values()) == 0:
                errors.append(FieldError("tallies", "没有任何票数", "no votes were cast"))
    if errors:
        raise validation_failed(*errors)
    # A topic put on the agenda before its research (or by an older release) is not voted on either.
    await _require_research(session, await session.get(Topic, topic_id))
    if await session.scalar(select(Vote.id).where(Vote.meeting_id == meeting.id, Vote.topic_id == topic_id)):
        raise conflict("vote_recorded", "本次会议已对该议题表决", "this meeting has already voted on this topic")

    fixed = [m for m in serving.values() if is_fixed(m.category)]
    fixed_present = sum(1 for m in fixed if m.id in attending)
    required = quorum_required(len(fixed), quorum_ratio)
    quorum_met = bool(fixed) and fixed_present >= required
    cast = sum(counts.values())
    passed = quorum_met and counts["for"] * 2 > cast
    vote = Vote(meeting_id=meeting.id, topic_id=topic_id, votes_for=counts["for"], votes_against=counts["against"],
                votes_abstain=counts["abstain"], fixed_members=len(fixed), fixed_present=fixed_present,
                quorum_ratio=float(quorum_ratio), quorum_required=required, quorum_met=quorum_met, passed=passed,
                by_ballot=bool(ballots), resolution=resolution,
                recorded_by_user_id=principal.user_id if principal else None, recorded_at=clock.now())
    session.add(vote)
    await session.flush()
    for ballot in ballots:
        ballot.vote_id = vote.id
    session.add_all(ballots)
    meeting.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="meeting.vote", object_type="meeting", object_id=meeting.id,
                 region_code=meeting.region_code, before=None,
                 after={**vote_dict(vote, ballots), "recorded_at": vote.recorded_at})
    return vote


async def close_meeting(session: AsyncSession, principal: Principal, meeting: Meeting) -> Meeting:
    """End the meeting: its record (attendance, minutes, votes) is final from now on."""
    _require_open(meeting)
    before = _meeting_snapshot(meeting)
    meeting.status = "closed"
    meeting.closed_at = clock.now()
    meeting.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="meeting.close", object_type="meeting", object_id=meeting.id,
                 region_code=meeting.region_code, before=before, after=_meeting_snapshot(meeting))
    return meeting


async def meeting_view(session: AsyncSession, meeting: Meeting, *, hooks: Any = None) -> dict[str, Any]:
    """Everything about a meeting: agenda, participants, plan, minutes and votes."""
    agenda_ids = await _agenda_ids(session, meeting)
    topics = {t.id: t for t in await session.scalars(select(Topic).where(Topic.id.in_(agenda_ids)))} \
        if agenda_ids else {}
    minutes = (await session.scalars(select(MinuteEntry).where(MinuteEntry.meeting_id == meeting.id)
                                     .order_by(MinuteEntry.id))).all()
    votes = await _votes_of(session, meeting)
    ballots: dict[int, list[Ballot]] = {}
    if votes:
        for ballot in await session.scalars(select(Ballot).where(Ballot.vote_id.in_([v.id for v in votes]))
                                            .order_by(Ballot.member_id)):
            ballots.setdefault(ballot.vote_id, []).append(ballot)
    people = await _participants(session, meeting)
    view = meeting_summary(meeting, meeting_kinds(hooks, meeting.region_code))
    view.update({
        "plan": meeting.plan,
        "agenda": [{"topic_id": i, "title": topics[i].title if i in topics else "",
                    "step": topics[i].step if i in topics else None} for i in agenda_ids],
        "participants": [participant_dict(p) for p in people],
        "attendance_taken": any(p.attended is not None for p in people),
        "minutes": [{"id": m.id, "topic_id": m.topic_id, "member_id": m.speaker_member_id,
                     "speaker": m.speaker_name, "points": m.points, "recorded_at": m.recorded_at.isoformat()}
                    for m in minutes],
        "votes": [vote_dict(v, ballots.get(v.id, [])) for v in votes],
    })
    return view


async def list_meetings(session: AsyncSession, scope: RegionScope, region_code: str, paging: Paging, *,
                        status: str | None = None, hooks: Any = None) -> dict[str, Any]:
    """Meetings of the councils in ``region_code``'s subtree that ``scope`` reaches, latest first."""
    conditions = [Meeting.region_code >= region_code, Meeting.region_code < subtree_upper_bound(region_code),
                  scope.where(Meeting.region_code)]
    if status is not None:
        conditions.append(Meeting.status == status)
    total = await session.scalar(select(func.count()).select_from(Meeting).where(*conditions))
    rows = (await session.scalars(select(Meeting).where(*conditions)
                                  .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
                                  .offset(paging.offset).limit(paging.page_size))).all()
    kinds = meeting_kinds(hooks, region_code)
    return {"items": [meeting_summary(m, kinds) for m in rows], "total": total or 0,
            "page": paging.page, "page_size": paging.page_size}


async def meetings_held(session: AsyncSession, start: datetime, end: datetime, *,
                        within: str) -> dict[str, int]:
    """Meetings held in ``[start, end)`` by each council in ``within``'s subtree, by region code.

    A meeting counts as held once its start time has passed (by the
    platform clock): regional standards (每季度一次, 常态议事) count what
    happened, not what is planned.
    """
    until = min(end, clock.now())
    rows = await session.execute(
        select(Meeting.region_code, func.count()).where(
            Meeting.region_code >= within, Meeting.region_code < subtree_upper_bound(within),
            Meeting.starts_at >= start, Meeting.starts_at < until)
        .group_by(Meeting.region_code))
    return {code: count for code, count in rows.all()}


# -- topic actions: research, scheduling, resolution ----------------------------

async def record_research(session: AsyncSession, principal: Principal | None, topic: Topic,
                          event: TopicEvent | None, payload: Mapping[str, Any]) -> Research:
    """The research record of a ``record_research`` action.

    ``payload``: method (one of site_visit / survey / interviews, or a list
    of them), findings (required), draft_plan (议事方案), attachments (ids).
    """
    errors: list[FieldError] = []
    raw = payload.get("method", payload.get("methods"))
    raw = [raw] if isinstance(raw, str) else raw
    methods: list[str] = []
    if not isinstance(raw, list) or not raw:
        errors.append(FieldError("method", f"请选择调研方式：{'、'.join(RESEARCH_METHODS)}",
                                 f"method is required, one or more of: {', '.join(RESEARCH_METHODS)}"))
    else:
        for value in raw:
            if _choice(value, RESEARCH_METHODS, "method", "调研方式", "method", errors) and value not in methods:
                methods.append(value)
    findings = _text(payload, "findings", MAX_TEXT, errors, required=True, zh="调研发现", en="findings")
    draft_plan = _text(payload, "draft_plan", MAX_TEXT, errors, zh="议事方案", en="draft_plan")
    attachments = _id_list(payload.get("attachments"), "attachments", "附件", "attachments", errors)
    if errors:
        raise validation_failed(*errors)
    research = Research(topic_id=topic.id, event_id=event.id if event else None, methods=methods, findings=findings,
                        draft_plan=draft_plan, attachments=attachments,
                        recorded_by_user_id=principal.user_id if principal else None,
                        recorded_by_name=_actor_name(principal), recorded_at=clock.now())
    session.add(research)
    await session.flush()
    await record(session, actor=principal, action="research.create", object_type="research", object_id=research.id,
                 region_code=topic.region_code, before=None, after=research_dict(research))
    return research


async def schedule_for_topic(session: AsyncSession, principal: Principal | None, topic: Topic,
                             payload: Mapping[str, Any], *, hooks: Any = None) -> Meeting:
    """The meeting of a ``schedule_meeting`` action: ``meeting_id`` of an open meeting
    of the topic's council, or the fields of :func:`create_meeting` for a new one."""
    meeting_id = payload.get("meeting_id")
    if meeting_id is not None:
        meeting = await session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
        if meeting is None or meeting.region_code != topic.region_code:
            raise validation_failed(FieldError("meeting_id", f"本议事会没有会议 {meeting_id}",
                                               f"this council has no meeting {meeting_id}"))
        await attach_topic(session, principal, meeting, topic)
        return meeting
    if not any(key in payload for key in ("form", "kind", "starts_at")):
        raise validation_failed(
            FieldError("meeting_id", "请选择已安排的会议（meeting_id），或填写新会议的形式、类型、时间和地点",
                       "give meeting_id of a scheduled meeting, or form, kind, starts_at and place for a new one"))
    return await create_meeting(session, principal, topic.region_code, payload, hooks=hooks, topics=[topic])


async def _resolution_vote(session: AsyncSession, topic: Topic) -> Vote:
    """The vote a resolution rests on: the latest on this topic not yet used by an outcome; 409 if none fits."""
    meetings = (await session.execute(
        select(Meeting.id, Meeting.title, Meeting.starts_at).join(MeetingTopic, MeetingTopic.meeting_id == Meeting.id)
        .where(MeetingTopic.topic_id == topic.id).order_by(Meeting.starts_at.desc(), Meeting.id.desc()))).all()
    if not meetings:
        raise conflict(NOT_ALLOWED, "现在不能形成议事决议：本议题尚未安排协商会议",
                       "no resolution yet: no meeting has this topic on its agenda")
    used = select(Outcome.vote_id).where(Outcome.vote_id.is_not(None))
    vote = await session.scalar(select(Vote).where(Vote.topic_id == topic.id, Vote.id.not_in(used))
                                .order_by(Vote.recorded_at.desc(), Vote.id.desc()).limit(1))
    if vote is None:
        shown = meetings[0].starts_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        raise conflict(NOT_ALLOWED, f"现在不能形成议事决议：{shown} 的协商会议尚未对本议题表决",
                       f"no resolution yet: the meeting of {shown} (China time) has not voted on this topic")
    if not vote.quorum_met:
        raise conflict(NOT_ALLOWED,
                       f"现在不能形成议事决议：表决未达法定人数（固定成员 {vote.fixed_members} 人，"
                       f"出席 {vote.fixed_present} 人，至少须 {vote.quorum_required} 人）",
                       f"no resolution: the vote lacked quorum ({vote.fixed_present} of {vote.fixed_members} "
                       f"fixed members present, {vote.quorum_required} needed)")
    if not vote.passed:
        raise conflict(NOT_ALLOWED,
                       f"现在不能形成议事决议：表决未通过（赞成 {vote.votes_for}，反对 {vote.votes_against}，"
                       f"弃权 {vote.votes_abstain}）",
                       f"no resolution: the vote did not pass (for {vote.votes_for}, against "
                       f"{vote.votes_against}, abstain {vote.votes_abstain})")
    researched = await _require_research(session, topic)
    if vote.recorded_at < researched:
        # Research recorded after the vote does not make that vote a consultation on researched ground.
        raise conflict(NOT_ALLOWED, f"现在不能形成议事决议：该表决早于议前调研。{NO_RESEARCH.zh}",
                       f"no resolution: that vote was taken before the research. {NO_RESEARCH.en}")
    return vote


async def record_outcome(session: AsyncSession, principal: Principal | None, topic: Topic,
                         event: TopicEvent | None, payload: Mapping[str, Any]) -> Outcome:
    """The outcome of a ``record_resolution`` action, resting on a passed vote with quorum.

    ``payload``: form (village_rules / residents_convention / resolution /
    plan), text (defaults to the vote's resolution), responsible_party,
    measures, deadline (a date, today or later, China time).
    """
    vote = await _resolution_vote(session, topic)
    errors: list[FieldError] = []
    form = _choice(payload.get("form"), OUTCOME_FORMS, "form", "成果形式", "form", errors)
    text = _text(payload, "text", MAX_TEXT, errors, zh="成果内容", en="text") or vote.resolution
    if not text and not any(e.field == "text" for e in errors):
        errors.append(FieldError("text", "请填写成果内容", "text is required"))
    responsible = _text(payload, "responsible_party", MAX_TITLE, errors, required=True, zh="责任主体",
                        en="responsible_party")
    measures = _text(payload, "measures", MAX_TEXT, errors, zh="落实措施", en="measures")
    deadline = _day(payload.get("deadline"), "deadline", "完成时限", "deadline", errors)
    if deadline is not None and deadline < today():
        errors.append(FieldError("deadline", f"完成时限 {deadline.isoformat()} 已过，应不早于今天",
                                 f"the deadline {deadline.isoformat()} is in the past"))
    if errors:
        raise validation_failed(*errors)
    outcome = Outcome(topic_id=topic.id, vote_id=vote.id, meeting_id=vote.meeting_id,
                      event_id=event.id if event else None, form=form, text=text, responsible_party=responsible,
                      measures=measures, deadline=deadline,
                      created_by_user_id=principal.user_id if principal else None, created_at=clock.now())
    session.add(outcome)
    await session.flush()
    await record(session, actor=principal, action="outcome.create", object_type="outcome", object_id=outcome.id,
                 region_code=topic.region_code, before=None, after=outcome_dict(outcome))
    return outcome


async def topic_sections(session: AsyncSession, topic: Topic) -> dict[str, Any]:
    """The research, meetings (with their vote on this topic) and latest outcome of a topic."""
    research = (await session.scalars(select(Research).where(Research.topic_id == topic.id)
                                      .order_by(Research.id))).all()
    meetings = (await session.scalars(
        select(Meeting).join(MeetingTopic, MeetingTopic.meeting_id == Meeting.id)
        .where(MeetingTopic.topic_id == topic.id).order_by(Meeting.starts_at, Meeting.id))).all()
    votes = {v.meeting_id: v for v in await session.scalars(select(Vote).where(Vote.topic_id == topic.id))}
    outcome = await session.scalar(select(Outcome).where(Outcome.topic_id == topic.id)
                                   .order_by(Outcome.id.desc()).limit(1))
    return {
        "research": [research_dict(r) for r in research],
        "meetings": [{**meeting_summary(m), "vote": vote_dict(votes[m.id]) if m.id in votes else None}
                     for m in meetings],
        "outcome": outcome_dict(outcome) if outcome else None,
    }
