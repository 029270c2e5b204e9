"""The web pages: server-rendered (Jinja2), served by the app itself, no CDN.

Every page handler calls the same services as the JSON API, in the request's transaction and
behind the same guard; forms post to page routes (post/redirect/get). Interface text comes from
the gettext catalogues in ``locale/`` (zh-CN by default, English by the switch). The pages'
JavaScript (htmx) comes from the npm registry through ``package-lock.json`` into
``node_modules/`` (git-ignored; ``./dev`` installs it) and is served under ``/static/vendor``.
"""
from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.static_files import create_static_files_router

from admin_ui.forms import DuplicateSubmission, duplicate_submission
from admin_ui.web import PAGE_EXCEPTION_HANDLERS, template_config

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
# The files of the npm packages the pages load, by the path they are served at.
VENDOR_DIRS = [HERE / "node_modules" / "htmx.org" / "dist"]


def ui_route_handlers() -> list:
    from admin_ui.pages import (auth, council, dashboard, home, implementation, meetings, notifications, oversight,
                                public, topics)
    from admin_ui.pages import admin

    handlers = [*auth.PAGES, *home.PAGES, *public.PAGES, *topics.PAGES, *meetings.PAGES, *implementation.PAGES,
                *council.PAGES, *notifications.PAGES, *oversight.PAGES,
                *dashboard.PAGES, *admin.PAGES]
    pages = Router(path="/", route_handlers=handlers,
                   exception_handlers={**PAGE_EXCEPTION_HANDLERS, DuplicateSubmission: duplicate_submission})
    return [
        pages,
        create_static_files_router(path="/static/vendor", directories=VENDOR_DIRS, opt={"public": True},
                                   name="ui-vendor", include_in_schema=False),
        create_static_files_router(path="/static", directories=[STATIC_DIR], opt={"public": True},
                                   name="ui-static", include_in_schema=False),
    ]


__all__ = ["template_config", "ui_route_handlers"]
