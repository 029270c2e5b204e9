"""``yishi demo``: the platform with the four demo cities, on the embedded default."""
from __future__ import annotations

import asyncio

import click

from core.config import Config


async def _provision(config: Config):
    from core.runtime import Runtime
    from core.tenants.loader import demo_tenant_files, load_tenants

    runtime = Runtime.build(config)
    try:
        return await load_tenants(runtime, demo_tenant_files())
    finally:
        await runtime.close()


def _demo_logins() -> list[tuple[str, str, str, str]]:
    from core.builtin import make_plugin_manager
    from core.tenants.loader import demo_tenant_files, read_tenants

    logins = []
    for spec in read_tenants(demo_tenant_files(), make_plugin_manager()):
        for user in spec.users:
            logins.append((spec.city_name, user.username, user.password, user.role))
    return logins


@click.command()
@click.option("--host", default=None, help="Bind address (default 127.0.0.1 or YISHI_HOST).")
@click.option("--port", default=None, type=int, help="Port (default 8000 or YISHI_PORT).")
@click.option("--no-serve", is_flag=True, help="Provision the demo cities and stop.")
def demo(host: str | None, port: int | None, no_serve: bool) -> None:
    """Migrate, load the four demo cities (天水, 宁波, 连云港, 金昌), print logins, serve."""
    from core.migrate import upgrade

    config = Config.from_env()
    upgrade(config.database_url)
    click.echo("==> loading demo cities 正在加载演示城市 …")
    reports = asyncio.run(_provision(config))
    click.echo(f"    {len(reports)} cities ready")
    host = host or config.host
    port = port or config.port
    click.echo("")
    click.echo(f"议事 Yishi demo: http://{host}:{port}/")
    click.echo("演示账号 demo logins (city / username / password / role):")
    for city, username, password, role in _demo_logins():
        click.echo(f"  {city:<6} {username:<22} {password:<18} {role}")
    click.echo("")
    if no_serve:
        return
    import uvicorn

    from core.app import create_app
    from core.cli_support import uvicorn_options

    uvicorn.run(create_app(), **uvicorn_options(config, host, port))
