"""Tenant files: the four shipped demo cities, setting and plugin resolution,
and every kind of bad file refused with nothing written."""
from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.auth.passwords import verify_password
from core.errors import ApiError
from core.models import Region, RegionPlugin, RegionSetting, RoleGrant, User
from core.plugins import PluginManifest, SettingSpec, hookimpl
from core.builtin import make_plugin_manager
from core.tenants.loader import TENANTS_DIR, demo_tenant_files, load_tenants
from core.tenants.settings import enabled_plugins, resolve_setting, resolve_settings

NINGBO_DATA = TENANTS_DIR / "data" / "3302"

DEMO = {
    "tianshui.toml": ("6205", {"city": 1, "district": 7, "street": 130, "community": 2624}),
    "ningbo.toml": ("3302", {"city": 1, "district": 10, "street": 162, "community": 3042}),
    "lianyungang.toml": ("3207", {"city": 1, "district": 7, "street": 109, "community": 1782}),
    "jinchang.toml": ("6203", {"city": 1, "district": 2, "street": 18, "community": 182}),
}


class RegionalTestPlugin:
    """A real (non-built-in) plugin, so enabling and disabling can be exercised
    before the regional plugins exist."""

    @hookimpl
    def yishi_manifest(self):
        return PluginManifest(
            name="regional_test", title_zh="测试插件", title_en="test plugin",
            settings={"mode": SettingSpec(str, "plain", "模式", "mode", choices=("plain", "strict")),
                      "items": SettingSpec(list, [], "目录条目", "catalogue items", refers_to="catalogue_item")})


@pytest.fixture
def plugin_host():
    return make_plugin_manager(extra_plugins=[RegionalTestPlugin()])


async def table_counts(session) -> dict[str, int]:
    return {model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (Region, RegionPlugin, RegionSetting, User, RoleGrant)}


def tenant_file(tmp_path: Path, body: str, name: str = "ningbo.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


CITY = f"""
    [city]
    code = "3302"
    name = "宁波市"
    data = "{NINGBO_DATA}"
"""


def test_demo_files_are_the_four_cities():
    assert sorted(p.name for p in demo_tenant_files()) == sorted(DEMO)


@pytest.mark.parametrize("file_name", list(DEMO))
async def test_each_demo_file_loads(runtime, db, file_name):
    city, sizes = DEMO[file_name]
    [report] = await load_tenants(runtime, [TENANTS_DIR / file_name])
    assert report.city_code == city
    assert {level.value: c.created for level, c in report.regions.levels.items()} == sizes
    rows = (await db.execute(select(Region.level, func.count()).where(Region.city_code == city)
                             .group_by(Region.level))).all()
    assert dict(rows) == sizes

    prefix = file_name.removesuffix(".toml")
    admin = await db.scalar(select(User).where(User.username == f"{prefix}_admin"))
    assert verify_password(admin.password_hash, "yishi-demo-2026")
    grants = (await db.execute(select(User.username, RoleGrant.role, RoleGrant.region_code)
                               .join(RoleGrant).where(User.username.like(f"{prefix}_%")))).all()
    roles = {role: region for _user, role, region in grants}
    assert set(roles) == {"city_admin", "district_admin", "street_staff", "council_chair", "council_secretary"}
    assert roles["city_admin"] == city
    assert [len(roles[r]) for r in ("district_admin", "street_staff", "council_chair")] == [6, 9, 12]
    assert roles["council_secretary"] == roles["council_chair"]
    assert await resolve_setting(db, runtime.plugins, city, "core.notice_days") == 7


async def test_loading_twice_changes_nothing(runtime, db):
    files = demo_tenant_files()
    await load_tenants(runtime, files)
    before = await table_counts(db)
    again = await load_tenants(runtime, files)
    assert not any(report.changed for report in again)
    # Every demo account of each file exists already; none is granted anything anew.
    users_in = [len(tomllib.loads(path.read_text(encoding="utf-8")).get("users", [])) for path in files]
    assert [len(r.users_existing) for r in again] == users_in and all(r.grants_added == 0 for r in again)
    assert await table_counts(db) == before


async def test_settings_and_plugins_resolve_narrowest_first(runtime, db, tmp_path):
    path = tenant_file(tmp_path, CITY + """
        plugins = ["regional_test"]

        [settings]
        "core.notice_days" = 7
        "regional_test.mode" = "strict"

        [[override]]
        region = "330203"           # 海曙区: notice shortened, plugin off
        disabled = ["regional_test"]
        settings = { "core.notice_days" = 5 }

        [[override]]
        region = "330203001"        # 南门街道 inside it: plugin back on
        plugins = ["regional_test"]
        settings = { "regional_test.mode" = "plain" }

        [[override]]
        region = "330203001001"     # 澄浪社区: its own notice period
        settings.core = { notice_days = 3 }
    """)
    await load_tenants(runtime, [path])
    host = runtime.plugins

    async def notice(code):
        return await resolve_setting(db, host, code, "core.notice_days")

    assert await notice("3302") == 7
    assert await notice("330205001001") == 7        # another district: the city's value
    assert await notice("330203") == 5
    assert await notice("330203002001") == 5        # the district's value reaches its communities
    assert await notice("330203001") == 5
    assert await notice("330203001001") == 3        # the community's own value wins
    assert await resolve_setting(db, host, "330203001001", "core.quorum_ratio") == 0.5  # manifest default

    builtins = {name for name, manifest in host.manifests().items() if manifest.builtin}
    assert "core" in builtins
    assert await enabled_plugins(db, host, "3302") == builtins | {"regional_test"}
    assert await enabled_plugins(db, host, "330205001001") == builtins | {"regional_test"}
    assert await enabled_plugins(db, host, "330203002001") == builtins
    assert await enabled_plugins(db, host, "330203001001") == builtins | {"regional_test"}

    everything = await resolve_settings(db, host, "330203001001")
    assert everything["core.notice_days"] == 3
    assert everything["regional_test.mode"] == "plain"
    assert everything["core.locale"] == "zh-CN"
    # Every setting any installed plugin declares, each resolved.
    declared = {f"{name}.{key}" for name, manifest in host.manifests().items() for key in manifest.settings}
    assert {"core.notice_days", "regional_test.mode"} <= declared
    assert set(everything) == declared
    with pytest.raises(ApiError):
        await resolve_setting(db, host, "3302", "core.no_such_setting")


BAD_FILES = {
    "unknown plugin": ('plugins = ["ningbo_magic"]\n', "city.plugins", "unknown plugin 'ningbo_magic'"),
    "wrong-typed setting": ('[settings]\n"core.notice_days" = "seven"\n', 'settings."core.notice_days"',
                            "must be an integer"),
    "setting out of range": ('[settings]\n"core.quorum_ratio" = 1.5\n', 'settings."core.quorum_ratio"',
                             "at most 1.0"),
    "unknown setting key": ('[settings]\n"core.notice_weeks" = 1\n', 'settings."core.notice_weeks"',
                            "unknown setting 'core.notice_weeks'"),
    "override outside the city": ('[[override]]\nregion = "620502"\nsettings = { "core.notice_days" = 3 }\n',
                                  "override[1].region", "outside city 3302"),
    "override region not in the data": ('[[override]]\nregion = "330299"\n', "override[1].region",
                                        "not in the city's division data"),
    "disabling a built-in": ('[[override]]\nregion = "330203"\ndisabled = ["core"]\n', "override[1].disabled",
                             "cannot be disabled"),
    "unknown role": ('[[users]]\nusername = "x_admin"\npassword = "long-enough"\nrole = "mayor"\nregion = "3302"\n',
                     "users[1].role", "unknown role 'mayor'"),
    "role at the wrong level": ('[[users]]\nusername = "x_admin"\npassword = "long-enough"\n'
                                'role = "street_staff"\nregion = "330203"\n', "users[1].region",
                                "cannot be granted at the district"),
    "typo in a key": ('[[user]]\nusername = "x"\n', "user", "unknown key 'user'"),
    "catalogue item that does not exist": ('[settings]\n"regional_test.items" = ["generic.yi.1", "generic.yi.99"]\n',
                                           'settings."regional_test.items"',
                                           "'generic.yi.99' is not an item of the catalogue in force at 3302"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
async def test_bad_file_is_refused_and_nothing_written(runtime, db, tmp_path, case):
    extra, where, english = BAD_FILES[case]
    # Valid users and settings alongside the fault: none of them may land.
    path = tenant_file(tmp_path, CITY + extra + """
        [[users]]
        username = "ningbo_ok"
        password = "yishi-demo-2026"
        role = "city_admin"
        region = "3302"
    """ if not extra.startswith("[settings]") else CITY + extra)
    with pytest.raises(ApiError) as caught:
        await load_tenants(runtime, [path])
    err = caught.value
    assert "nothing was written" in err.message_en and "未写入任何内容" in err.message_zh
    assert [f.field for f in err.fields] == [f"ningbo.toml {where}"], err.fields
    assert english in err.fields[0].message_en
    assert err.fields[0].message_zh.startswith("ningbo.toml")
    assert set((await table_counts(db)).values()) == {0}


async def test_settings_naming_catalogue_items_load_when_the_items_exist(runtime, db, tmp_path):
    path = tenant_file(tmp_path, CITY + '[settings]\n"regional_test.items" = ["generic.yi.1", "generic.buyi.4"]\n')
    await load_tenants(runtime, [path])
    assert await resolve_setting(db, runtime.plugins, "330203", "regional_test.items") == [
        "generic.yi.1", "generic.buyi.4"]


async def test_bad_reload_keeps_the_previous_load(runtime, db, tmp_path):
    good = CITY + '[settings]\n"core.notice_days" = 7\n'
    path = tenant_file(tmp_path, good)
    await load_tenants(runtime, [path])
    before = await table_counts(db)
    tenant_file(tmp_path, good.replace("= 7", "= 9") + '[[override]]\nregion = "620502"\n')
    with pytest.raises(ApiError):
        await load_tenants(runtime, [path])
    assert await table_counts(db) == before
    assert await resolve_setting(db, runtime.plugins, "3302", "core.notice_days") == 7


async def test_reload_replaces_the_citys_plugin_and_setting_rows(runtime, db, tmp_path):
    path = tenant_file(tmp_path, CITY + """
        plugins = ["regional_test"]
        [[override]]
        region = "330203"
        settings = { "core.notice_days" = 5 }
    """)
    await load_tenants(runtime, [path])
    tenant_file(tmp_path, CITY + '[settings]\n"core.notice_days" = 9\n')
    [report] = await load_tenants(runtime, [path])
    assert (report.plugins.removed, report.settings.removed, report.settings.added) == (1, 1, 1)
    builtins = {name for name, manifest in runtime.plugins.manifests().items() if manifest.builtin}
    assert await enabled_plugins(db, runtime.plugins, "330203001001") == builtins
    assert await resolve_setting(db, runtime.plugins, "330203001001", "core.notice_days") == 9


def test_toml_syntax_error_is_reported_with_the_file(tmp_path):
    from core.tenants.loader import read_tenant

    path = tenant_file(tmp_path, '[city\ncode = "3302"\n')
    with pytest.raises(ApiError) as caught:
        read_tenant(path, make_plugin_manager())
    assert "TOML" in caught.value.fields[0].message_en and "ningbo.toml" in caught.value.fields[0].message_zh


def test_cli_load_exit_codes(database_url, tmp_path):
    env = {"YISHI_DATABASE_URL": database_url}
    from core.cli import main

    bad = tenant_file(tmp_path, CITY + 'plugins = ["nope"]\n')
    result = CliRunner().invoke(main, ["tenants", "load", str(bad)], env=env)
    assert result.exit_code == 2
    assert "unknown plugin 'nope'" in result.stderr and "未知插件" in result.stderr
    assert "Traceback" not in result.output

    ok = CliRunner().invoke(main, ["tenants", "load", str(TENANTS_DIR / "jinchang.toml")], env=env)
    assert ok.exit_code == 0, ok.output
    assert "6203 金昌市" in ok.stdout
    again = CliRunner().invoke(main, ["tenants", "load", str(TENANTS_DIR / "jinchang.toml")], env=env)
    assert again.exit_code == 0 and "no changes" in again.stdout


async def test_tenant_settings_are_audited_once(runtime):
    from sqlalchemy import select

    from core.models.audit import AuditEntry
    from core.tenants.loader import load_tenants

    await load_tenants(runtime, ["tenants/jinchang.toml"])
    async with runtime.sessions() as session:
        first = (await session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "region_setting"))).all()
    assert first and set(first) == {"setting.set"}
    await load_tenants(runtime, ["tenants/jinchang.toml"])  # unchanged file: nothing new to audit
    async with runtime.sessions() as session:
        again = (await session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "region_setting"))).all()
    assert len(again) == len(first)
