"""Reserved matters and the residents' (representatives') meeting (居民（代表）会议), seed 001 §二(四).

Two rules send a matter to that meeting. What consultation cannot settle, or
what is contested, goes there (``refer_to_assembly``, from the consultation
or from the notice with its objections). And what current policy reserves
to it goes there with the consultation's results whatever the notice
brought: staff mark such a topic (``mark_reserved_matter``, citing the
provision), and the procedure's guards hold back the confirmation of its
results until the meeting has decided (``refer_reserved_matter`` once the
notice has run).

Every submission is a row of ``ningbo_assembly_referrals``, and the
meeting's decision (adopted or not, when and where it sat, its text and
the note) is written onto it when recorded. The topic view's ``ningbo``
section shows both.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.principal import Principal
from core.clock import CHINA_TZ
from core.consultation.fields import moment_field
from core.errors import FieldError, validation_failed
from core.fields import text_field
from core.models import Topic, TopicEvent
from core.procedures.model import Action
from core.seeds import quote
from core.topics.presence import has_rows, watch
from plugins.ningbo.models import AssemblyReferral, ReservedMatter
from plugins.ningbo.procedure import ASSEMBLY_DECIDED, ASSEMBLY_DECISION, REFER_RESERVED, awaits_assembly
from plugins.ningbo.procedure import RESERVED as RESERVED_COUNTER

watch(ReservedMatter.__table__)
watch(AssemblyReferral.__table__)

RESERVED_RULE = quote("001", "现行政策规定应居民(代表)会议决定的事项,应当及时将相关事项及协商结果提交居民(代表)会议决定")
UNSETTLED_RULE = quote("001", "通过协商无法解决或存在较大争议的问题或事项,应当提交居民(代表)会议决定")

RESERVED, UNSETTLED, CONTESTED = "reserved", "unsettled", "contested"
REASONS = {
    RESERVED: ("依规应由居民（代表）会议决定的事项", "a matter policy reserves to the meeting"),
    UNSETTLED: ("协商无法解决", "consultation could not settle it"),
    CONTESTED: ("公示中存在较大争议", "contested while on notice"),
}
# The seed's words each submission rests on.
RULES = {RESERVED: RESERVED_RULE, UNSETTLED: UNSETTLED_RULE, CONTESTED: UNSETTLED_RULE}
MAX_BASIS = 2000
MAX_TEXT = 10000
MAX_PLACE = 200


def _shown(moment) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


# -- marking --------------------------------------------------------------------------

async def mark(session: AsyncSession, topic: Topic, payload: Mapping[str, Any], event: TopicEvent,
               principal: Principal | None) -> ReservedMatter:
    """``mark_reserved_matter``: the provision that reserves the matter (``text``) is required.

    A form with a note only (the council's pages give this action the plain note
    form) cites it in the note: without ``text``, the note is the basis.
    """
    payload = payload or {}
    errors: list[FieldError] = []
    cited = payload if payload.get("text") not in (None, "") else {"text": event.note}
    basis = text_field(cited, "text", MAX_BASIS, errors, required=True,
                       zh="认定依据（法律法规或政策规定）", en="text (the provision that reserves the matter)")
    if errors:
        raise validation_failed(*errors)
    note = "" if cited is not payload else event.note
    row = ReservedMatter(topic_id=topic.id, basis=basis, note=note, event_id=event.id,
                         marked_by_user_id=principal.user_id if principal else None,
                         marked_by_name=event.actor_name, marked_at=event.at)
    session.add(row)
    event.data = {**(event.data or {}), "basis": basis}
    await session.flush()
    return row


async def unmark(session: AsyncSession, topic: Topic, event: TopicEvent) -> None:
    """``unmark_reserved_matter``: the mark goes; the history keeps what it cited."""
    basis = await session.scalar(select(ReservedMatter.basis).where(ReservedMatter.topic_id == topic.id))
    await session.execute(delete(ReservedMatter).where(ReservedMatter.topic_id == topic.id))
    event.data = {**(event.data or {}), "basis": basis}
    await session.flush()


def consulted_again(topic: Topic) -> None:
    """A new resolution is a new result: a reserved matter takes it to the meeting again."""
    counters = dict(topic.counters or {})
    if counters.get(ASSEMBLY_DECIDED):
        counters[ASSEMBLY_DECIDED] = 0
        topic.counters = counters


# -- referral and decision ----------------------------------------------------------------

async def refer(session: AsyncSession, topic: Topic, action: Action, event: TopicEvent) -> AssemblyReferral:
    """Any submission to the meeting: why it went, and whether policy reserves the matter."""
    if action.key == REFER_RESERVED:
        reason = RESERVED
    else:
        reason = UNSETTLED if event.from_step == "consult" else CONTESTED
    reserved = int((topic.counters or {}).get(RESERVED_COUNTER, 0)) > 0
    row = AssemblyReferral(topic_id=topic.id, referred_event_id=event.id, referred_at=event.at, reason=reason,
                           reserved=reserved, objections=len((event.data or {}).get("objection_ids") or ()))
    session.add(row)
    event.data = {**(event.data or {}), "reason": reason, "reserved_matter": reserved}
    await session.flush()
    return row


async def _open_referral(session: AsyncSession, topic: Topic) -> AssemblyReferral | None:
    return await session.scalar(select(AssemblyReferral).where(
        AssemblyReferral.topic_id == topic.id, AssemblyReferral.decided_event_id.is_(None))
        .order_by(AssemblyReferral.id.desc()).limit(1))


async def decide(session: AsyncSession, topic: Topic, action: Action, payload: Mapping[str, Any],
                 event: TopicEvent) -> AssemblyReferral:
    """The meeting's decision: ``record_assembly_decision`` (adopted; ``text``, the decision
    put on notice, is required) or ``assembly_rejects`` (not adopted). ``starts_at`` (when
    the meeting sat: not in the future, not before the matter was submitted; default now)
    and ``place`` are optional; the note is the procedure's."""
    payload = payload or {}
    adopted = action.key == ASSEMBLY_DECISION
    errors: list[FieldError] = []
    decision = text_field(payload, "text", MAX_TEXT, errors, required=adopted,
                          zh="居民（代表）会议的决定", en="text")
    place = text_field(payload, "place", MAX_PLACE, errors, zh="居民（代表）会议地点", en="place")
    referral = await _open_referral(session, topic)
    held_at = event.at
    # People give the time to the minute, so the submission's own minute is not "before" it.
    if payload.get("starts_at") not in (None, ""):
        sat = moment_field(payload.get("starts_at"), "starts_at", "居民（代表）会议召开时间", "starts_at", errors)
        if sat is not None and sat > clock.now():
            errors.append(FieldError("starts_at", "居民（代表）会议召开时间不能晚于现在",
                                     "starts_at: the residents' meeting cannot have sat in the future"))
        elif sat is not None and referral is not None and referral.referred_at is not None \
                and sat < referral.referred_at.replace(second=0, microsecond=0):
            errors.append(FieldError("starts_at", f"居民（代表）会议召开时间不能早于提交时间 {_shown(referral.referred_at)}",
                                     f"starts_at: the residents' meeting cannot have sat before the matter was "
                                     f"submitted, {_shown(referral.referred_at)} (China time)"))
        elif sat is not None:
            held_at = sat
    if errors:
        raise validation_failed(*errors)
    if referral is None:
        # Submitted before submissions were recorded: the decision is kept all the same.
        referral = AssemblyReferral(topic_id=topic.id, reason=UNSETTLED,
                                    reserved=int((topic.counters or {}).get(RESERVED_COUNTER, 0)) > 0)
        session.add(referral)
    referral.decided_event_id = event.id
    referral.adopted = adopted
    referral.held_at = held_at
    referral.place = place
    referral.decision = decision
    referral.note = event.note
    referral.decided_by_name = event.actor_name
    referral.decided_at = event.at
    event.data = {**(event.data or {}), "adopted": adopted, "held_at": held_at.isoformat(), "place": place}
    await session.flush()
    return referral


# -- the view -------------------------------------------------------------------------------

def _when(moment) -> str | None:
    return moment.isoformat() if moment else None


def referral_view(row: AssemblyReferral) -> dict[str, Any]:
    zh, en = REASONS.get(row.reason, (row.reason, row.reason))
    return {"reason": row.reason, "reason_zh": zh, "reason_en": en, "rule": RULES.get(row.reason),
            "reserved_matter": row.reserved,
            "referred_at": _when(row.referred_at), "objections": row.objections,
            "decided": row.decided_at is not None, "adopted": row.adopted, "held_at": _when(row.held_at),
            "held_on": row.held_at.astimezone(CHINA_TZ).date().isoformat() if row.held_at else None,
            "place": row.place or None, "decision": row.decision or None, "note": row.note or None,
            "decided_by": row.decided_by_name or None, "decided_at": _when(row.decided_at)}


async def section(session: AsyncSession, topic: Topic) -> dict[str, Any]:
    """The reserved-matter mark, whether the results wait for the meeting, and every submission."""
    marked = None
    if await has_rows(session, topic.id, ReservedMatter.__table__):
        marked = await session.scalar(select(ReservedMatter).where(ReservedMatter.topic_id == topic.id))
    referrals: list[AssemblyReferral] = []
    if await has_rows(session, topic.id, AssemblyReferral.__table__):
        referrals = list(await session.scalars(select(AssemblyReferral).where(AssemblyReferral.topic_id == topic.id)
                                               .order_by(AssemblyReferral.id)))
    return {
        "reserved_matter": None if marked is None else {
            "basis": marked.basis, "rule": RESERVED_RULE, "note": marked.note or None,
            "marked_at": marked.marked_at.isoformat(),
            "marked_by": marked.marked_by_name or None},
        "awaiting_assembly": topic.status == "open" and awaits_assembly(topic.counters),
        "assembly": [referral_view(r) for r in referrals],
    }

