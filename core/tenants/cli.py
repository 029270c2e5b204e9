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
    """Print the plugins and settings in force at a region, each with the region it comes from.
    显示区划生效的插件与设置，以及每一项来自哪一级区划。"""
    from core.config import Config

    config = Config.from_env()
    ensure_schema(config.database_url)
    try:
        lines = run_async(_show(config, region_code))
    except ApiError as err:
        echo_api_error(err)
        sys.exit(EXIT_BAD_INPUT)
    for line in lines:
        click.echo(line)


def _where(code: str | None, names: dict[str, str], here: str, default: tuple[str, str]) -> str:
    if code is None:
        return f"{default[0]} {default[1]}"
    place = f"{code} {names.get(code, '')}".rstrip()
    return f"{place}（本级 here）" if code == here else place


async def _show(config, region_code: str) -> list[str]:
    from sqlalchemy import select

    from core.models import Region
    from core.models.region import ancestor_codes
    from core.runtime import Runtime
    from core.tenants.provenance import plugins_in_force, settings_in_force

    runtime = Runtime.build(config)
    try:
        async with runtime.read_sessions() as session:
            result = await session.execute(select(Region.code, Region.name)
                                           .where(Region.code.in_(ancestor_codes(region_code))))
            names = dict(result.all())
            if region_code not in names:
                raise ApiError(404, "not_found", f"区划“{region_code}”不存在", f"region {region_code!r} does not exist")
            plugins = await plugins_in_force(session, runtime.plugins, region_code)
            settings = await settings_in_force(session, runtime.plugins, region_code)
    finally:
        await runtime.close()
    lines = [f"区划 region: {region_code} {names[region_code]}",
             f"插件 plugins: {', '.join(sorted(p.name for p in plugins if p.enabled))}"]
    for plugin in plugins:
        if plugin.manifest.builtin:
            continue
        state = "启用 on" if plugin.enabled else "未启用 off"
        lines.append(f"  {plugin.name}: {state} ← {_where(plugin.source, names, region_code, ('未设置', 'not set'))}")
    lines.append("设置 settings (值 value ← 来源 from):")
    for key, found in settings.items():
        origin = _where(found.source, names, region_code, ("插件默认", "plugin default"))
        lines.append(f"{key} = {found.value!r} ← {origin}")
    return lines
