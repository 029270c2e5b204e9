"""Matters for the city CPPCC's special committee (seed 003 §三): "遇到涉及到市有关部门的，
可以由市政协相对应的专门委员会，协调市政协委员和市有关部门参加协商沟通交流。特别是涉及到
跨区域、跨县域的，由市政协相对应专门委员会协调市有关部门参与协商。"

Two ways a topic becomes a city matter:

* its affected communities lie in more than one district or county:
  ``yishi_escalation_target`` answers the city, so the core moves it there
  at screening or on a staff request;
* it is admitted with ``involves_city_departments: true`` in the admit
  action's payload. The escalation hook is told only the topic's codes and
  category, not the payload, so the admit hook records the flag (a
  ``CityMatter`` row) and moves the topic itself with the core's
  ``move_topic``; it runs before the built-ins (``on_action_taken`` in the
  manifest), so the core's own escalation then finds the topic already
  where it belongs.

At the city the committee matching the topic's category coordinates
(setting ``lianyungang.special_committees``); the topic view's
``lianyungang`` section names it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.principal import Principal
from core.errors import FieldError, validation_failed
from core.escalation import service as escalation
from core.models import Region, Topic
from core.region_context import RegionContext
from plugins.lianyungang.homes import get_home, home_dict
from plugins.lianyungang.models import CityMatter
from plugins.lianyungang.settings import SPECIAL_COMMITTEES

FLAG = "involves_city_departments"
MOVE_REASON = "涉及市有关部门，由市政协相对应专门委员会协调市有关部门参与协商"
OFFICE = "市政协办公室"


def districts_of(codes) -> set[str]:
    return {code[:6] for code in codes if len(code) >= 6}


def city_target(topic_region_code: str, affected_region_codes) -> str | None:
    """The city, for a matter whose communities lie in more than one district or county."""
    if len(districts_of(affected_region_codes)) > 1:
        return topic_region_code[:4]
    return None


def _flag_of(payload: Mapping[str, Any]) -> bool:
    value = payload.get(FLAG, False)
    if not isinstance(value, bool):
        raise validation_failed(FieldError(FLAG, "“是否涉及市有关部门”应为 true 或 false",
                                           f"{FLAG} must be true or false"))
    return value


async def on_admit(session: AsyncSession, topic: Topic, payload: Mapping[str, Any],
                   principal: Principal | None) -> None:
    if not _flag_of(payload or {}):
        return
    if await session.get(CityMatter, topic.id) is None:
        session.add(CityMatter(topic_id=topic.id, involves_city_departments=True,
                               flagged_by_user_id=principal.user_id if principal else None, flagged_at=clock.now()))
        await session.flush()
    city = topic.region_code[:4]
    if topic.region_code != city:
        affected = await escalation.affected_codes(session, topic.id)
        await escalation.move_topic(session, topic, city, principal=principal, trigger="admit",
                                    reason=MOVE_REASON, affected=affected)


def committee_for(city: RegionContext, category: str | None) -> str | None:
    """The special committee the city's setting names for the category, if any."""
    committees = city.setting(SPECIAL_COMMITTEES)
    name = committees.get(category) if category else None
    return name.strip() if isinstance(name, str) and name.strip() else None


async def view_section(context: RegionContext, topic: Topic) -> dict[str, Any]:
    session = context.session
    origin_home = await get_home(session, topic.origin_region_code)
    section: dict[str, Any] = {"home": None, "city_matter": False}
    if origin_home is not None:
        origin = await session.get(Region, topic.origin_region_code)
        section["home"] = home_dict(origin_home, origin.name)
    city = topic.region_code[:4]
    if topic.region_code != city:
        return section
    affected = await escalation.affected_codes(session, topic.id)
    crosses = len(districts_of(affected)) > 1
    flagged = await session.get(CityMatter, topic.id) is not None
    committee = committee_for(await context.of(city), topic.category)
    coordinator = f"市政协{committee}" if committee else OFFICE
    reasons_zh = [zh for on, zh in ((crosses, "跨县区"), (flagged, "涉及市有关部门")) if on]
    reasons_en = [en for on, en in ((crosses, "crosses districts or counties"),
                                    (flagged, "involves city departments")) if on]
    section.update({
        "city_matter": True, "crosses_districts": crosses, FLAG: flagged,
        "districts": sorted(districts_of(affected)),
        "special_committee": committee,
        "text_zh": (f"本议题{'、'.join(reasons_zh) or '由市级协商'}，由{coordinator}协调市有关部门参与协商"
                    + ("" if committee else "（议事目录类别未对应专门委员会，由市政协办公室牵头分派）")),
        "text_en": (f"This matter {' and '.join(reasons_en) or 'is consulted at the city'}: "
                    + (f"the city CPPCC's {committee} coordinates the city departments' part in the consultation"
                       if committee else "no special committee matches its category; the city CPPCC office "
                                         "assigns one")),
    })
    return section
