"""App start and stop: what a running process must bring up and wind down."""
from __future__ import annotations

from litestar import Litestar


async def on_startup(app: Litestar) -> None:
    return None


async def on_shutdown(app: Litestar) -> None:
    await app.state.runtime.close()
