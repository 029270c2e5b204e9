"""``yishi regions``: importing the official division tree."""
from __future__ import annotations

import sys
import time

import click

from core.cli_support import EXIT_BAD_INPUT, echo_api_error, ensure_schema, run_async
from core.errors import ApiError

def _stderr(message: str) -> None:
    click.echo(message, err=True)


@click.group()
def regions() -> None:
    """区划 Regions: the administrative tree that tenants are made of."""


@regions.command("import")
@click.option("--city", "cities", multiple=True, metavar="CODE",
              help="4-digit city code to import (repeatable). 导入的城市代码。")
@click.option("--all", "all_cities", is_flag=True, help="Import every city in the data. 导入全部城市。")
@click.option("--from", "source", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Directory with cities/areas/streets/villages .csv or .csv.gz. 数据目录。")
def import_command(cities: tuple[str, ...], all_cities: bool, source: str) -> None:
    """Create or update regions from division CSV files (idempotent)."""
    if bool(cities) == all_cities:
        echo_api_error(ApiError(400, "usage", "须指定 --city CODE 或 --all 之一",
                                "give either --city CODE or --all"))
        sys.exit(EXIT_BAD_INPUT)
    from core.config import Config

    config = Config.from_env()
    ensure_schema(config.database_url)
    started = time.monotonic()
    try:
        report = run_async(_import(config, source, None if all_cities else list(cities)))
    except ApiError as err:
        echo_api_error(err)
        sys.exit(EXIT_BAD_INPUT)
    elapsed = time.monotonic() - started
    for line in report.summary_lines():
        click.echo(line)
    if report.deactivated_codes:
        shown = report.deactivated_codes[:50]
        click.echo(f"已停用（数据中已不存在）deactivated, gone from the data: {len(report.deactivated_codes)}")
        for code in shown:
            click.echo(f"  {code}")
        if len(report.deactivated_codes) > len(shown):
            click.echo(f"  … +{len(report.deactivated_codes) - len(shown)}")
    verdict = "已更新 updated" if report.changed else "无变化 no changes"
    click.echo(f"{verdict}: {len(report.cities)} 个城市 cities in {elapsed:.1f}s")


async def _import(config, source: str, cities: list[str] | None):
    from core.db import transaction
    from core.regions.importer import apply_divisions, read_divisions
    from core.runtime import Runtime

    divisions = read_divisions(source, cities, echo=_stderr)
    runtime = Runtime.build(config)
    try:
        with click.progressbar(length=divisions.count(), label="导入 importing", file=sys.stderr,
                               show_pos=True) as bar:
            async with transaction(runtime.sessions) as session:
                report = await apply_divisions(session, divisions, progress=bar.update)
        return report
    finally:
        await runtime.close()
