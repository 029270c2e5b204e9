"""The web pages: served by the app itself, no CDN (government networks are closed).

The pages are static files talking to the JSON API with the session cookie
set at login, so the API stays the one place where rules live.
"""
from __future__ import annotations

from pathlib import Path

from litestar import MediaType, Response, get
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).resolve().parent / "static"


@get("/", opt={"public": True}, include_in_schema=False, media_type=MediaType.HTML)
async def index_page() -> Response:
    return Response((STATIC_DIR / "index.html").read_text(encoding="utf-8"), media_type=MediaType.HTML)


def ui_route_handlers() -> list:
    return [
        index_page,
        create_static_files_router(path="/static", directories=[STATIC_DIR], opt={"public": True},
                                   name="ui-static"),
    ]
