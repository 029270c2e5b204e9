"""City matters (seed 003 §三): a home's matter that involves city departments, or
crosses districts or counties, stays in the home's consultation; the city
CPPCC's special committee matching its category coordinates, and the city's
CPPCC members and departments join as participants:
"遇到涉及到市有关部门的,可以由市政协相对应的专门委员会,协调市政协委员和市有关部门参加协商沟通交流。
特别是涉及到跨区域、跨县域的,由市政协相对应专门委员会协调市有关部门参与协商。"

A topic becomes a city matter (a ``CityMatter`` row) when it is admitted

* with ``involves_city_departments`` in the admit payload: ``true``, or the
  list of the departments (``["市住房和城乡建设局", …]``); or
* with affected communities in more than one district or county. The core
  would move such a topic to the city (their lowest common ancestor), so
  ``yishi_escalation_target`` answers the topic's own council instead: it
  stays where it is. Other spans (two streets of one district) are left to
  the core.

or later, during the consultation ("在协商过程当中"), through the plugin's
``PUT /topics/{topic_id}/city-matter``, which also names or replaces the
departments and the committee. The row records the coordinating committee
(the one listing the category, else the one the city's setting names; the
CPPCC office assigns one where none matches) and the departments.

Participants: the committee's members and the departments are invited to
every open meeting with the topic on its agenda: when a meeting is
scheduled for it (``on_action_recorded`` on ``schedule_meeting``, after the
consultation built-in made or found the meeting) and when the matter is
recorded or changed while a meeting is open. Closed meetings are history
and stay as they were.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.councils.categories import CATEGORY_LABELS
from core.errors import FieldError, conflict, forbidden, validation_failed
from core.escalation import service as escalation
from core.models import Region, Topic
from core.models.consultation import Meeting, MeetingParticipant, MeetingTopic
from core.plugins import PluginHost
from core.region_context import RegionContext, region_context
from core.seeds import quote
from core.topics.service import load_topic
from plugins.lianyungang.committees import chosen_committee, committee_for, departments_of, member_dict, members_of
from plugins.lianyungang.homes import get_home, home_dict, home_name
from plugins.lianyungang.models import CityMatter, Committee, MatterDepartment
from plugins.lianyungang.settings import NAME

FLAG = "involves_city_departments"
DEPARTMENTS = "city_departments"
COMMITTEE = "special_committee_id"
OFFICE = "市政协办公室"
MAX_DEPARTMENTS = 20
MAX_DEPARTMENT_NAME = 100
# Meeting participant categories: a committee's CPPCC member is the "一委员" of 两代表一委员,
# a department a government department's representative (the X).
CPPCC = "deputies"
DEPARTMENT = "department"
# Who may say a matter involves city departments: those who run the topic's meetings.
MEETING_MANAGE = "meeting.manage"

RULE_DEPARTMENTS = quote("003", "遇到涉及到市有关部门的,可以由市政协相对应的专门委员会,协调市政协委员和市有关部门参加协商沟通交流")
RULE_CROSSING = quote("003", "特别是涉及到跨区域、跨县域的,由市政协相对应专门委员会协调市有关部门参与协商")


def districts_of(codes) -> set[str]:
    return {code[:6] for code in codes if len(code) >= 6}


def crosses_districts(codes) -> bool:
    return len(districts_of(codes)) > 1


def keep_at_home(topic_region_code: str, affected_region_codes) -> str | None:
    """The topic's own council, for a matter whose communities lie in more than one district
    or county (the core would move it to the city); otherwise the core decides."""
    if crosses_districts(affected_region_codes):
        return topic_region_code
    return None


# -- reading the fields ---------------------------------------------------------------------

def read_departments(value: Any, field: str, errors: list[FieldError]) -> list[str] | None:
    """The department names of a list of non-empty texts, trimmed and each once."""
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) > MAX_DEPARTMENTS
            or not all(isinstance(v, str) and v.strip() for v in value)):
        errors.append(FieldError(
            field, f"市有关部门应为部门名称列表，每项为非空文本，至多 {MAX_DEPARTMENTS} 个",
            f"{field} must be a list of department names, each non-empty text, at most {MAX_DEPARTMENTS}"))
        return None
    names = list(dict.fromkeys(v.strip() for v in value))
    for i, name in enumerate(names):
        if len(name) > MAX_DEPARTMENT_NAME:
            errors.append(FieldError(f"{field}[{i}]", f"部门名称不得超过 {MAX_DEPARTMENT_NAME} 字",
                                     f"a department's name must be at most {MAX_DEPARTMENT_NAME} characters"))
    return names


def _flag_of(value: Any, errors: list[FieldError]) -> tuple[bool, list[str] | None]:
    """``involves_city_departments``: true / false, or the departments (a list means true)."""
    if value is None or isinstance(value, bool):
        return bool(value), None
    if isinstance(value, list):
        if not value:
            errors.append(FieldError(FLAG, "请列出涉及的市有关部门，或填写 true",
                                     f"{FLAG}: list the city departments involved, or give true"))
            return False, None
        names = read_departments(value, FLAG, errors)
        return names is not None, names
    errors.append(FieldError(FLAG, "“是否涉及市有关部门”应为 true 或 false，或市有关部门名称列表",
                             f"{FLAG} must be true or false, or a list of city departments"))
    return False, None


# -- recording a matter --------------------------------------------------------------------

async def matter_committee(session: AsyncSession, city: RegionContext, matter: CityMatter,
                           topic: Topic) -> tuple[Committee | None, str | None]:
    """The committee coordinating the matter: the one recorded, else (a matter no committee
    matched, or one recorded before committees were bodies) the one matching its category now."""
    if matter.committee_id is not None:
        body = await session.get(Committee, matter.committee_id)
        if body is not None:
            return body, body.name
    if matter.committee_name:
        return None, matter.committee_name
    return await committee_for(session, city, topic.category)


async def participants_of(session: AsyncSession, city: RegionContext, matter: CityMatter,
                          topic: Topic) -> list[tuple[str, str]]:
    """(name, meeting participant category): the committee's members, then the departments."""
    body, _name = await matter_committee(session, city, matter, topic)
    people = []
    if body is not None:
        people += [(m.name, CPPCC if m.is_cppcc else "") for m in (await members_of(session, [body.id]))[body.id]]
    people += [(name, DEPARTMENT) for name in (await departments_of(session, [topic.id])).get(topic.id, [])]
    return people


async def invite(session: AsyncSession, city: RegionContext, topic: Topic, principal: Principal | None) -> None:
    """Invite the matter's participants to each open meeting of the topic that lacks them."""
    matter = await session.get(CityMatter, topic.id)
    if matter is None:
        return
    people = await participants_of(session, city, matter, topic)
    if not people:
        return
    meetings = await session.scalars(
        select(Meeting).join(MeetingTopic, MeetingTopic.meeting_id == Meeting.id)
        .where(MeetingTopic.topic_id == topic.id, Meeting.status == "scheduled").order_by(Meeting.id))
    for meeting in meetings.all():
        # By name: a city CPPCC member who also sits on the home is invited once, as a member.
        present = set(await session.scalars(select(MeetingParticipant.name)
                                            .where(MeetingParticipant.meeting_id == meeting.id)))
        added = [MeetingParticipant(meeting_id=meeting.id, member_id=None, name=name, category=category,
                                    invited=True) for name, category in people if name not in present]
        if not added:
            continue
        session.add_all(added)
        meeting.updated_at = clock.now()
        await session.flush()
        await audit.record(session, actor=principal, action="lianyungang.city_matter.invite", object_type="meeting",
                           object_id=meeting.id, region_code=meeting.region_code,
                           after={"topic_id": topic.id, "invited": [p.name for p in added]})


async def _snapshot(session: AsyncSession, matter: CityMatter) -> dict[str, Any]:
    return {"involves_city_departments": matter.involves_city_departments,
            "crosses_districts": matter.crosses_districts, "committee_id": matter.committee_id,
            "committee_name": matter.committee_name,
            "departments": (await departments_of(session, [matter.topic_id])).get(matter.topic_id, [])}


async def record_matter(session: AsyncSession, city: RegionContext, topic: Topic, principal: Principal | None, *,
                        involves: bool, crosses: bool, departments: list[str] | None,
                        committee: Committee | None) -> CityMatter:
    """Make the topic a city matter, or add to the one it is: ``departments`` (when given)
    replace those held; ``committee`` (when given) replaces the one coordinating."""
    matter = await session.get(CityMatter, topic.id)
    before = await _snapshot(session, matter) if matter is not None else None
    if matter is None:
        body, name = (committee, committee.name) if committee else await committee_for(session, city, topic.category)
        matter = CityMatter(topic_id=topic.id, involves_city_departments=involves, crosses_districts=crosses,
                            committee_id=body.id if body else None, committee_name=name or "",
                            flagged_by_user_id=principal.user_id if principal else None, flagged_at=clock.now())
        session.add(matter)
    else:
        matter.involves_city_departments = matter.involves_city_departments or involves
        matter.crosses_districts = matter.crosses_districts or crosses
        if committee is not None:
            matter.committee_id, matter.committee_name = committee.id, committee.name
    await session.flush()
    if departments is not None:
        await session.execute(delete(MatterDepartment).where(MatterDepartment.topic_id == topic.id))
        session.add_all(MatterDepartment(topic_id=topic.id, name=name, position=i)
                        for i, name in enumerate(departments))
        await session.flush()
    after = await _snapshot(session, matter)
    if after != before:
        await audit.record(session, actor=principal, action="lianyungang.city_matter.record", object_type="topic",
                           object_id=topic.id, region_code=topic.region_code, before=before, after=after)
    await invite(session, city, topic, principal)
    return matter


async def on_admit(session: AsyncSession, context: RegionContext, topic: Topic, payload: Mapping[str, Any],
                   principal: Principal | None) -> None:
    """At screening: record a city matter (flagged, or crossing districts); the topic stays."""
    payload = payload or {}
    city = await context.of(topic.region_code[:4])
    errors: list[FieldError] = []
    flagged, named = _flag_of(payload.get(FLAG), errors)
    more = read_departments(payload.get(DEPARTMENTS), DEPARTMENTS, errors)
    committee = await chosen_committee(session, city.region_code, payload.get(COMMITTEE), COMMITTEE, errors)
    if errors:
        raise validation_failed(*errors)
    departments = None if named is None and more is None else list(dict.fromkeys([*(named or []), *(more or [])]))
    involves = flagged or bool(departments) or committee is not None
    crosses = crosses_districts(await escalation.affected_codes(session, topic.id))
    if not (involves or crosses):
        return
    await record_matter(session, city, topic, principal, involves=involves, crosses=crosses,
                        departments=departments, committee=committee)


async def on_meeting_scheduled(session: AsyncSession, context: RegionContext, topic: Topic,
                               principal: Principal | None) -> None:
    """After the consultation built-in has put the topic on a meeting: invite the matter's participants."""
    await invite(session, await context.of(topic.region_code[:4]), topic, principal)


async def set_matter(session: AsyncSession, plugins: PluginHost, authorizer: Authorizer, principal: Principal,
                     topic_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """During the consultation: the topic involves city departments (``city_departments``,
    replacing those named before) and, optionally, which committee coordinates
    (``special_committee_id``, else the category's). Answers the topic's ``lianyungang`` section."""
    topic = await load_topic(session, principal, topic_id, authorizer=authorizer, for_update=True)
    context = await region_context(session, plugins, topic.region_code)
    if not context.has(NAME):
        raise conflict("lianyungang_not_enabled", "本议题所在地区未启用连云港协商民主之家功能",
                       "the Lianyungang consultation homes are not enabled where this topic is")
    if not authorizer.allowed(principal, MEETING_MANAGE, topic.region_code):
        raise forbidden("您不能修改此议题的市级协调", "you may not change this topic's city coordination")
    city = await context.of(topic.region_code[:4])
    errors: list[FieldError] = []
    departments = read_departments(data.get(DEPARTMENTS), DEPARTMENTS, errors)
    committee = await chosen_committee(session, city.region_code, data.get(COMMITTEE), COMMITTEE, errors)
    if errors:
        raise validation_failed(*errors)
    if topic.status != "open":
        raise conflict("topic_not_open", "议题已办结或不予协商", "the topic is closed or rejected")
    crosses = crosses_districts(await escalation.affected_codes(session, topic.id))
    await record_matter(session, city, topic, principal, involves=True, crosses=crosses, departments=departments,
                        committee=committee)
    return await view_section(context, topic)


# -- the topic view ------------------------------------------------------------------------

def _participant_dict(name: str, category: str) -> dict[str, Any]:
    zh, en = CATEGORY_LABELS.get(category, ("", "")) if category else ("", "")
    return {"name": name, "category": category, "category_zh": zh, "category_en": en}


async def view_section(context: RegionContext, topic: Topic) -> dict[str, Any]:
    session = context.session
    origin_home = await get_home(session, topic.origin_region_code)
    section: dict[str, Any] = {"home": None, "city_matter": False}
    if origin_home is not None:
        origin = await session.get(Region, topic.origin_region_code)
        section["home"] = home_dict(origin_home, origin.name)
    matter = await session.get(CityMatter, topic.id)
    if matter is None:
        return section
    city = await context.of(topic.region_code[:4])
    affected = await escalation.affected_codes(session, topic.id)
    crosses = matter.crosses_districts or crosses_districts(affected)
    body, committee = await matter_committee(session, city, matter, topic)
    members = (await members_of(session, [body.id]))[body.id] if body else []
    departments = (await departments_of(session, [topic.id])).get(topic.id, [])
    people = await participants_of(session, city, matter, topic)
    home = await get_home(session, topic.region_code)
    region = await session.get(Region, topic.region_code)
    where_zh, where_en = home_name(region.name, home.kind) if home else (region.name, region.name)
    coordinator = f"市政协{committee}" if committee else OFFICE
    reasons = [(on, zh, en) for on, zh, en in ((crosses, "跨县区", "crosses districts or counties"),
                                               (matter.involves_city_departments, "涉及市有关部门",
                                                "involves city departments")) if on]
    text_zh = (f"本议题{'、'.join(zh for _, zh, _ in reasons) or '由市级协调'}，仍由{where_zh}协商；"
               f"由{coordinator}协调市政协委员和市有关部门参加协商沟通交流"
               + (f"（市有关部门：{'、'.join(departments)}）" if departments else "")
               + ("" if committee else "（议事目录类别未对应专门委员会，由市政协办公室牵头分派）"))
    text_en = (f"This matter {' and '.join(en for _, _, en in reasons) or 'is coordinated by the city'}; "
               f"it stays with {where_en} for consultation, and "
               + (f"the city CPPCC's {committee} coordinates the city's CPPCC members and departments taking part"
                  if committee else "no special committee matches its category: the city CPPCC office assigns one")
               + (f" (city departments: {', '.join(departments)})" if departments else ""))
    rules = [{"seed": "003", "section": "三", "text_zh": RULE_DEPARTMENTS}]
    if crosses:
        rules.append({"seed": "003", "section": "三", "text_zh": RULE_CROSSING})
    section.update({
        "city_matter": True, "crosses_districts": crosses, FLAG: matter.involves_city_departments,
        "districts": sorted(districts_of(affected)),
        "special_committee": committee,
        "committee": ({"id": body.id if body else None, "name": committee,
                       "members": [member_dict(m) for m in members]} if committee else None),
        "coordinator": coordinator,
        "departments": departments,
        "participants": [_participant_dict(name, category) for name, category in people],
        "rules": rules, "text_zh": text_zh, "text_en": text_en,
    })
    return section
