"""``yishi audit …``: checking the audit chain from the command line."""
from __future__ import annotations

import asyncio

import click

from core.config import Config


async def _verify(database_url: str | None):
    from core.audit.service import verify
    from core.runtime import Runtime

    config = Config.from_env(**({"database_url": database_url} if database_url else {}))
    runtime = Runtime.build(config)
    try:
        async with runtime.sessions() as session:
            return await verify(session)
    finally:
        await runtime.close()


@click.group()
def audit() -> None:
    """The audit trail (append-only, hash-chained)."""


@audit.command("verify")
@click.option("--database-url", default=None, help="Database to check (default: YISHI_DATABASE_URL).")
def verify_command(database_url: str | None) -> None:
    """Check every entry's hash and link; exit 1 naming the first broken entry."""
    report = asyncio.run(_verify(database_url))
    if report.ok:
        click.echo(report.describe())
        return
    click.echo(report.describe(), err=True)
    raise SystemExit(1)
