"""The web pages: served by the app itself, no CDN (government networks are closed)."""


def ui_route_handlers() -> list:
    return []
