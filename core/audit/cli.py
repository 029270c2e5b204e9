"""``yishi audit …``: checking and checkpointing the audit chain from the command line."""
from __future__ import annotations

import asyncio
from pathlib import Path

import click

from core.config import Config


def _config(database_url: str | None, data_dir: Path | None) -> Config:
    overrides = {}
    if database_url:
        overrides["database_url"] = database_url
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    return Config.from_env(**overrides)


async def _in_session(config: Config, work):
    from core.runtime import Runtime

    runtime = Runtime.build(config)
    try:
        # Read-only work: on SQLite this keeps the write lock free for the server.
        async with runtime.read_sessions() as session:
            return await work(session)
    finally:
        await runtime.close()


_database_option = click.option("--database-url", default=None,
                                help="Database to check (default: YISHI_DATABASE_URL).")
_data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                                help="Directory holding audit.key and audit.checkpoints (default: YISHI_DATA_DIR).")


@click.group()
def audit() -> None:
    """The audit trail (append-only, MAC-chained, checkpointed)."""


@audit.command("verify")
@_database_option
@_data_dir_option
@click.option("--checkpoint", "checkpoints", multiple=True, metavar="LINE",
              help="A printed checkpoint line to hold the chain against as well (repeatable).")
def verify_command(database_url: str | None, data_dir: Path | None, checkpoints: tuple[str, ...]) -> None:
    """Check every entry's MAC and link and the checkpoints; exit 1 naming the first bad entry."""
    from core.audit.key import AuditKeyError, load_audit_key
    from core.audit.service import verify

    config = _config(database_url, data_dir)
    try:
        # Never generate a key here: a new key would make every entry look forged.
        load_audit_key(config, create=False)
    except AuditKeyError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from None
    report = asyncio.run(_in_session(config, lambda session: verify(session, extra_checkpoints=checkpoints)))
    if report.ok:
        click.echo(report.describe())
        return
    click.echo(report.describe(), err=True)
    raise SystemExit(1)


@audit.command("checkpoint")
@_database_option
@_data_dir_option
def checkpoint_command(database_url: str | None, data_dir: Path | None) -> None:
    """Write the chain's head to the checkpoint file and print it; keep the printout off this host."""
    from core.audit.service import CheckpointRefused, take_checkpoint

    config = _config(database_url, data_dir)
    try:
        checkpoint, line = asyncio.run(_in_session(config, take_checkpoint))
    except CheckpointRefused as exc:
        click.echo(f"no checkpoint written: {exc.report.describe()}", err=True)
        raise SystemExit(1) from None
    click.echo(line)
    click.echo(f"checkpoint of entry {checkpoint.entry_id} in {config.data_dir / 'audit.checkpoints'}", err=True)
