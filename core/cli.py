"""The ``yishi`` command line. Thin: each command opens a runtime and calls a service."""
from __future__ import annotations

import logging
import sys

import click

from core.cli_support import uvicorn_options
from core.config import Config


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="More log output.")
def main(verbose: bool) -> None:
    """议事 Yishi: grassroots consultation councils platform."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Migration chatter hides what the command itself says.
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (the only way the schema is made)."""
    from core.migrate import upgrade

    config = Config.from_env()
    upgrade(config.database_url, revision)
    click.echo(f"database at {revision}: {config.database_url.split('@')[-1]}")


@main.command()
@click.option("--host", default=None, help="Bind address (default 127.0.0.1 or YISHI_HOST).")
@click.option("--port", default=None, type=int, help="Port (default 8000 or YISHI_PORT).")
@click.option("--workers", default=1, type=click.IntRange(1, 64), show_default=True,
              help="App processes. More than one needs YISHI_BROKER_URL (Redis).")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Run the web app (and, with no broker configured, the job worker and scheduler)."""
    import uvicorn

    from core.migrate import upgrade
    from core.serving import APP_FACTORY

    config = Config.from_env()
    if workers > 1 and config.embedded_broker:
        # The embedded broker's worker and scheduler live inside the app process: N processes
        # would each run a scheduler (every periodic job N times) and keep their queues apart.
        raise click.UsageError("--workers > 1 needs a shared broker: set YISHI_BROKER_URL=redis://… and run "
                               "`yishi worker` and one `yishi scheduler` beside the app processes "
                               "（多进程运行需要配置 YISHI_BROKER_URL 指向 Redis）")
    options = uvicorn_options(config, host, port)
    upgrade(config.database_url)
    uvicorn.run(APP_FACTORY, factory=True, workers=workers, **options)


def _register_subcommands() -> None:
    from core.audit.cli import audit
    from core.auth.cli import users
    from core.jobs.cli import jobs, scheduler, worker
    from core.regions.cli import regions
    from core.stats.cli import stats
    from core.tenants.cli import tenants
    from core.demo import demo

    for command in (users, regions, tenants, worker, scheduler, jobs, demo, audit, stats):
        main.add_command(command)

    from core.builtin import make_plugin_manager

    main.add_command(plugin_command_group(make_plugin_manager()))


def plugin_command_group(host) -> click.Group:
    """``yishi plugin <name> …``: one subgroup per plugin that contributes commands.

    Built from a given plugin host so a test can build it with a throwaway plugin.
    Plugin commands live under this group only, so none can shadow a core command.
    """
    group = click.Group(name="plugin", help="Commands contributed by plugins.")
    for name, manifest in host.manifests().items():
        impl = getattr(host.plugin_named(name), "yishi_cli_commands", None)
        commands = impl() if impl else []
        if commands:
            subgroup = click.Group(name=name, help=manifest.title_zh)
            for command in commands:
                subgroup.add_command(command)
            group.add_command(subgroup)
    return group


_register_subcommands()

if __name__ == "__main__":
    sys.exit(main())
