"""``yishi tenants show``: every setting and plugin in force at a region, each with the region it
comes from (the narrowest that sets it, or the plugin's default), and the provenance behind it."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from core.models import RegionPlugin, RegionSetting
from core.tenants.cli import tenants
from core.tenants.provenance import plugins_in_force, settings_in_force
from tests.helpers import SMALL_TREE, add_regions

COMMUNITY = "330203001001"  # 青石社区 in 月湖街道, 海曙区, 宁波市


@pytest.fixture
async def arranged(runtime, db):
    await add_regions(db, *SMALL_TREE)
    db.add_all([
        RegionPlugin(region_code="3302", plugin="ningbo", enabled=True),
        RegionSetting(region_code="3302", key="core.notice_days", value=7),
        RegionSetting(region_code="3302", key="core.quorum_ratio", value=0.6),
        RegionSetting(region_code="330203", key="core.notice_days", value=5),
        RegionSetting(region_code=COMMUNITY, key="core.display_name", value="青石社区议事平台"),
        # A value that no longer fits the manifest (more than 60 days) is passed over, here as in force.
        RegionSetting(region_code="330203001", key="core.notice_days", value=99),
    ])
    await db.commit()
    return runtime


@pytest.fixture
def show(arranged):
    env = {"YISHI_DATABASE_URL": arranged.config.database_url, "YISHI_DATA_DIR": str(arranged.config.data_dir)}
    runner = CliRunner()
    return lambda *args: runner.invoke(tenants, ["show", *args], env=env)


async def test_provenance_names_the_region_each_value_comes_from(arranged, db):
    found = await settings_in_force(db, arranged.plugins, COMMUNITY)
    assert (found["core.notice_days"].value, found["core.notice_days"].source) == (5, "330203")
    assert (found["core.quorum_ratio"].value, found["core.quorum_ratio"].source) == (0.6, "3302")
    assert (found["core.display_name"].value, found["core.display_name"].source) == ("青石社区议事平台", COMMUNITY)
    assert (found["notices.objections_per_hour"].value, found["notices.objections_per_hour"].source) == (5, None)
    plugins = {p.name: p for p in await plugins_in_force(db, arranged.plugins, COMMUNITY)}
    assert (plugins["ningbo"].enabled, plugins["ningbo"].source) == (True, "3302")
    assert (plugins["tianshui"].enabled, plugins["tianshui"].source) == (False, None)
    assert plugins["core"].enabled and plugins["core"].source is None


def test_show_prints_each_value_with_where_it_comes_from(show):
    result = show(COMMUNITY)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"区划 region: {COMMUNITY} 青石社区"
    assert "ningbo" in lines[1] and "tianshui" not in lines[1]
    assert "  ningbo: 启用 on ← 3302 宁波市" in lines
    assert "  tianshui: 未启用 off ← 未设置 not set" in lines
    # The district's 5 wins over the city's 7; the street's 99 is out of range and passed over.
    assert "core.notice_days = 5 ← 330203 海曙区" in lines
    assert "core.quorum_ratio = 0.6 ← 3302 宁波市" in lines
    assert f"core.display_name = '青石社区议事平台' ← {COMMUNITY} 青石社区（本级 here）" in lines
    assert "notices.objections_per_hour = 5 ← 插件默认 plugin default" in lines
    settings = [line for line in lines if " = " in line]
    assert settings and all(" ← " in line for line in settings), "every value says where it comes from"


def test_show_at_the_city_says_set_here_and_an_unknown_region_exits_2(show):
    result = show("3302")
    assert result.exit_code == 0, result.output
    assert "core.notice_days = 7 ← 3302 宁波市（本级 here）" in result.output.splitlines()
    missing = show("330299")
    assert missing.exit_code == 2
    assert "330299" in missing.output and "does not exist" in missing.output
