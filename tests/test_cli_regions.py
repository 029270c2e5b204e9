"""``yishi regions import`` end to end through click: exit codes and output."""
from __future__ import annotations

import asyncio

from click.testing import CliRunner
from sqlalchemy import func, select

from core.cli import main
from core.db import make_engine
from core.models import Region
from tests.test_regions_import import NINGBO_DATA, SMALL, changed, write_tree


def region_count(database_url: str) -> int:
    async def count() -> int:
        engine = make_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.scalar(select(func.count()).select_from(Region))
        finally:
            await engine.dispose()

    return asyncio.run(count())


def run(database_url: str, *args: str):
    return CliRunner().invoke(main, ["regions", "import", *args], env={"YISHI_DATABASE_URL": database_url})


def test_import_city_then_again_without_changes(database_url):
    first = run(database_url, "--city", "3302", "--from", str(NINGBO_DATA))
    assert first.exit_code == 0, first.output
    assert "community      3042" in first.stdout
    assert region_count(database_url) == 1 + 10 + 162 + 3042

    second = run(database_url, "--city", "3302", "--from", str(NINGBO_DATA))
    assert second.exit_code == 0, second.output
    assert "no changes" in second.stdout and "无变化" in second.stdout


def test_bad_line_exits_2_with_bilingual_message_and_no_traceback(database_url, tmp_path):
    source = write_tree(tmp_path / "bad", changed(SMALL, "streets", 0, '330203001,"南门街道",330203'))
    result = run(database_url, "--city", "3302", "--from", str(source))
    assert result.exit_code == 2
    assert "streets.csv:2" in result.stderr
    assert "未写入任何内容" in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.output
    assert region_count(database_url) == 0


def test_unknown_city_and_missing_choice_exit_2(database_url, tmp_path):
    source = write_tree(tmp_path / "d", SMALL)
    unknown = run(database_url, "--city", "9999", "--from", str(source))
    assert unknown.exit_code == 2
    assert "9999" in unknown.stderr and "不在 cities 文件中" in unknown.stderr
    neither = run(database_url, "--from", str(source))
    assert neither.exit_code == 2 and "--all" in neither.stderr
    missing_dir = run(database_url, "--all", "--from", str(tmp_path / "nowhere"))
    assert missing_dir.exit_code == 2 and "directory not found" in missing_dir.stderr
    assert region_count(database_url) == 0


def test_all_imports_every_city(database_url, tmp_path):
    result = run(database_url, "--all", "--from", str(write_tree(tmp_path / "d", SMALL)))
    assert result.exit_code == 0, result.output
    assert "2 个城市 cities" in result.stdout
    assert region_count(database_url) == 12
