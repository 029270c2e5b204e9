"""The user's notifications, newest first; opening one marks it read and goes to what it is about."""
from __future__ import annotations

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.web import render, see_other, with_query
from core.auth.guard import AUTHENTICATED
from core.authz.principal import Principal
from core.implementation import notify
from core.regions.queries import Paging

PAGE_SIZE = 20


def target_of(notification: dict) -> str:
    """Where a notification leads: its task's topic's implementation, its topic, else the list."""
    if notification["topic_id"] is None:
        return "/notifications"
    if notification["task_id"] is not None:
        return f"/topics/{notification['topic_id']}/implementation"
    return f"/topics/{notification['topic_id']}"


@get("/notifications", opt={"action": AUTHENTICATED}, include_in_schema=False)
async def notifications_page(request: Request, db: NamedDependency[AsyncSession],
                             principal: NamedDependency[Principal], page: FromQuery[int] = 1) -> Template:
    listing = await notify.my_notifications(db, principal, Paging.checked(page, PAGE_SIZE))
    return await render(request, db, "notifications.html", listing=listing,
                        page_url=lambda n: with_query("/notifications", page=n if n > 1 else None))


@post("/notifications/{notification_id:int}/open", opt={"action": AUTHENTICATED}, include_in_schema=False)
async def open_notification(notification_id: FromPath[int], db: NamedDependency[AsyncSession],
                            principal: NamedDependency[Principal]) -> Redirect:
    return see_other(target_of(await notify.mark_read(db, principal, notification_id)))


PAGES = [notifications_page, open_notification]
