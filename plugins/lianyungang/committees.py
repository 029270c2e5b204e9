"""The city CPPCC's special committees (专门委员会): bodies with members and an inbox.

Seed 003 §三 has the committee matching a matter ("市政协相对应的专门委员会")
coordinate the city's CPPCC members and departments in a home's consultation;
§五 "各专门委员会要按照自身的职责,认真做好对县区政协的有关协调指导服务工作".
A committee belongs to one city, lists the catalogue items it answers for
(an item is one committee's at most), and has members: a name, an account
if they sign in, and whether they are a CPPCC member.

The setting ``lianyungang.special_committees`` stays the way a city names
its committee per catalogue item: a committee made without categories takes
the items the setting gives its name, and a matter whose category no
committee lists goes to the committee the setting names (the body of that
name if there is one, else the name alone, without members).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, clock
from core.authz.principal import Principal
from core.catalogue import ADMISSIBLE
from core.errors import FieldError, conflict, not_found, validation_failed
from core.fields import request_body, text_field
from core.models import Region, RoleGrant, Topic, User
from core.models.region import RegionLevel, subtree_upper_bound
from core.plugins import PluginHost
from core.procedures.registry import procedure_registry
from core.region_context import RegionContext, region_context
from core.regions.queries import Paging
from core.topics.service import topic_summary
from plugins.lianyungang.homes import home_dict
from plugins.lianyungang.models import CityMatter, Committee, CommitteeMember, Home, MatterDepartment
from plugins.lianyungang.settings import NAME, SPECIAL_COMMITTEES

MAX_NAME = 100
MAX_MEMBERS = 100
MAX_CATEGORIES = 100


def committee_not_found():
    return not_found("专门委员会", "special committee")


async def city_context(session: AsyncSession, plugins: PluginHost, code: str) -> RegionContext:
    """The context of ``code``, which must be a city where the plugin is on (committees are the city CPPCC's)."""
    region = await session.get(Region, code)
    if region is None:
        raise not_found("区划", "region")
    if region.level != RegionLevel.city.value:
        raise validation_failed(FieldError("code", "专门委员会属于市政协：请选择市",
                                           "special committees belong to the city CPPCC: choose the city"))
    context = await region_context(session, plugins, code)
    if not context.has(NAME):
        raise conflict("lianyungang_not_enabled", f"{region.name}未启用连云港协商民主之家功能",
                       f"the Lianyungang consultation homes are not enabled at {region.name}")
    return context


def setting_committees(context: RegionContext) -> dict[str, str]:
    """Catalogue item → committee name, as the city's setting gives it (blank names left out)."""
    named = context.setting(SPECIAL_COMMITTEES) or {}
    return {item: name.strip() for item, name in named.items() if isinstance(name, str) and name.strip()}


async def committees_of(session: AsyncSession, city_code: str) -> list[Committee]:
    return list(await session.scalars(select(Committee).where(Committee.city_code == city_code)
                                      .order_by(Committee.id)))


async def members_of(session: AsyncSession, committee_ids) -> dict[int, list[CommitteeMember]]:
    ids = list(committee_ids)
    found: dict[int, list[CommitteeMember]] = {i: [] for i in ids}
    if ids:
        for member in await session.scalars(select(CommitteeMember).where(CommitteeMember.committee_id.in_(ids))
                                            .order_by(CommitteeMember.position, CommitteeMember.id)):
            found[member.committee_id].append(member)
    return found


def member_dict(member: CommitteeMember) -> dict[str, Any]:
    return {"id": member.id, "name": member.name, "user_id": member.user_id, "is_cppcc": member.is_cppcc}


def committee_dict(committee: Committee, members: list[CommitteeMember],
                   context: RegionContext | None = None) -> dict[str, Any]:
    answer = {"id": committee.id, "city_code": committee.city_code, "name": committee.name,
              "categories": list(committee.categories or []), "members": [member_dict(m) for m in members],
              "cppcc_members": sum(1 for m in members if m.is_cppcc)}
    if context is not None:
        answer["categories_named"] = [_category_dict(context, code) for code in committee.categories or []]
    return answer


def _category_dict(context: RegionContext, code: str) -> dict[str, Any]:
    item = context.catalogue.get(code)
    return {"code": code, "text_zh": item.text_zh if item else "", "text_en": item.text_en if item else ""}


async def load_committee(session: AsyncSession, city_code: str, committee_id: int | None) -> Committee:
    """The city's committee; one of another city is reported like a missing one."""
    committee = await session.get(Committee, committee_id) if committee_id is not None else None
    if committee is None or committee.city_code != city_code:
        raise committee_not_found()
    return committee


async def chosen_committee(session: AsyncSession, city_code: str, committee_id: Any, field: str,
                           errors: list[FieldError]) -> Committee | None:
    """The committee a form names by id (a field error when it is not one of the city's)."""
    if committee_id is None:
        return None
    if not isinstance(committee_id, int) or isinstance(committee_id, bool):
        errors.append(FieldError(field, "专门委员会编号应为整数", f"{field} must be an integer"))
        return None
    committee = await session.get(Committee, committee_id)
    if committee is None or committee.city_code != city_code:
        errors.append(FieldError(field, f"本市政协没有编号为 {committee_id} 的专门委员会",
                                 f"the city CPPCC has no special committee {committee_id}"))
        return None
    return committee


async def committee_for(session: AsyncSession, context: RegionContext, category: str | None
                        ) -> tuple[Committee | None, str | None]:
    """The committee matching a matter's category in the city of ``context``: the body
    listing it, else the one the setting names (its body if one has that name)."""
    if not category:
        return None, None
    city_code = context.region_code[:4]
    for committee in await committees_of(session, city_code):
        if category in (committee.categories or []):
            return committee, committee.name
    name = setting_committees(context).get(category)
    if name is None:
        return None, None
    body = await session.scalar(select(Committee).where(Committee.city_code == city_code, Committee.name == name))
    return body, name


# -- reading and checking a committee's form -----------------------------------------------

def _categories(context: RegionContext, raw: Any, errors: list[FieldError]) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_CATEGORIES or not all(isinstance(c, str) for c in raw):
        errors.append(FieldError("categories", f"负责的议事目录条目应为条目代码列表（至多 {MAX_CATEGORIES} 个）",
                                 f"categories must be a list of catalogue item codes (at most {MAX_CATEGORIES})"))
        return None
    codes = list(dict.fromkeys(c.strip() for c in raw))
    for i, code in enumerate(codes):
        item = context.catalogue.get(code)
        if item is None or item.kind != ADMISSIBLE:
            errors.append(FieldError(f"categories[{i}]", f"“{code}”不是本市议事目录中可协商的条目",
                                     f"'{code}' is not an admissible item of the city's catalogue"))
    return codes


async def _members(session: AsyncSession, city_code: str, raw: Any,
                   errors: list[FieldError]) -> list[tuple[str, int | None, bool]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_MEMBERS:
        errors.append(FieldError("members", f"成员应为列表（至多 {MAX_MEMBERS} 人）",
                                 f"members must be a list (at most {MAX_MEMBERS})"))
        return None
    members = []
    for i, item in enumerate(raw):
        where = f"members[{i}]"
        if not isinstance(item, Mapping):
            errors.append(FieldError(where, "成员应为 {name, user_id, is_cppcc}", "a member is {name, user_id, is_cppcc}"))
            continue
        name = text_field(item, "name", MAX_NAME, errors, required=True, zh="成员姓名", en="name",
                          field=f"{where}.name")
        user_id = item.get("user_id")
        if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)
                                    or not await _user_in_city(session, user_id, city_code)):
            # A user of another city is reported like a missing one.
            errors.append(FieldError(f"{where}.user_id", f"本市没有编号为 {user_id} 的用户",
                                     f"the city has no user {user_id}"))
            user_id = None
        is_cppcc = item.get("is_cppcc", True)
        if is_cppcc is None:
            is_cppcc = True
        if not isinstance(is_cppcc, bool):
            errors.append(FieldError(f"{where}.is_cppcc", "“是否政协委员”应为 true 或 false",
                                     "is_cppcc must be true or false"))
        if name:
            members.append((name, user_id, bool(is_cppcc)))
    names = [name for name, _, _ in members]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(FieldError("members", f"成员“{name}”重复", f"member '{name}' is listed twice"))
    return members


async def _user_in_city(session: AsyncSession, user_id: int, city_code: str) -> bool:
    granted = await session.scalar(select(func.count()).select_from(RoleGrant).join(User, User.id == RoleGrant.user_id)
                                   .where(RoleGrant.user_id == user_id, User.is_active.is_(True),
                                          RoleGrant.region_code >= city_code,
                                          RoleGrant.region_code < subtree_upper_bound(city_code)))
    return bool(granted)


async def _taken(session: AsyncSession, city_code: str, categories: list[str], committee_id: int | None,
                 errors: list[FieldError]) -> None:
    """An item another committee of the city already answers for."""
    for other in await committees_of(session, city_code):
        if other.id == committee_id:
            continue
        for i, code in enumerate(categories):
            if code in (other.categories or []):
                errors.append(FieldError(f"categories[{i}]", f"“{code}”已由{other.name}负责",
                                         f"'{code}' is already {other.name}'s"))


async def _name_taken(session: AsyncSession, city_code: str, name: str, committee_id: int | None) -> None:
    other = await session.scalar(select(Committee).where(Committee.city_code == city_code, Committee.name == name))
    if other is not None and other.id != committee_id:
        raise conflict("committee_exists", f"市政协已有{name}", f"the city CPPCC already has a committee named {name}")


def _set_members(session: AsyncSession, committee: Committee, members: list[tuple[str, int | None, bool]]) -> None:
    session.add_all(CommitteeMember(committee_id=committee.id, name=name, user_id=user_id, is_cppcc=is_cppcc,
                                    position=i) for i, (name, user_id, is_cppcc) in enumerate(members))


async def _claim_matters(session: AsyncSession, committee: Committee) -> None:
    """City matters recorded before their committee had a body: those naming it, and
    those no committee matched whose category it now lists, become its own."""
    topics_of_city = select(Topic.id).where(Topic.region_code >= committee.city_code,
                                            Topic.region_code < subtree_upper_bound(committee.city_code))
    unclaimed = [CityMatter.committee_name == committee.name]
    if committee.categories:
        unclaimed.append((CityMatter.committee_name == "") & CityMatter.topic_id.in_(
            topics_of_city.where(Topic.category.in_(committee.categories))))
    for matter in await session.scalars(select(CityMatter).where(
            CityMatter.committee_id.is_(None), CityMatter.topic_id.in_(topics_of_city), or_(*unclaimed))):
        matter.committee_id = committee.id
        matter.committee_name = committee.name
    await session.flush()


# -- the routes' services -------------------------------------------------------------------

async def list_committees(session: AsyncSession, plugins: PluginHost, code: str) -> dict[str, Any]:
    """The city's committees with their members, and which committee each catalogue item goes to."""
    context = await city_context(session, plugins, code)
    committees = await committees_of(session, code)
    members = await members_of(session, [c.id for c in committees])
    by_item: dict[str, dict[str, Any]] = {}
    for item, name in setting_committees(context).items():
        by_item[item] = {**_category_dict(context, item), "committee_id": None, "committee": name,
                         "source": "setting"}
    for committee in committees:
        for item in committee.categories or []:
            by_item[item] = {**_category_dict(context, item), "committee_id": committee.id,
                             "committee": committee.name, "source": "committee"}
    for entry in by_item.values():
        if entry["committee_id"] is None:
            entry["committee_id"] = next((c.id for c in committees if c.name == entry["committee"]), None)
    return {"items": [committee_dict(c, members[c.id], context) for c in committees],
            "by_category": [by_item[item] for item in sorted(by_item)]}


async def create_committee(session: AsyncSession, plugins: PluginHost, principal: Principal | None, code: str,
                           data: Mapping[str, Any] | None) -> dict[str, Any]:
    """A committee of the city: ``name`` (required), ``categories`` (default: the items the
    setting gives that name), ``members`` ([{name, user_id?, is_cppcc?}])."""
    data = request_body(data)
    context = await city_context(session, plugins, code)
    errors: list[FieldError] = []
    name = text_field(data, "name", MAX_NAME, errors, required=True, zh="专门委员会名称", en="name")
    categories = _categories(context, data.get("categories"), errors)
    members = await _members(session, code, data.get("members"), errors)
    if categories is None:
        # The setting's items for this name, less those another committee already lists.
        listed = {item for other in await committees_of(session, code) for item in other.categories or []}
        categories = sorted(item for item, named in setting_committees(context).items()
                            if named == name and item not in listed)
    elif categories:
        await _taken(session, code, categories, None, errors)
    if errors:
        raise validation_failed(*errors)
    await _name_taken(session, code, name, None)
    now = clock.now()
    committee = Committee(city_code=code, name=name, categories=categories or [], created_at=now, updated_at=now)
    session.add(committee)
    await session.flush()
    _set_members(session, committee, members or [])
    await session.flush()
    await _claim_matters(session, committee)
    held = (await members_of(session, [committee.id]))[committee.id]
    await audit.record(session, actor=principal, action="lianyungang.committee.create",
                       object_type="lianyungang_committee", object_id=committee.id, region_code=code,
                       after=committee_dict(committee, held))
    return committee_dict(committee, held, context)


async def update_committee(session: AsyncSession, plugins: PluginHost, principal: Principal | None, code: str,
                           committee_id: int | None, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Change a committee's name, categories or members (a list given replaces the one held)."""
    data = request_body(data)
    context = await city_context(session, plugins, code)
    committee = await load_committee(session, code, committee_id)
    errors: list[FieldError] = []
    name = text_field(data, "name", MAX_NAME, errors, required="name" in data, zh="专门委员会名称", en="name")
    categories = _categories(context, data.get("categories"), errors)
    members = await _members(session, code, data.get("members"), errors)
    if categories:
        await _taken(session, code, categories, committee.id, errors)
    if errors:
        raise validation_failed(*errors)
    if name:
        await _name_taken(session, code, name, committee.id)
    before = committee_dict(committee, (await members_of(session, [committee.id]))[committee.id])
    if name and name != committee.name:
        committee.name = name
        # A matter keeps the name it was last coordinated under, should the body go.
        await session.execute(update(CityMatter).where(CityMatter.committee_id == committee.id)
                              .values(committee_name=name))
    if categories is not None:
        committee.categories = categories
    if members is not None:
        await session.execute(delete(CommitteeMember).where(CommitteeMember.committee_id == committee.id))
        _set_members(session, committee, members)
    committee.updated_at = clock.now()
    await session.flush()
    await _claim_matters(session, committee)
    held = (await members_of(session, [committee.id]))[committee.id]
    await audit.record(session, actor=principal, action="lianyungang.committee.update",
                       object_type="lianyungang_committee", object_id=committee.id, region_code=code,
                       before=before, after=committee_dict(committee, held))
    return committee_dict(committee, held, context)


async def delete_committee(session: AsyncSession, plugins: PluginHost, principal: Principal | None, code: str,
                           committee_id: int | None) -> None:
    """Remove a committee; the matters it coordinated keep its name, without members."""
    await city_context(session, plugins, code)
    committee = await load_committee(session, code, committee_id)
    before = committee_dict(committee, (await members_of(session, [committee.id]))[committee.id])
    await session.delete(committee)
    await session.flush()
    await audit.record(session, actor=principal, action="lianyungang.committee.delete",
                       object_type="lianyungang_committee", object_id=before["id"], region_code=code, before=before)


async def inbox(session: AsyncSession, plugins: PluginHost, code: str, committee_id: int | None,
                paging: Paging) -> dict[str, Any]:
    """The city matters a committee coordinates (every city matter when none is named),
    newest first, each with its home, where it stands and the departments taking part."""
    await city_context(session, plugins, code)
    conditions = [Topic.region_code >= code, Topic.region_code < subtree_upper_bound(code)]
    if committee_id is not None:
        committee = await load_committee(session, code, committee_id)
        conditions.append(CityMatter.committee_id == committee.id)
    base = select(CityMatter, Topic).join(Topic, Topic.id == CityMatter.topic_id).where(*conditions)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = (await session.execute(base.order_by(CityMatter.flagged_at.desc(), CityMatter.topic_id.desc())
                                  .offset(paging.offset).limit(paging.page_size))).all()
    topic_ids = [topic.id for _, topic in rows]
    departments = await departments_of(session, topic_ids)
    names = dict((await session.execute(select(Region.code, Region.name).where(
        Region.code.in_({topic.region_code for _, topic in rows})))).all()) if rows else {}
    bodies = {c.id: c for c in await committees_of(session, code)}
    homes = {home.region_code: home for home in await session.scalars(
        select(Home).where(Home.region_code.in_(names)))} if names else {}
    registry = procedure_registry(plugins)
    items = []
    for matter, topic in rows:
        try:
            procedure = registry.get(topic.procedure_key, topic.procedure_version)
        except LookupError:
            procedure = None
        home = homes.get(topic.region_code)
        body = bodies.get(matter.committee_id) if matter.committee_id is not None else None
        items.append({
            "topic": topic_summary(topic, procedure), "status": topic.status,
            "council": {"code": topic.region_code, "name": names.get(topic.region_code, "")},
            "home": home_dict(home, names.get(topic.region_code, "")) if home else None,
            "committee": {"id": body.id if body else None, "name": body.name if body else matter.committee_name or None},
            "departments": departments.get(topic.id, []),
            "involves_city_departments": matter.involves_city_departments,
            "crosses_districts": matter.crosses_districts, "flagged_at": matter.flagged_at.isoformat()})
    return {"items": items, "total": total or 0, "page": paging.page, "page_size": paging.page_size}


async def departments_of(session: AsyncSession, topic_ids) -> dict[int, list[str]]:
    ids = list(topic_ids)
    found: dict[int, list[str]] = {}
    if ids:
        for row in await session.scalars(select(MatterDepartment).where(MatterDepartment.topic_id.in_(ids))
                                         .order_by(MatterDepartment.position, MatterDepartment.id)):
            found.setdefault(row.topic_id, []).append(row.name)
    return found
