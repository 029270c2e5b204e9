"""Submitting a topic without an account, and following it by receipt.

The door opens at a street's or a community's council only, in an active
region whose ancestors are all active; anything else (unknown, inactive, a
city or district, a malformed code) gets the same 404, so the door tells a
stranger nothing about which regions exist. The resident's contact details
go to the topic's handlers and never into any answer given here.
"""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import ratelimit
from core.attachments import service as attachments
from core.clientaddr import digest
from core.errors import ApiError, FieldError, not_found, validation_failed
from core.fields import request_body, unknown_fields
from core.catalogue import ROUTES
from core.models import Region, ScreeningDecision, Topic, TopicEvent, TopicFeedback, TopicRegion
from core.models.escalation import Escalation
from core.models.implementation import ProgressUpdate, Task
from core.models.notice import Notice
from core.models.public import PublicReceipt
from core.models.region import RegionLevel, ancestor_codes, level_of_code
from core.plugins import PluginHost
from core.procedures.registry import procedure_registry
from core.topics import service as topics

CHANNEL = "resident"
# The fields a resident may fill in; any other key is refused on its field, but
# for ``channel``, which is accepted and overridden: the door is always 社会征.
FIELDS = ("title", "description", "category", "scale", "proposer_name", "proposer_contact", "affected_regions")
# Shown as the proposer when a resident leaves no name, so feedback still
# has a recipient to be addressed to (件件有回音).
ANONYMOUS = "匿名居民"
PUBLIC_ACTOR = "居民（公开渠道）"
DOOR_LEVELS = (RegionLevel.street.value, RegionLevel.community.value)

# Our defaults. A resident has a handful of matters at a time; a script has hundreds.
PER_CLIENT = ratelimit.Limit(5, timedelta(minutes=10))
# Bounds the flood one community's council has to screen, whatever the source.
PER_REGION = ratelimit.Limit(60, timedelta(minutes=10))

# Our default: enough to show a broken street lamp or a blocked passage.
MAX_PHOTOS = 3
PHOTOS_FIELD = "photos"
# The photos go with the topic's submission, recorded on that history entry.
PHOTOS_KEY = "attachment_ids"

# The history entries that are not a procedure's actions, in words for the resident.
EVENT_TITLES = {
    topics.SUBMIT: ("提交议题", "topic submitted"),
    "notice_closed": ("公示期满", "notice period ended"),
    "escalate": ("上移至上级议事会协商", "moved up to a higher council"),
    "upward_report": ("向上级报送", "reported to a higher level"),
    "upward_report_accepted": ("上级已受理报送事项", "the report was accepted by the higher level"),
    "upward_report_answered": ("上级已答复报送事项", "the higher level answered the report"),
}
OTHER_EVENT = ("办理记录", "handled")
# How many concluded topics a public page lists.
CONCLUDED_SHOWN = 20

# No 0/O or 1/I: the code is read out over the phone and typed from paper.
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TRACKING_LENGTH = 16  # 80 bits: not guessable, even without a rate limit on reads


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def display_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def canonical_code(raw: str) -> str | None:
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != TRACKING_LENGTH or any(ch not in TRACKING_ALPHABET for ch in code):
        return None
    return code


def region_closed() -> ApiError:
    return not_found("区划", "region")


def receipt_not_found() -> ApiError:
    return not_found("回执", "receipt")


async def open_door_region(session: AsyncSession, code: str) -> Region:
    """The street or community taking public submissions at ``code``, or 404."""
    if not isinstance(code, str) or level_of_code(code) is None:
        raise region_closed()
    rows = (await session.execute(select(Region.code, Region.active)
                                  .where(Region.code.in_(ancestor_codes(code))))).all()
    active = dict(rows)
    # Every ancestor must be there and active: a deactivated district closes its communities' doors too.
    if len(active) != len(ancestor_codes(code)) or not all(active.values()):
        raise region_closed()
    region = await session.get(Region, code)
    if region is None or region.level not in DOOR_LEVELS:
        raise region_closed()
    return region


async def admit(session: AsyncSession, client_ip: str, region_code: str, *,
                per_client: ratelimit.Limit = PER_CLIENT,
                per_region: ratelimit.Limit = PER_REGION) -> None:
    """Count one submission from ``client_ip`` to ``region_code``, or refuse it with 429."""
    await ratelimit.take(session, [(f"public.client:{digest(client_ip)}", per_client),
                                   (f"public.region:{region_code}", per_region)])


@dataclass(frozen=True)
class Photo:
    """A photo a resident sends with a topic: the name their device gave it and its bytes."""

    filename: str | None
    content: bytes


def photo_problems(photos: Sequence[Photo]) -> list[FieldError]:
    """What is wrong with the photos sent with a topic, as one error on ``photos`` (none if all is well)."""
    if len(photos) > MAX_PHOTOS:
        return [FieldError(PHOTOS_FIELD, f"最多上传 {MAX_PHOTOS} 张照片，您选择了 {len(photos)} 张",
                           f"at most {MAX_PHOTOS} photos; you chose {len(photos)}")]
    zh, en = [], []
    for n, photo in enumerate(photos, start=1):
        try:
            attachments.check_image(photo.content, photo.filename)
        except ApiError as err:
            reason = err.fields[0] if err.fields else FieldError(PHOTOS_FIELD, err.message_zh, err.message_en)
            zh.append(f"第 {n} 张照片：{reason.message_zh}")
            en.append(f"photo {n}: {reason.message_en}")
    return [FieldError(PHOTOS_FIELD, "；".join(zh), "; ".join(en))] if zh else []


async def submit(session: AsyncSession, region_code: str, data: Any, client_ip: str, *,
                 plugins: PluginHost, photos: Sequence[Photo] = (), upload_dir: Path | None = None) -> dict[str, Any]:
    """Take a resident's topic at ``region_code`` and hand back its receipt.

    Refused with 404 (region not open to the public), 429 (too many from
    this client or to this region lately) or 400 (the topic's fields, or
    the photos: at most :data:`MAX_PHOTOS`, JPEG or PNG, each within the
    anonymous upload limit); on refusal nothing is stored. The photos come
    in with the submission and so count against its rate limit; they are
    kept as attachments of the topic's region, uploaded by nobody, and
    named on the submission's history entry (``attachment_ids``).
    """
    region = await open_door_region(session, region_code)
    data = request_body(data, required=True)
    if unknown := unknown_fields(data, (*FIELDS, "channel")):
        raise validation_failed(*unknown)
    if photos and upload_dir is None:
        raise TypeError("submit needs the upload directory when photos are given")
    refused_photos = photo_problems(photos)
    await admit(session, client_ip, region.code)
    payload = {name: data[name] for name in FIELDS if name in data}
    payload["channel"] = CHANNEL
    name = payload.get("proposer_name")
    if name is None or (isinstance(name, str) and not name.strip()):
        payload["proposer_name"] = ANONYMOUS
    try:
        topic = await topics.create_topic(session, None, region.code, payload, plugins=plugins)
    except ApiError as err:
        # One answer with every mistake, the photos' too; the caller's rollback drops the topic.
        if refused_photos and err.code == "validation_failed":
            raise validation_failed(*err.fields, *refused_photos) from None
        raise
    if refused_photos:
        raise validation_failed(*refused_photos)
    # create_topic writes "system" for a submission without a principal; the
    # history should say a resident brought it in through the public door.
    submitted = await session.scalar(select(TopicEvent).where(TopicEvent.topic_id == topic.id,
                                                              TopicEvent.action == topics.SUBMIT))
    submitted.actor_name = PUBLIC_ACTOR
    if photos:
        kept = [await attachments.store_anonymous_image(session, topic.region_code, photo.content, photo.filename,
                                                        upload_dir=upload_dir) for photo in photos]
        submitted.data = {**(submitted.data or {}), PHOTOS_KEY: [a.id for a in kept]}
    receipt = PublicReceipt(tracking_code=new_tracking_code(), topic_id=topic.id, created_at=topic.created_at)
    session.add(receipt)
    await session.flush()
    return {
        "topic_id": topic.id,
        "tracking_code": display_code(receipt.tracking_code),
        "tracking_path": f"/api/v1/public/topics/{display_code(receipt.tracking_code)}",
        "title": topic.title,
        "status": topic.status,
        "submitted_at": topic.created_at.isoformat(),
        "photos": len(photos),
        "message_zh": f"您的议题已提交，编号 {topic.id}。请妥善保存查询码 {display_code(receipt.tracking_code)}，"
                      "凭此码可查询办理进度和议事会的回复。",
        "message_en": f"Your topic has been submitted as number {topic.id}. Keep the tracking code "
                      f"{display_code(receipt.tracking_code)}: it shows the progress and the council's replies.",
    }


async def track(session: AsyncSession, raw_code: str, *, plugins: PluginHost) -> dict[str, Any]:
    """What a resident holding the tracking code may read: where the topic
    stands and every reply addressed to the proposer. Nothing about the
    proposer (name or contact) is repeated back."""
    code = canonical_code(raw_code) if isinstance(raw_code, str) else None
    if code is None:
        raise receipt_not_found()
    row = (await session.execute(
        select(Topic, Region.name).join(PublicReceipt, PublicReceipt.topic_id == Topic.id)
        .join(Region, Region.code == Topic.region_code)
        .where(PublicReceipt.tracking_code == code))).first()
    if row is None:
        raise receipt_not_found()
    topic, region_name = row
    try:
        procedure = procedure_registry(plugins).get(topic.procedure_key, topic.procedure_version)
    except LookupError:
        procedure = None
    step = procedure.step(topic.step) if procedure else None
    stage = procedure.stage_of(topic.step) if procedure else None
    feedback = (await session.scalars(select(TopicFeedback).where(TopicFeedback.topic_id == topic.id)
                                      .order_by(TopicFeedback.id))).all()
    events = (await session.scalars(select(TopicEvent).where(TopicEvent.topic_id == topic.id)
                                    .order_by(TopicEvent.id))).all()
    return {
        "tracking_code": display_code(code),
        "topic_id": topic.id,
        "title": topic.title,
        "region": {"code": topic.region_code, "name": region_name},
        "status": topic.status,
        "stage": {"key": stage.key, "title_zh": stage.title_zh, "title_en": stage.title_en} if stage else None,
        "step": {"key": topic.step, "title_zh": step.title_zh if step else "",
                 "title_en": step.title_en if step else ""},
        "submitted_at": topic.created_at.isoformat(),
        "updated_at": topic.updated_at.isoformat(),
        "feedback": [{"text_zh": f.text_zh, "text_en": f.text_en, "at": f.created_at.isoformat()}
                     for f in feedback],
        "timeline": [_timeline_entry(procedure, e) for e in events],
        "referrals": await _referrals(session, topic.id),
        "photos": sum(len((e.data or {}).get(PHOTOS_KEY) or ()) for e in events if e.action == topics.SUBMIT),
    }


async def _referrals(session: AsyncSession, topic_id: int) -> list[dict[str, Any]]:
    """Where a matter not consulted by a council was sent: the council above it
    was forwarded to (提请上级协商), or the department or channel it was referred to."""
    decisions = (await session.scalars(
        select(ScreeningDecision).where(ScreeningDecision.topic_id == topic_id, ScreeningDecision.admissible.is_(False),
                                        ScreeningDecision.route.is_not(None))
        .order_by(ScreeningDecision.id))).all()
    if not decisions:
        return []
    forwarded = (await session.execute(
        select(Escalation.at, Region.name).join(Region, Region.code == Escalation.to_region_code)
        .where(Escalation.topic_id == topic_id, Escalation.trigger == "forward").order_by(Escalation.id))).all()
    out = []
    for decision in decisions:
        label = ROUTES.get(decision.route, (decision.route, decision.route))
        to = decision.referred_to
        if decision.route == "forward_upward":
            to = next((name for at, name in forwarded if at >= decision.decided_at), to)
        out.append({"route": decision.route, "route_zh": label[0], "route_en": label[1], "to": to,
                    "channel": decision.channel, "at": decision.decided_at.isoformat()})
    return out


def _timeline_entry(procedure: Any, event: TopicEvent) -> dict[str, Any]:
    """One history entry as a resident may read it: when, what was done, where the topic went.

    Neither who did it nor the note: a note may name people, and what the
    council says to the proposer is in the feedback.
    """
    origin = procedure.step(event.from_step) if procedure and event.from_step else None
    action = origin.action(event.action) if origin else None
    zh, en = (action.title_zh, action.title_en) if action else EVENT_TITLES.get(event.action, OTHER_EVENT)
    moved_to = procedure.step(event.to_step) if procedure and event.to_step and event.to_step != event.from_step \
        else None
    return {"at": event.at.isoformat(), "title_zh": zh, "title_en": en,
            "to_step": {"title_zh": moved_to.title_zh, "title_en": moved_to.title_en} if moved_to else None,
            "status": event.status}


async def concluded_topics(session: AsyncSession, region_code: str, *,
                           limit: int = CONCLUDED_SHOWN) -> list[dict[str, Any]]:
    """The latest topics concluded (办结) by ``region_code``'s council or affecting it, with the
    results last put on notice: what a resident may read of a finished matter."""
    affects = exists().where(TopicRegion.topic_id == Topic.id, TopicRegion.region_code == region_code)
    rows = (await session.scalars(
        select(Topic).where(Topic.status == "closed", or_(Topic.region_code == region_code, affects))
        .order_by(Topic.updated_at.desc(), Topic.id.desc()).limit(limit))).all()
    ids = [t.id for t in rows]
    results: dict[int, str] = {}
    concluded: dict[int, Any] = {}
    if ids:
        for notice in (await session.scalars(select(Notice).where(Notice.topic_id.in_(ids), Notice.status == "closed")
                                             .order_by(Notice.id))).all():
            results[notice.topic_id] = notice.text
        concluded = dict((await session.execute(
            select(TopicEvent.topic_id, func.min(TopicEvent.at))
            .where(TopicEvent.topic_id.in_(ids), TopicEvent.status == "closed")
            .group_by(TopicEvent.topic_id))).all())
    return [{"title": t.title, "concluded_at": (concluded.get(t.id) or t.updated_at).isoformat(),
             "results": results.get(t.id, "")} for t in rows]



async def admitted_topics(session: AsyncSession, region_code: str, paging: Any, *,
                          plugins: PluginHost) -> dict[str, Any]:
    """Topics admitted for consultation and still in hand at ``region_code``'s council or
    affecting it, where each stands, and how the implementation of its outcome is getting on
    (001 §二(五) "公示议题、成果", "反馈落实情况"): the tasks, their deadlines and latest progress.
    Nothing about the proposer and no task's responsible person's contact."""
    affects = exists().where(TopicRegion.topic_id == Topic.id, TopicRegion.region_code == region_code)
    admitted = exists().where(ScreeningDecision.topic_id == Topic.id, ScreeningDecision.admissible.is_(True))
    condition = [Topic.status == "open", or_(Topic.region_code == region_code, affects), admitted]
    total = await session.scalar(select(func.count()).select_from(Topic).where(*condition)) or 0
    rows = (await session.execute(
        select(Topic, Region.name).join(Region, Region.code == Topic.region_code).where(*condition)
        .order_by(Topic.updated_at.desc(), Topic.id.desc()).offset(paging.offset).limit(paging.page_size))).all()
    ids = [topic.id for topic, _ in rows]
    tasks: dict[int, list[Task]] = {}
    latest: dict[int, ProgressUpdate] = {}
    if ids:
        for task in (await session.scalars(select(Task).where(Task.topic_id.in_(ids)).order_by(Task.id))).all():
            tasks.setdefault(task.topic_id, []).append(task)
        task_ids = [t.id for ts in tasks.values() for t in ts]
        if task_ids:
            for update in (await session.scalars(select(ProgressUpdate).where(ProgressUpdate.task_id.in_(task_ids))
                                                 .order_by(ProgressUpdate.id))).all():
                latest[update.task_id] = update
    registry = procedure_registry(plugins)
    items = []
    for topic, council_region in rows:
        try:
            step = registry.get(topic.procedure_key, topic.procedure_version).step(topic.step)
        except LookupError:
            step = None
        items.append({
            "topic_id": topic.id, "title": topic.title, "region": {"code": topic.region_code, "name": council_region},
            "step": {"key": topic.step, "title_zh": step.title_zh if step else "",
                     "title_en": step.title_en if step else ""},
            "updated_at": topic.updated_at.isoformat(),
            "implementation": [{
                "title": t.title, "responsible": t.responsible_name, "deadline": t.deadline.isoformat(),
                "percent": t.percent, "status": t.status,
                "latest": ({"text": latest[t.id].text, "percent": latest[t.id].percent,
                            "at": latest[t.id].created_at.isoformat()} if t.id in latest else None)}
                for t in tasks.get(topic.id, [])],
        })
    return {"items": items, "total": total, "page": paging.page, "page_size": paging.page_size}
