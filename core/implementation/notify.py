"""Notifications: messages left for people, and a person's own list of them, read
in the app (delivery by SMS or WeChat would read the same rows later)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.principal import Principal
from core.authz.roles import Role
from core.errors import ApiError
from core.models import RoleGrant
from core.models.implementation import Notification
from core.regions.queries import Paging

# Who runs a council's business and is told what needs its attention.
COUNCIL_OFFICERS = (Role.council_chair.value, Role.council_secretary.value)


async def council_officer_ids(session: AsyncSession, region_code: str) -> list[int]:
    """Users holding a council officer role at exactly ``region_code``."""
    rows = await session.scalars(
        select(RoleGrant.user_id).where(RoleGrant.region_code == region_code,
                                        RoleGrant.role.in_(COUNCIL_OFFICERS))
        .order_by(RoleGrant.user_id).distinct())
    return list(rows.all())


async def notify(session: AsyncSession, *, region_code: str, kind: str, text_zh: str, text_en: str,
                 user_ids: Iterable[int | None] = (), council: bool = False, topic_id: int | None = None,
                 task_id: int | None = None, data: dict[str, Any] | None = None) -> list[Notification]:
    """Leave one notification per user; with ``council``, also one for each
    officer of the council at ``region_code`` (or one addressed to the
    council itself when none of them has an account)."""
    recipients = [uid for uid in user_ids if uid is not None]
    if council:
        officers = await council_officer_ids(session, region_code)
        recipients += officers
        if not officers:
            recipients.append(None)
    now = clock.now()
    rows = [Notification(user_id=uid, region_code=region_code, kind=kind, topic_id=topic_id, task_id=task_id,
                         text_zh=text_zh, text_en=text_en, data=dict(data or {}), created_at=now)
            for uid in dict.fromkeys(recipients)]
    session.add_all(rows)
    await session.flush()
    return rows


async def my_notifications(session: AsyncSession, principal: Principal, paging: Paging, *,
                           unread: bool = False) -> dict[str, Any]:
    conditions = [Notification.user_id == principal.user_id]
    if unread:
        conditions.append(Notification.read_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(Notification).where(*conditions))
    rows = (await session.scalars(select(Notification).where(*conditions).order_by(Notification.id.desc())
                                  .offset(paging.offset).limit(paging.page_size))).all()
    return {"items": [notification_view(n) for n in rows], "total": total or 0, "page": paging.page,
            "page_size": paging.page_size}


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    """What the pages' bell shows."""
    return int(await session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None))) or 0)


async def mark_read(session: AsyncSession, principal: Principal, notification_id: int) -> dict[str, Any]:
    row = await session.get(Notification, notification_id)
    if row is None or row.user_id != principal.user_id:
        raise ApiError(404, "not_found", "通知不存在", "notification not found")
    if row.read_at is None:
        row.read_at = clock.now()
        await session.flush()
    return notification_view(row)


def notification_view(row: Notification) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "topic_id": row.topic_id, "task_id": row.task_id,
            "region_code": row.region_code, "text_zh": row.text_zh, "text_en": row.text_en, "data": row.data or {},
            "created_at": row.created_at.isoformat(), "read_at": row.read_at.isoformat() if row.read_at else None}
