"""Where a topic comes from and whether it is worth taking up (seed 004 §二).

"以“切口小、立意高、关联广”为议题选择标准,依托“365爱心服务站”、入户走访、划分网格、
公布办公电话等形式,在工作过程中逐步探索出“党政交、委员提、社会征”的选题机制".

* The topic-selection standard is a checklist the admission must carry:
  the admit action (any action of kind ``screen_admit``) confirms each of
  切口小 / 立意高 / 关联广 in its payload's ``selection_standard``, a list of
  the criteria's keys or a table of key → true (or a few words on how the
  topic meets it). A criterion left out is refused field by field (400) and
  the action is rolled back with it.
* The three channels are the core's ``Topic.channel`` (assigned 党政交,
  member 委员提, resident 社会征); the core has no finer field, so the form
  of 社会征 a topic came by (365爱心服务站, 入户走访, 网格, 办公电话) is the
  admission payload's ``source``, allowed for 社会征 topics and for those
  staff entered for a resident (on_behalf, 代录: what a home visit or a phone
  call produces). "等形式" leaves other forms open, so it may be left out.

Both are kept on the admission's history entry (``TopicEvent.data``), with
no table of their own, and shown in the topic view's section. The action's
HTTP body (``core.topics.schemas.TopicAction``) does not declare the two
fields yet, so until it does they reach this check through the service only.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from core.errors import FieldError, validation_failed
from core.models import Topic, TopicEvent
from core.region_context import RegionContext
from core.seeds import platform_default, quote

from plugins.four_visits_six_steps.procedure import NO_RESEARCH_NO_CONSULTATION

ADMIT_KIND = "screen_admit"
STANDARD_FIELD = "selection_standard"
SOURCE_FIELD = "source"
MAX_EXPLANATION = 500

STANDARD_TEXT = quote("004", "以“切口小、立意高、关联广”为议题选择标准")

# key → (the report's word, English, what it asks: our reading, English)
CRITERIA: dict[str, tuple[str, str, str, str]] = {
    "small_entry": (quote("004", "切口小"), "a narrow entry point",
                    platform_default("议题具体、范围明确，能在社区层面协商解决"),
                    "the matter is concrete and bounded, and can be settled at the community"),
    "high_aim": (quote("004", "立意高"), "a high purpose",
                 platform_default("着眼群众共同利益和基层治理，而非个人诉求"),
                 "it serves the residents' common interest and local governance, not one person's claim"),
    "wide_links": (quote("004", "关联广"), "wide relevance",
                   platform_default("涉及面广，关系到多数居民"),
                   "it reaches widely and concerns most residents"),
}

SOURCES: dict[str, tuple[str, str]] = {
    "love_station": (quote("004", "365爱心服务站"), "the 365 caring service station"),
    "home_visit": (quote("004", "入户走访"), "home visits"),
    "grid": (quote("004", "网格"), "the grids"),
    "office_phone": (quote("004", "办公电话"), "the published office phone"),
}

CHANNELS: dict[str, tuple[str, str]] = {
    "assigned": (quote("004", "党政交"), "assigned by the party and government"),
    "member": (quote("004", "委员提"), "proposed by a CPPCC member"),
    "resident": (quote("004", "社会征"), "collected from the public"),
    "on_behalf": (platform_default("社会征（工作人员代录）"), "collected from the public (entered by staff)"),
}
# The channels whose topics may name a form of 社会征.
SOCIAL_CHANNELS = ("resident", "on_behalf")


def _criteria_names_zh(keys) -> str:
    return "、".join(CRITERIA[key][0] for key in keys)


def _confirmed(value: Any, errors: list[FieldError]) -> dict[str, Any]:
    """The criteria ``value`` confirms, key → True or the words given; problems go to ``errors``."""
    if value is None:
        return {}
    if isinstance(value, list):
        found: dict[str, Any] = {}
        for i, key in enumerate(value):
            if not isinstance(key, str) or key not in CRITERIA:
                errors.append(FieldError(
                    f"{STANDARD_FIELD}[{i}]", f"{key!r} 不是议题选择标准的一项，应为：{'、'.join(CRITERIA)}",
                    f"{key!r} is none of the topic-selection criteria: {', '.join(CRITERIA)}"))
            else:
                found[key] = True
        return found
    if isinstance(value, Mapping):
        found = {}
        for key, given in value.items():
            where = f"{STANDARD_FIELD}.{key}"
            if key not in CRITERIA:
                errors.append(FieldError(where, f"“{key}”不是议题选择标准的一项，应为：{'、'.join(CRITERIA)}",
                                         f"'{key}' is none of the topic-selection criteria: {', '.join(CRITERIA)}"))
            elif given is True:
                found[key] = True
            elif isinstance(given, str) and given.strip():
                if len(given.strip()) > MAX_EXPLANATION:
                    errors.append(FieldError(where, f"说明不得超过 {MAX_EXPLANATION} 字",
                                             f"the explanation must be at most {MAX_EXPLANATION} characters"))
                else:
                    found[key] = given.strip()
            elif given not in (False, None, ""):
                errors.append(FieldError(where, "应为 true 或一段说明", "must be true or a few words"))
        return found
    errors.append(FieldError(
        STANDARD_FIELD, f"议题选择标准应为所确认各项的列表（{'、'.join(CRITERIA)}）或对照表",
        f"the topic-selection standard must be a list of the criteria confirmed ({', '.join(CRITERIA)}) "
        "or a table of criterion → true"))
    return {}


def _source(topic: Topic, value: Any, errors: list[FieldError]) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in SOURCES:
        allowed = "、".join(f"{key}（{zh}）" for key, (zh, _en) in SOURCES.items())
        errors.append(FieldError(SOURCE_FIELD, f"议题来源应为以下之一：{allowed}",
                                 f"the source must be one of: {', '.join(SOURCES)}"))
        return None
    if topic.channel not in SOCIAL_CHANNELS:
        zh, en = CHANNELS.get(topic.channel, (topic.channel, topic.channel))
        errors.append(FieldError(
            SOURCE_FIELD, f"“{SOURCES[value][0]}”是“社会征”的形式，本议题来自“{zh}”，不应填写议题来源",
            f"'{value}' is a form of public collection (社会征); this topic was {en}, so it takes no source"))
        return None
    return value


async def check_admission(topic: Topic, payload: Mapping[str, Any], event: TopicEvent) -> None:
    """Refuse an admission that does not confirm the whole standard (400); else keep what it carried."""
    payload = payload or {}
    errors: list[FieldError] = []
    confirmed = _confirmed(payload.get(STANDARD_FIELD), errors)
    source = _source(topic, payload.get(SOURCE_FIELD), errors)
    # A standard of the wrong shape is one error, not three more about its criteria.
    missing = [] if any(e.field == STANDARD_FIELD for e in errors) else [k for k in CRITERIA if k not in confirmed]
    for key in missing:
        zh, en, asks_zh, asks_en = CRITERIA[key]
        errors.append(FieldError(f"{STANDARD_FIELD}.{key}", f"议题选择标准：未确认“{zh}”（{asks_zh}）",
                                 f"topic-selection standard: “{zh}” ({en}: {asks_en}) is not confirmed"))
    if errors:
        raise validation_failed(
            *errors,
            zh="受理议题须对照“切口小、立意高、关联广”逐项确认" + (f"，尚缺：{_criteria_names_zh(missing)}" if missing else ""),
            en="an admission confirms each criterion of the topic-selection standard"
               + (f"; missing: {', '.join(missing)}" if missing else ""))
    recorded = {STANDARD_FIELD: {key: confirmed[key] for key in CRITERIA}}
    if source is not None:
        recorded[SOURCE_FIELD] = source
    # A new dict, so the JSON column sees the change.
    event.data = {**(event.data or {}), **recorded}


# -- the topic view section ---------------------------------------------------------------

def _admit_keys(context: RegionContext, topic: Topic) -> tuple[str, ...]:
    try:
        procedure = context.procedures.get(topic.procedure_key, topic.procedure_version)
    except LookupError:
        return ("admit",)
    return tuple({a.key for s in procedure.steps for a in s.actions if a.kind == ADMIT_KIND}) or ("admit",)


async def admission_record(context: RegionContext, topic: Topic) -> dict[str, Any] | None:
    """What the topic's latest admission recorded under this plugin, if any."""
    events = await context.session.scalars(
        select(TopicEvent).where(TopicEvent.topic_id == topic.id, TopicEvent.action.in_(_admit_keys(context, topic)))
        .order_by(TopicEvent.id.desc()))
    return next((e.data for e in events if STANDARD_FIELD in (e.data or {})), None)


def _titled(key: str | None, pair: tuple[str, str] | None) -> dict[str, Any] | None:
    if key is None or pair is None:
        return None
    return {"key": key, "title_zh": pair[0], "title_en": pair[1]}


async def view_section(context: RegionContext, topic: Topic) -> dict[str, Any]:
    """The channel and its form, the standard as confirmed at admission, and the rule on research."""
    recorded = await admission_record(context, topic)
    confirmed = (recorded or {}).get(STANDARD_FIELD) or {}
    criteria = [{"key": key, "title_zh": zh, "title_en": en, "text_zh": asks_zh, "text_en": asks_en,
                 "confirmed": bool(confirmed.get(key)) if recorded is not None else None,
                 "explanation": confirmed.get(key) if isinstance(confirmed.get(key), str) else None}
                for key, (zh, en, asks_zh, asks_en) in CRITERIA.items()]
    source = (recorded or {}).get(SOURCE_FIELD)
    return {
        "selection_standard": {
            "text_zh": STANDARD_TEXT,
            "text_en": "topics are chosen for a narrow entry point, a high purpose and wide relevance",
            "admitted": recorded is not None,
            "criteria": criteria,
        },
        "channel": _titled(topic.channel, CHANNELS.get(topic.channel)),
        "source": _titled(source, SOURCES.get(source or "")),
        "sources": [_titled(key, pair) for key, pair in SOURCES.items()] if topic.channel in SOCIAL_CHANNELS else [],
        "enforced": [
            {"zh": "受理议题须逐项确认议题选择标准（切口小、立意高、关联广）",
             "en": "an admission confirms each criterion of the topic-selection standard"},
            {"zh": f"{NO_RESEARCH_NO_CONSULTATION}：议前调研记录后方可安排协商会议",
             "en": "no research, no consultation: a meeting is scheduled only after research is recorded"},
        ],
    }
