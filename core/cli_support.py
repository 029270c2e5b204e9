"""What the ``yishi`` commands share: running a coroutine, reporting bad
input, preparing the schema and the web server's options.

A platform module, so every command group (``core/cli.py`` and the
features' own ``cli.py``) imports from here and none from another.
"""
from __future__ import annotations

import asyncio

import click

from core.config import Config
from core.errors import ApiError


def run_async(coro):
    return asyncio.run(coro)


# Bad input exits 2 (click's own usage-error code): scripts can tell "your
# data is wrong" from a crash (1).
EXIT_BAD_INPUT = 2


def echo_api_error(err: ApiError) -> None:
    """Print a bilingual error to stderr, one line per offending field."""
    click.echo(f"错误 error: {err.message_zh} / {err.message_en}", err=True)
    for item in err.fields:
        click.echo(f"  - {item.message_zh}", err=True)
        click.echo(f"    {item.message_en}", err=True)


def ensure_schema(database_url: str) -> None:
    """Bring the schema to head first, so an import works on a fresh database."""
    import logging

    # alembic logs every plugin setup at INFO, some of it on import; the
    # command's own output is what matters here.
    alembic_log = logging.getLogger("alembic")
    previous = alembic_log.level
    if not alembic_log.isEnabledFor(logging.DEBUG):
        alembic_log.setLevel(logging.WARNING)
    try:
        from core.migrate import upgrade

        upgrade(database_url)
    finally:
        alembic_log.setLevel(previous)


def uvicorn_options(config: Config, host: str | None = None, port: int | None = None) -> dict:
    """How ``serve`` runs uvicorn. Proxy headers are believed only from
    ``YISHI_TRUSTED_PROXIES``: uvicorn's own default trusts 127.0.0.1, which
    would let anything local that passes X-Forwarded-For on choose the
    client address every rate limit counts by."""
    from core.clientaddr import parse_trusted

    try:
        parse_trusted(config.trusted_proxies)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    from core.serving import NoDelayH11Protocol

    trusted = list(config.trusted_proxies)
    return {"host": host or config.host, "port": port or config.port, "log_level": "info",
            "proxy_headers": bool(trusted), "forwarded_allow_ips": trusted, "http": NoDelayH11Protocol}
