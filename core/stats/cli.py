"""``yishi stats rebuild``: the per-region topic totals recounted from the tables."""
from __future__ import annotations

import time

import click

from core.cli_support import ensure_schema, run_async


@click.group()
def stats() -> None:
    """统计 Stats: the per-region totals the figures are read from."""


@stats.command("rebuild")
def rebuild_command() -> None:
    """Recount every region's topic totals from the topics and their history.

    The totals follow every change made through the platform; run this after
    writing topics around it (a bulk import, rows copied by SQL).
    """
    from core.config import Config

    config = Config.from_env()
    ensure_schema(config.database_url)
    started = time.monotonic()
    written = run_async(_rebuild(config))
    for figure, rows in written.items():
        click.echo(f"{figure:8s} {rows:>9} 行 rows")
    click.echo(f"已重算 recounted in {time.monotonic() - started:.1f}s")


async def _rebuild(config) -> dict[str, int]:
    from core.db import transaction
    from core.runtime import Runtime
    from core.stats.recount import rebuild

    runtime = Runtime.build(config)
    try:
        async with transaction(runtime.sessions) as session:
            return await rebuild(session)
    finally:
        await runtime.close()
