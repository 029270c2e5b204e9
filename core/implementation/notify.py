"""Notifications: messages left for people, read in the app (delivery by
SMS or WeChat would read the same rows later)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.roles import Role
from core.models import RoleGrant
from core.models.implementation import Notification

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
