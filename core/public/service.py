"""Submitting a topic without an account, and following it by receipt.

The door opens at a street's or a community's council only, in an active
region whose ancestors are all active; anything else (unknown, inactive, a
city or district, a malformed code) gets the same 404, so the door tells a
stranger nothing about which regions exist. The resident's contact details
go to the topic's handlers and never into any answer given here.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import ratelimit
from core.clientaddr import digest
from core.errors import ApiError, not_found, validation_failed
from core.fields import request_body, unknown_fields
from core.models import Region, Topic, TopicEvent, TopicFeedback
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


async def submit(session: AsyncSession, region_code: str, data: Any, client_ip: str, *,
                 plugins: PluginHost) -> dict[str, Any]:
    """Take a resident's topic at ``region_code`` and hand back its receipt.

    Refused with 404 (region not open to the public), 429 (too many from
    this client or to this region lately) or 400 (the topic's fields); on
    refusal nothing is stored.
    """
    region = await open_door_region(session, region_code)
    data = request_body(data, required=True)
    if unknown := unknown_fields(data, (*FIELDS, "channel")):
        raise validation_failed(*unknown)
    await admit(session, client_ip, region.code)
    payload = {name: data[name] for name in FIELDS if name in data}
    payload["channel"] = CHANNEL
    name = payload.get("proposer_name")
    if name is None or (isinstance(name, str) and not name.strip()):
        payload["proposer_name"] = ANONYMOUS
    topic = await topics.create_topic(session, None, region.code, payload, plugins=plugins)
    # create_topic writes "system" for a submission without a principal; the
    # history should say a resident brought it in through the public door.
    submitted = await session.scalar(select(TopicEvent).where(TopicEvent.topic_id == topic.id,
                                                              TopicEvent.action == topics.SUBMIT))
    submitted.actor_name = PUBLIC_ACTOR
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
    }

