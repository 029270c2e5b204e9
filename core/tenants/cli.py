"""``yishi tenants``: provisioning cities from their declarative TOML files."""
from __future__ import annotations

import sys

import click

from core.errors import ApiError
from core.cli_support import EXIT_BAD_INPUT, echo_api_error, ensure_schema, run_async


@click.group()
def tenants() -> None:
    """租户 Tenants: cities provisioned from tenants/*.toml."""


@tenants.command("load")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=str))
@click.option("--all-demo", is_flag=True, help="Load every tenants/*.toml shipped with Yishi. 加载全部演示租户。")
def load_command(files: tuple[str, ...], all_demo: bool) -> None:
    """Validate the tenant file(s) completely, then load them in one transaction."""
    from core.config import Config
    from core.tenants.loader import demo_tenant_files

    paths = list(files)
    if all_demo:
        paths += [str(p) for p in demo_tenant_files()]
    if not paths:
        echo_api_error(ApiError(400, "usage", "须指定租户文件或 --all-demo", "give tenant file(s) or --all-demo"))
        sys.exit(EXIT_BAD_INPUT)
    config = Config.from_env()
    ensure_schema(config.database_url)
    try:
        reports = run_async(_load(config, paths))
    except ApiError as err:
        echo_api_error(err)
        sys.exit(EXIT_BAD_INPUT)
    for report in reports:
        for line in report.summary_lines():
            click.echo(line)
    changed = any(r.changed for r in reports)
    click.echo(f"{'已更新 updated' if changed else '无变化 no changes'}: {len(reports)} 个租户 tenant(s)")


async def _load(config, paths: list[str]):
    from core.runtime import Runtime
    from core.tenants.loader import load_tenants

    runtime = Runtime.build(config)
    try:
        return await load_tenants(runtime, paths)
    finally:
        await runtime.close()


@tenants.command("show")
@click.argument("region_code")
def show_command(region_code: str) -> None:
    """Print the plugins and settings in force at a region. 显示区划生效的插件与设置。"""
    from core.config import Config

    config = Config.from_env()
    ensure_schema(config.database_url)
    plugins, settings = run_async(_show(config, region_code))
    click.echo(f"插件 plugins: {', '.join(sorted(plugins))}")
    for key, value in settings.items():
        click.echo(f"{key} = {value!r}")


async def _show(config, region_code: str):
    from core.region_context import region_context
    from core.runtime import Runtime

    runtime = Runtime.build(config)
    try:
        async with runtime.read_sessions() as session:
            context = await region_context(session, runtime.plugins, region_code)
            return set(context.enabled), dict(context.settings)
    finally:
        await runtime.close()
