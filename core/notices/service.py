"""Public notices (公示) and objections (异议).

A notice opens when an action starts the procedure's notice timer (the
generic ``record_resolution``) and closes when that period ends. Anyone may
read the notice board and, while a notice is open, object with a name and
a contact; the contact is shown masked. An objection counts in the topic's
procedure state exactly as the procedure's ``object`` action does, so the
topic's guards (no confirmation with an objection open) see it.

When the period ends, :func:`close_notice` (run by the expiry job) records
a ``notice_closed`` event. Without objections the next step is the
confirmation by the same-level party organisation (``confirm_results``);
with objections the topic is back with the council, which answers each one
(``dismiss_objection``; answers are public), upholds it and consults again
(``uphold_objection``) or refers the matter to the residents'
(representatives') meeting (``refer_to_assembly``).

A plugin may post notices of another kind (``Notice.kind``, through
:func:`post_notice`): they share the board and its period, take no objections
and, when their period ends, leave the topic where it is.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock, ratelimit
from core.clock import CHINA_TZ
from core.audit.service import record
from core.authz.principal import Principal
from core.authz.roles import Role
from core.clientaddr import digest
from core.db import Base
from core.errors import ApiError, FieldError, conflict, not_found, validation_failed
from core.fields import request_body, required_text as _field, unknown_fields
from core.implementation.notify import notify
from core.models import Region, Topic, TopicEvent, TopicRegion
from core.models.notice import RESULTS, Notice, Objection
from core.models.region import level_of_code
from core.plugins import PluginHost
from core.procedures.guards import NOTICE, OBJECTIONS_OPEN
from core.procedures.model import Action
from core.regions.queries import Paging
from core.topics.presence import has_rows, watch
from core.region_context import region_context
from core.topics.transitions import Actor, actor_name, append_event, take_action

watch(Notice.__table__)

OBJECTIONS_PER_HOUR = "notices.objections_per_hour"
OBJECTION_WINDOW = timedelta(hours=1)
# Closed notices stay on the board this long.
RECENT = timedelta(days=30)
MAX_NAME = 100
MAX_CONTACT = 100
MAX_TEXT = 2000
# The action a public objection takes, and the roles the public acts with.
OBJECT = "object"
PUBLIC_ROLES = frozenset({Role.resident})
# Actions that send the matter back with every open objection, and what the
# objections become.
RETURNS = {"uphold_objection": "upheld", "refer_to_assembly": "referred"}


def notice_not_found() -> ApiError:
    return not_found("公示", "notice")


def mask_contact(contact: str) -> str:
    """138****5678 for a phone number, z***@example.com for an e-mail address."""
    contact = contact.strip()
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(contact) >= 7:
        return f"{contact[:3]}{'*' * (len(contact) - 7)}{contact[-4:]}" if len(contact) > 7 \
            else f"{contact[:2]}***{contact[-2:]}"
    return contact[:1] + "*" * max(len(contact) - 1, 0)




# -- opening -----------------------------------------------------------------

def _outcome_text(topic: Topic) -> Any:
    """A query for the latest recorded outcome's text, when outcomes are installed."""
    table = Base.metadata.tables.get("outcomes")
    if table is None or "text" not in table.c or "topic_id" not in table.c:
        return None
    return select(table.c.text).where(table.c.topic_id == topic.id).order_by(table.c.id.desc()).limit(1)


async def open_notice(session: AsyncSession, topic: Topic, event: TopicEvent, payload: Mapping[str, Any],
                      principal: Principal | None) -> Notice:
    """Post the topic's results publicly until the deadline of its notice timer
    (which the action just started, from ``core.notice_days``).

    The text is the payload's ``text``, else the latest outcome recorded for
    the topic, else the action's note. A notice still open for the topic is
    withdrawn: only the latest results are on notice.
    """
    text = payload.get("text") if isinstance(payload.get("text"), str) else ""
    text = text.strip()
    if not text:
        query = _outcome_text(topic)
        text = (await session.scalar(query) if query is not None else None) or event.note or topic.title
    await _withdraw_open(session, topic, RESULTS)
    notice = Notice(topic_id=topic.id, region_code=topic.region_code, event_id=event.id, title=topic.title,
                    text=text, opens_at=event.at, closes_at=datetime.fromisoformat(topic.timers[NOTICE]),
                    status="open", created_at=event.at)
    session.add(notice)
    await session.flush()
    await record(session, actor=principal, action="notice.open", object_type="notice", object_id=notice.id,
                 region_code=notice.region_code, before=None,
                 after={"topic_id": topic.id, "closes_at": notice.closes_at.isoformat(), "text": text})
    return notice


async def post_notice(session: AsyncSession, topic: Topic, event: TopicEvent, kind: str, *, text: str,
                      closes_at: datetime, principal: Principal | None) -> Notice:
    """Post a notice of another ``kind`` than the results on the topic's board until
    ``closes_at``. Only the latest notice of a kind is open: an earlier one still open
    for the topic is withdrawn. The topic's notice timer is not touched."""
    if kind == RESULTS:
        raise ValueError("the results are put on notice by the procedure's publish action")
    await _withdraw_open(session, topic, kind)
    notice = Notice(topic_id=topic.id, region_code=topic.region_code, event_id=event.id, title=topic.title,
                    text=text, opens_at=event.at, closes_at=closes_at, kind=kind, status="open",
                    created_at=event.at)
    session.add(notice)
    await session.flush()
    await record(session, actor=principal, action="notice.open", object_type="notice", object_id=notice.id,
                 region_code=notice.region_code, before=None,
                 after={"topic_id": topic.id, "kind": kind, "closes_at": closes_at.isoformat(), "text": text})
    return notice


async def _withdraw_open(session: AsyncSession, topic: Topic, kind: str) -> None:
    for notice in (await session.scalars(
            select(Notice).where(Notice.topic_id == topic.id, Notice.status == "open", Notice.kind == kind))).all():
        notice.status = "withdrawn"
        notice.closed_at = clock.now()


# -- objections ------------------------------------------------------------------



_CONTACT = re.compile(r"^(\+?[0-9][0-9 \-]{5,}[0-9]|[^@\s]+@[^@\s]+\.[^@\s]+)$")


OBJECTION_FIELDS = ("name", "contact", "text")


def _objection_fields(data: Any) -> tuple[str, str, str]:
    data = request_body(data, required=True)
    errors: list[FieldError] = unknown_fields(data, OBJECTION_FIELDS)
    name = _field(data, "name", MAX_NAME, "姓名", "name", errors)
    contact = _field(data, "contact", MAX_CONTACT, "联系方式", "contact", errors)
    if contact and not _CONTACT.match(contact):
        errors.append(FieldError("contact", "联系方式应为电话号码或电子邮箱",
                                 "contact must be a phone number or an e-mail address"))
    text = _field(data, "text", MAX_TEXT, "异议内容", "text", errors)
    if errors:
        raise validation_failed(*errors)
    return name, contact, text


def _period_over(notice: Notice) -> ApiError:
    # In China time, as the notice itself shows its period.
    shown = notice.closes_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    if notice.status == "withdrawn":
        return conflict("notice_closed", "该公示已撤回，不能再提出异议",
                        "this notice was withdrawn; objections are no longer accepted")
    return conflict("notice_closed", f"公示期已于 {shown} 结束，不能再提出异议",
                    f"the notice period ended at {shown} (China time); objections are no longer accepted")


def _too_many_objections(limit: int) -> Callable[[timedelta], ApiError]:
    def refusal(retry_after: timedelta) -> ApiError:
        minutes = ratelimit.minutes_until(retry_after)
        return ApiError(429, "rate_limited", f"提交过于频繁：每小时最多 {limit} 条异议，请 {minutes} 分钟后再试",
                        f"too many objections: at most {limit} per hour, try again in "
                        f"{minutes} minute{'s' if minutes != 1 else ''}")
    return refusal


async def submit_objection(session: AsyncSession, plugins: PluginHost, notice_id: int, data: Any, *,
                           client: str) -> Objection:
    """A resident's objection through the public door (no login).

    Refused with 409 once the period is over (the closing instant still
    counts), 400 for a missing name, contact or text, 429 when the client
    has used up the region's objections for this hour (one fixed window,
    counted atomically by :mod:`core.ratelimit`). Nothing is stored on refusal.
    """
    notice = await session.get(Notice, notice_id) if isinstance(notice_id, int) else None
    if notice is None:
        raise notice_not_found()
    if notice.kind != RESULTS:
        raise conflict("no_objections", "此公示为告知性公示，不受理异议",
                       "this notice informs; it takes no objections")
    now = clock.now()
    if notice.status != "open" or now > notice.closes_at:
        raise _period_over(notice)
    name, contact, text = _objection_fields(data)
    client_hash = digest(client)
    context = await region_context(session, plugins, notice.region_code)
    limit = context.setting(OBJECTIONS_PER_HOUR)
    await ratelimit.take(session, [(f"notices.objection:{client_hash}", ratelimit.Limit(limit, OBJECTION_WINDOW))],
                         refusal=_too_many_objections(limit))
    # Locked so that the objection and the expiry job cannot cross.
    topic = await session.scalar(select(Topic).where(Topic.id == notice.topic_id).with_for_update())
    objection = Objection(notice_id=notice.id, topic_id=topic.id, name=name, contact=contact, text=text,
                          client_hash=client_hash, status="open", created_at=now)
    session.add(objection)
    await session.flush()
    event = await take_action(await context.of(topic.region_code), topic, OBJECT,
                              Actor.anonymous(name, PUBLIC_ROLES), {"note": text},
                              data={"notice_id": notice.id, "objection_id": objection.id,
                                    "contact": mask_contact(contact)})
    objection.event_id = event.id
    await session.flush()
    return objection


async def _current_notice(session: AsyncSession, topic: Topic) -> Notice | None:
    """The topic's latest results notice (objections go to the results, never to another kind)."""
    return await session.scalar(select(Notice).where(Notice.topic_id == topic.id, Notice.kind == RESULTS)
                                .order_by(Notice.id.desc()).limit(1))


async def record_member_objection(session: AsyncSession, topic: Topic, event: TopicEvent,
                                  payload: Mapping[str, Any], principal: Principal) -> Objection | None:
    """A logged-in user objected through the procedure's action: keep it on the board too."""
    if principal is None:
        # A resident on the public board: ``submit_objection`` keeps that
        # objection itself, with what only it knows (the client's digest).
        return None
    notice = await _current_notice(session, topic)
    if notice is None or notice.status != "open":
        return None
    contact = payload.get("contact") if isinstance(payload.get("contact"), str) else ""
    objection = Objection(notice_id=notice.id, topic_id=topic.id, event_id=event.id, user_id=principal.user_id,
                          name=actor_name(principal), contact=contact.strip()[:MAX_CONTACT], text=event.note,
                          status="open", created_at=event.at)
    session.add(objection)
    await session.flush()
    return objection


async def _open_objections(session: AsyncSession, topic: Topic) -> list[Objection]:
    return list((await session.scalars(select(Objection).where(
        Objection.topic_id == topic.id, Objection.status == "open").order_by(Objection.id))).all())


def _answer(objection: Objection, status: str, event: TopicEvent, principal: Principal | None) -> None:
    objection.status = status
    objection.answer = event.note
    objection.answered_at = event.at
    objection.answered_by_user_id = principal.user_id if principal else None
    objection.answered_by_name = actor_name(principal)


async def answer_objection(session: AsyncSession, topic: Topic, event: TopicEvent, payload: Mapping[str, Any],
                           principal: Principal | None) -> Objection | None:
    """The council's answer to one objection (``objection_id``, else the oldest open one)."""
    wanted = payload.get("objection_id")
    candidates = await _open_objections(session, topic)
    if wanted is not None:
        chosen = next((o for o in candidates if o.id == wanted), None)
        if chosen is None:
            raise validation_failed(FieldError("objection_id", f"本议题没有待答复的异议 {wanted}",
                                               f"no open objection {wanted} on this topic"))
    else:
        chosen = candidates[0] if candidates else None
    if chosen is not None:
        _answer(chosen, "answered", event, principal)
        event.data = {**(event.data or {}), "objection_id": chosen.id}
        await session.flush()
    return chosen


async def return_objections(session: AsyncSession, topic: Topic, action: Action, event: TopicEvent,
                            principal: Principal | None) -> list[Objection]:
    """Upheld, or referred to the residents' meeting: every open objection goes
    back with the matter, and the notice ends.

    The procedure lowers the open-objection count by one per action; the
    others travel with the matter too, so the count is set to none left.
    """
    status = RETURNS[action.key]
    objections = await _open_objections(session, topic)
    for objection in objections:
        _answer(objection, status, event, principal)
    counters = dict(topic.counters or {})
    counters[OBJECTIONS_OPEN] = 0
    topic.counters = counters
    await _withdraw_open(session, topic, RESULTS)
    event.data = {**(event.data or {}), "objection_ids": [o.id for o in objections]}
    await session.flush()
    return objections


async def on_action_taken(session: AsyncSession, topic: Topic, action: Action,
                          payload: Mapping[str, Any], event: TopicEvent, principal: Principal) -> None:
    """What a procedure action means for the notice board.

    Read from the declaration, not the action's name, so that a regional
    procedure's own actions work alike: starting the notice timer publishes,
    raising the open-objection count objects, lowering it answers.
    """
    if any(timer.key == NOTICE for timer in action.timers):
        await open_notice(session, topic, event, payload, principal)
        return
    delta = sum(change for name, change in action.counts if name == OBJECTIONS_OPEN)
    if delta > 0:
        await record_member_objection(session, topic, event, payload, principal)
    elif action.key in RETURNS:
        await return_objections(session, topic, action, event, principal)
    elif delta < 0:
        await answer_objection(session, topic, event, payload, principal)


# -- closing ------------------------------------------------------------------------

@dataclass(frozen=True)
class Closed:
    notice_id: int
    topic_id: int
    result: str
    objections_open: int


async def close_notice(session: AsyncSession, notice: Notice) -> Closed:
    """End a notice whose period is over and tell the council what comes next.

    The topic's history gets a ``notice_closed`` event while the topic still
    waits at the notice (it may have moved on already: a confirmation taken
    the moment the period ended, an objection upheld).
    """
    topic = await session.scalar(select(Topic).where(Topic.id == notice.topic_id).with_for_update())
    received = await session.scalar(select(func.count()).select_from(Objection)
                                    .where(Objection.notice_id == notice.id))
    open_count = len(await _open_objections(session, topic))
    now = clock.now()
    results = notice.kind == RESULTS
    notice.status = "closed"
    notice.closed_at = now
    # Another kind takes no objections, so there is no result to tell.
    notice.result = ("objections" if received else "no_objection") if results else None
    published = await session.get(TopicEvent, notice.event_id) if notice.event_id is not None else None
    # Still waiting at the step the results were published into.
    waiting = results and topic.status == "open" and NOTICE in (topic.timers or {}) and (
        published is None or published.to_step == topic.step)
    if waiting:
        if open_count:
            zh = (f"公示期满，收到 {received} 条异议，{open_count} 条待答复：议事会须逐条答复，"
                  "或提请居民（代表）会议决定")
            en = (f"Notice period over with {received} objection(s), {open_count} awaiting an answer: the council "
                  "answers each or refers the matter to the residents' (representatives') meeting")
        elif received:
            zh = f"公示期满，收到的 {received} 条异议均已答复，报同级党组织确认"
            en = (f"Notice period over; the {received} objection(s) received have all been answered; the results "
                  "go to the same-level party organisation for confirmation")
        else:
            zh = "公示期满无异议，报同级党组织确认"
            en = "Notice period over with no objection; the results go to the same-level party organisation " \
                 "for confirmation"
        event = append_event(session, topic, None, "notice_closed", from_step=topic.step, note=zh, at=now,
                             data={"notice_id": notice.id, "result": notice.result, "objections": received,
                                   "objections_open": open_count,
                                   "next": "answer_objections" if open_count else "confirm_results"})
        await session.flush()
        await record(session, actor=None, action="topic.notice_closed", object_type="topic", object_id=topic.id,
                     region_code=topic.region_code, before={"notice": "open"},
                     after={"notice": "closed", **event.data})
        await notify(session, region_code=topic.region_code, council=True, topic_id=topic.id,
                     kind="objections_to_answer" if open_count else "notice_closed",
                     text_zh=f"议题“{topic.title}”：{zh}", text_en=f"Topic \"{topic.title}\": {en}",
                     data={"notice_id": notice.id})
    else:
        await record(session, actor=None, action="notice.close", object_type="notice", object_id=notice.id,
                     region_code=notice.region_code, before={"status": "open"},
                     after={"status": "closed", "result": notice.result})
    await session.flush()
    return Closed(notice.id, topic.id, notice.result, open_count)


async def expired_notice_ids(session: AsyncSession, limit: int = 500) -> list[int]:
    now = clock.now()
    rows = await session.scalars(select(Notice.id).where(Notice.status == "open", Notice.closes_at <= now)
                                 .order_by(Notice.closes_at, Notice.id).limit(limit))
    return list(rows.all())


async def close_if_expired(session: AsyncSession, notice_id: int) -> Closed | None:
    notice = await session.scalar(select(Notice).where(Notice.id == notice_id).with_for_update())
    if notice is None or notice.status != "open" or notice.closes_at > clock.now():
        return None
    return await close_notice(session, notice)


# -- reading -----------------------------------------------------------------------

def objection_view(objection: Objection, *, full_contact: bool = False) -> dict[str, Any]:
    view = {"id": objection.id, "name": objection.name, "contact": mask_contact(objection.contact),
            "text": objection.text, "created_at": objection.created_at.isoformat(), "status": objection.status,
            "answer": objection.answer or None,
            "answered_at": objection.answered_at.isoformat() if objection.answered_at else None,
            "answered_by": objection.answered_by_name or None}
    if full_contact:
        view["contact_full"] = objection.contact
    return view


def notice_view(notice: Notice, objections: list[Objection], *, full_contact: bool = False) -> dict[str, Any]:
    open_now = notice.status == "open" and clock.now() <= notice.closes_at
    return {"id": notice.id, "topic_id": notice.topic_id, "region_code": notice.region_code, "kind": notice.kind,
            "title": notice.title, "text": notice.text, "opens_at": notice.opens_at.isoformat(),
            "closes_at": notice.closes_at.isoformat(), "status": notice.status, "result": notice.result,
            "on_notice": open_now, "accepting_objections": open_now and notice.kind == RESULTS,
            "closed_at": notice.closed_at.isoformat() if notice.closed_at else None,
            "objections": [objection_view(o, full_contact=full_contact) for o in objections]}


async def _objections_of(session: AsyncSession, notice_ids: list[int]) -> dict[int, list[Objection]]:
    grouped: dict[int, list[Objection]] = {i: [] for i in notice_ids}
    if notice_ids:
        for objection in (await session.scalars(select(Objection).where(Objection.notice_id.in_(notice_ids))
                                                .order_by(Objection.id))).all():
            grouped[objection.notice_id].append(objection)
    return grouped


async def public_board(session: AsyncSession, region_code: str, paging: Paging, *,
                       include_closed: bool = True) -> dict[str, Any]:
    """The notice board of a region, for anyone: its council's notices and
    those of topics affecting it, open ones first, then the recently closed."""
    if not isinstance(region_code, str) or level_of_code(region_code) is None \
            or await session.scalar(select(Region.code).where(Region.code == region_code)) is None:
        raise not_found("区划", "region")
    shown = Notice.status == "open"
    if include_closed:
        shown = or_(shown, (Notice.status == "closed") & (Notice.closed_at >= clock.now() - RECENT))
    # Two indexed lookups joined by UNION: "own region OR an affected one" as one OR with EXISTS
    # made PostgreSQL scan every notice of the city twice per request.
    own = select(Notice.id).where(Notice.region_code == region_code, shown)
    affecting = (select(Notice.id).join(TopicRegion, TopicRegion.topic_id == Notice.topic_id)
                 .where(TopicRegion.region_code == region_code, shown))
    board = union(own, affecting).subquery()
    total = await session.scalar(select(func.count()).select_from(board))
    rows = (await session.scalars(
        select(Notice).where(Notice.id.in_(select(board.c.id)))
        .order_by((Notice.status == "open").desc(), Notice.closes_at.desc(), Notice.id.desc())
        .offset(paging.offset).limit(paging.page_size))).all()
    grouped = await _objections_of(session, [n.id for n in rows])
    return {"items": [notice_view(n, grouped[n.id]) for n in rows], "total": total or 0,
            "page": paging.page, "page_size": paging.page_size}


async def public_notice(session: AsyncSession, notice_id: int) -> dict[str, Any]:
    notice = await session.get(Notice, notice_id)
    if notice is None or notice.status == "withdrawn":
        raise notice_not_found()
    return notice_view(notice, (await _objections_of(session, [notice.id]))[notice.id])


async def topic_notices(session: AsyncSession, topic: Topic, *, full_contact: bool,
                        kind: str = RESULTS) -> list[dict[str, Any]]:
    """The topic's notices of ``kind``: by default its results, the ones objected to and
    answered (the kind that owns another shows it where it belongs)."""
    if not await has_rows(session, topic.id, Notice.__table__):
        return []
    notices = (await session.scalars(select(Notice).where(Notice.topic_id == topic.id, Notice.kind == kind)
                                     .order_by(Notice.id))).all()
    grouped = await _objections_of(session, [n.id for n in notices])
    return [notice_view(n, grouped[n.id], full_contact=full_contact) for n in notices]
