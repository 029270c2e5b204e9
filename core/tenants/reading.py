"""Reading a tenant file: every problem of the file found at once, against its
division data and the installed plugins, without touching the database."""
from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from core.auth.policy import password_problems
from core.auth.users import USERNAME_RE
from core.authz.roles import GRANT_LEVELS, Role
from core.errors import ApiError, FieldError, validation_failed
from core.catalogue import catalogue_for_region
from core.models.region import ancestor_codes, level_of_code
from core.plugins import PluginHost
from core.regions.importer import Divisions, read_divisions
from core.tenants.demo_data import DemoSpec
from core.tenants.spec import TENANTS_DIR, OverrideSpec, TenantSpec, UserSpec


_TOP_KEYS = {"city", "settings", "override", "users", "demo"}
_DEMO_KEYS = {"seed", "districts", "communities_per_street"}
_CITY_KEYS = {"code", "name", "plugins", "data"}
_OVERRIDE_KEYS = {"region", "plugins", "disabled", "settings"}
_USER_KEYS = {"username", "password", "display_name", "role", "region"}


class _Problems:
    def __init__(self, file_label: str):
        self.file_label = file_label
        self.items: list[FieldError] = []

    def add(self, where: str, zh: str, en: str) -> None:
        place = f"{self.file_label} {where}".strip()
        self.items.append(FieldError(place, f"{place}：{zh}", f"{place}: {en}"))

    def extend(self, err: ApiError) -> None:
        self.items.extend(err.fields)


def _str_list(problems: _Problems, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(where, "应为字符串列表", "must be a list of strings")
        return ()
    if len(set(value)) != len(value):
        problems.add(where, "有重复项", "has duplicates")
    return tuple(value)


def _check_keys(problems: _Problems, where: str, table: dict, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            problems.add(f"{where}.{key}".lstrip("."), f"未知的键“{key}”，可用：{', '.join(sorted(allowed))}",
                         f"unknown key '{key}', expected one of: {', '.join(sorted(allowed))}")


def _check_plugins(problems: _Problems, host: PluginHost, where: str, names: Iterable[str],
                   disabling: bool = False) -> None:
    manifests = host.manifests()
    for name in names:
        manifest = manifests.get(name)
        if manifest is None:
            known = ", ".join(sorted(manifests))
            problems.add(where, f"未知插件“{name}”（已安装：{known}）", f"unknown plugin '{name}' (installed: {known})")
        elif disabling and manifest.builtin:
            problems.add(where, f"内置插件“{name}”始终启用，不能停用",
                         f"built-in plugin '{name}' is always on and cannot be disabled")


def _check_settings(problems: _Problems, host: PluginHost, where: str, table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        problems.add(where, "应为表（键 = 值）", "must be a table of key = value")
        return {}
    flat: dict[str, Any] = {}
    for key, value in table.items():
        # A bare dotted key (core.notice_days = 7, without quotes) is a nested
        # table in TOML; accept it as the same setting rather than puzzle the author.
        if host.setting_spec(key) is None and isinstance(value, dict) and key in host.manifests():
            flat.update({f"{key}.{sub}": v for sub, v in value.items()})
        else:
            flat[key] = value
    for key, value in flat.items():
        spec = host.setting_spec(key)
        if spec is None:
            problems.add(f"{where}.\"{key}\"", f"未知设置项“{key}”（格式：插件名.设置名）",
                         f"unknown setting '{key}' (form: plugin.setting)")
            continue
        wrong = spec.validate(value)
        if wrong:
            problems.add(f"{where}.\"{key}\"", wrong[0], wrong[1])
    return flat


def _check_region(problems: _Problems, where: str, code: Any, spec_city: str, divisions: Divisions | None) -> bool:
    if not isinstance(code, str) or level_of_code(code) is None:
        problems.add(where, f"区划代码“{code}”应为 4、6、9 或 12 位数字的字符串",
                     f"region code {code!r} must be a string of 4, 6, 9 or 12 digits")
        return False
    if not code.startswith(spec_city):
        problems.add(where, f"区划“{code}”不属于本市 {spec_city}", f"region '{code}' is outside city {spec_city}")
        return False
    if divisions is not None and not divisions.has(code):
        problems.add(where, f"区划“{code}”不在本市区划数据中", f"region '{code}' is not in the city's division data")
        return False
    return True


def _array_of_tables(problems: _Problems, doc: dict, key: str) -> Iterator[tuple[str, dict]]:
    """Each table of the ``[[key]]`` array with where it stands (``key[1]``, …);
    a value of another shape is a problem, not an error."""
    tables = doc.get(key, [])
    if not isinstance(tables, list):
        problems.add(key, f"应写作 [[{key}]] 表数组", f"must be an array of tables, [[{key}]]")
        return
    for i, raw in enumerate(tables, start=1):
        where = f"{key}[{i}]"
        if not isinstance(raw, dict):
            problems.add(where, "应为表", "must be a table")
            continue
        yield where, raw


def read_tenant(path: str | Path, host: PluginHost) -> TenantSpec:
    """Parse and validate a tenant file and its division data. Writes nothing.

    Raises one bilingual validation error listing every problem found.
    """
    path = Path(path)
    problems = _Problems(path.name)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise validation_failed(FieldError(str(path), f"{path}：文件不存在", f"{path}: file not found"),
                                zh="租户文件有误，未写入任何内容", en="tenant file is invalid; nothing was written") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise validation_failed(FieldError(path.name, f"{path.name}：TOML 语法错误：{exc}",
                                           f"{path.name}: TOML syntax error: {exc}"),
                                zh="租户文件有误，未写入任何内容", en="tenant file is invalid; nothing was written") from None

    _check_keys(problems, "", doc, _TOP_KEYS)
    city = doc.get("city")
    if not isinstance(city, dict):
        problems.add("[city]", "缺少 [city] 表", "the [city] table is missing")
        city = {}
    _check_keys(problems, "city", city, _CITY_KEYS)
    code, name = city.get("code"), city.get("name")
    if not (isinstance(code, str) and code.isdigit() and len(code) == 4):
        problems.add("city.code", f"城市代码应为 4 位数字的字符串，实际为 {code!r}",
                     f"city code must be a string of 4 digits, got {code!r}")
        code = None
    if not isinstance(name, str) or not name:
        problems.add("city.name", "城市名称不能为空", "city name is required")
    data_value = city.get("data")
    if data_value is not None and not isinstance(data_value, str):
        problems.add("city.data", "应为目录路径字符串", "must be a directory path string")
        data_value = None

    divisions = None
    data_dir = path.parent / (data_value or f"data/{code}")
    if code is not None:
        try:
            divisions = read_divisions(data_dir, [code])
        except ApiError as err:
            problems.add("city.data", f"区划数据目录 {data_dir} 有误：{err.message_zh}",
                         f"division data in {data_dir} is invalid: {err.message_en}")
            problems.extend(err)
        if divisions is not None and isinstance(name, str) and name and divisions.name_of(code) != name:
            problems.add("city.name", f"名称“{name}”与区划数据中的“{divisions.name_of(code)}”不一致",
                         f"name '{name}' differs from '{divisions.name_of(code)}' in the division data")

    plugins = _str_list(problems, "city.plugins", city.get("plugins", []))
    _check_plugins(problems, host, "city.plugins", plugins)
    settings = _check_settings(problems, host, "settings", doc.get("settings", {}))

    overrides: list[OverrideSpec] = []
    seen_regions: set[str] = set()
    for where, raw in _array_of_tables(problems, doc, "override"):
        _check_keys(problems, where, raw, _OVERRIDE_KEYS)
        region = raw.get("region")
        if code is not None and _check_region(problems, f"{where}.region", region, code, divisions):
            if region == code:
                problems.add(f"{where}.region", "城市本级请写在 [city] 和 [settings] 中",
                             "the city itself is configured in [city] and [settings], not an override")
            elif region in seen_regions:
                problems.add(f"{where}.region", f"区划“{region}”重复覆盖", f"region '{region}' is overridden twice")
            seen_regions.add(region)
        enable = _str_list(problems, f"{where}.plugins", raw.get("plugins", []))
        disable = _str_list(problems, f"{where}.disabled", raw.get("disabled", []))
        _check_plugins(problems, host, f"{where}.plugins", enable)
        _check_plugins(problems, host, f"{where}.disabled", disable, disabling=True)
        for both in sorted(set(enable) & set(disable)):
            problems.add(where, f"插件“{both}”既启用又停用", f"plugin '{both}' is both enabled and disabled")
        overrides.append(OverrideSpec(region=str(region), plugins=enable, disabled=disable,
                                      settings=_check_settings(problems, host, f"{where}.settings",
                                                               raw.get("settings", {}))))

    users: list[UserSpec] = []
    usernames: set[str] = set()
    for where, raw in _array_of_tables(problems, doc, "users"):
        _check_keys(problems, where, raw, _USER_KEYS)
        user = _check_user(problems, where, raw, code, divisions)
        if user is None:
            continue
        if user.username in usernames:
            problems.add(f"{where}.username", f"用户名“{user.username}”重复", f"username '{user.username}' appears twice")
        usernames.add(user.username)
        users.append(user)

    demo = _check_demo(problems, doc.get("demo"))
    if code is not None:
        _check_catalogue_references(problems, host, code, plugins, settings, overrides)

    if problems.items:
        raise validation_failed(*problems.items, zh=f"租户文件 {path.name} 有误，未写入任何内容",
                                en=f"tenant file {path.name} is invalid; nothing was written")
    assert code is not None and divisions is not None
    return TenantSpec(path=path, city_code=code, city_name=name, data_dir=data_dir, plugins=plugins,
                      settings=settings, overrides=overrides, users=users, divisions=divisions, demo=demo)


def _enabled_at(host: PluginHost, region: str, rows: dict[tuple[str, str], bool]) -> set[str]:
    """The plugins the file switches on at ``region`` (narrowest row wins), plus the built-ins."""
    decided: dict[str, bool] = {}
    for code in ancestor_codes(region):
        for (row_region, name), on in rows.items():
            if row_region == code:
                decided.setdefault(name, on)
    enabled = {name for name, manifest in host.manifests().items() if manifest.builtin}
    return enabled | {name for name, on in decided.items() if on}


def _check_catalogue_references(problems: _Problems, host: PluginHost, city: str, plugins: tuple[str, ...],
                                settings: dict[str, Any], overrides: list[OverrideSpec]) -> None:
    """Settings naming catalogue items must name items of the catalogue in force where they are set."""
    rows = {(city, name): True for name in plugins}
    for override in overrides:
        rows.update({(override.region, name): True for name in override.plugins})
        rows.update({(override.region, name): False for name in override.disabled})
    places = [(city, "settings", settings)] + [(o.region, f"override[{i}].settings", o.settings)
                                                for i, o in enumerate(overrides, start=1)]
    for region, where, table in places:
        for key, value in table.items():
            spec = host.setting_spec(key)
            if spec is None or spec.refers_to != "catalogue_item" or spec.validate(value) is not None:
                continue
            codes = {item.code for item in catalogue_for_region(host, region, _enabled_at(host, region, rows)).items}
            for name in spec.referenced(value):
                if name not in codes:
                    problems.add(f"{where}.\"{key}\"", f"议事目录中没有条目“{name}”（区划 {region}）",
                                 f"'{name}' is not an item of the catalogue in force at {region}")


def _check_demo(problems: _Problems, raw: Any) -> DemoSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.add("demo", "应为表 [demo]", "must be a table, [demo]")
        return None
    _check_keys(problems, "demo", raw, _DEMO_KEYS)
    limits = {"seed": (0, 2**31 - 1), "districts": (0, 20), "communities_per_street": (1, 10)}
    values: dict[str, int] = {}
    for key, (low, high) in limits.items():
        value = raw.get(key, getattr(DemoSpec, key, None))
        if value is None:
            problems.add(f"demo.{key}", "缺少随机种子（整数），演示数据须可重现", "a seed (an integer) is required, "
                         "so the demo is the same on every run")
        elif not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.add(f"demo.{key}", f"应为 {low}–{high} 之间的整数，实际为 {value!r}",
                         f"must be an integer from {low} to {high}, got {value!r}")
        else:
            values[key] = value
    return DemoSpec(**values) if len(values) == len(limits) else None


def _check_user(problems: _Problems, where: str, raw: dict, city: str | None,
                divisions: Divisions | None) -> UserSpec | None:
    ok = True
    username, password = raw.get("username"), raw.get("password")
    display_name, role, region = raw.get("display_name", ""), raw.get("role"), raw.get("region")
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        problems.add(f"{where}.username", "用户名须为 3–64 位字母、数字、下划线、点或连字符",
                     "username must be 3–64 letters, digits, '_', '.' or '-'")
        ok = False
    for zh, en in password_problems(password, username if isinstance(username, str) else None):
        problems.add(f"{where}.password", zh, en)
        ok = False
    if not isinstance(display_name, str):
        problems.add(f"{where}.display_name", "应为字符串", "must be a string")
        ok = False
    try:
        parsed = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role if GRANT_LEVELS[r])
        problems.add(f"{where}.role", f"未知角色“{role}”，可选：{allowed}", f"unknown role {role!r}, expected one of: {allowed}")
        return None
    if not GRANT_LEVELS[parsed]:
        # A tenant file provisions one city; a platform-wide role is not its to give.
        problems.add(f"{where}.role", f"租户文件不能授予全局角色“{role}”",
                     f"a tenant file cannot grant the global role '{role}'")
        return None
    if city is None or not _check_region(problems, f"{where}.region", region, city, divisions):
        return None
    level = level_of_code(region)
    if level not in GRANT_LEVELS[parsed]:
        levels = ", ".join(sorted(lv.value for lv in GRANT_LEVELS[parsed]))
        problems.add(f"{where}.region", f"角色“{role}”不能授予在{level.label_zh}级区划“{region}”",
                     f"role '{role}' cannot be granted at the {level.value} '{region}' (allowed: {levels})")
        ok = False
    if not ok:
        return None
    return UserSpec(username=username, password=password, display_name=display_name, role=parsed.value,
                    region=region)


def demo_tenant_files(directory: Path = TENANTS_DIR) -> list[Path]:
    return sorted(directory.glob("*.toml"))


def read_tenants(paths: Sequence[str | Path], host: PluginHost) -> list[TenantSpec]:
    """Validate several tenant files together; every file's problems are reported at once."""
    specs: list[TenantSpec] = []
    fields: list[FieldError] = []
    for path in paths:
        try:
            specs.append(read_tenant(path, host))
        except ApiError as err:
            fields.extend(err.fields)
    owners: dict[str, Path] = {}
    usernames: dict[str, Path] = {}
    for spec in specs:
        if spec.city_code in owners:
            fields.append(FieldError(spec.path.name, f"{spec.path.name}：城市 {spec.city_code} 已由 {owners[spec.city_code].name} 定义",
                                     f"{spec.path.name}: city {spec.city_code} is already defined by {owners[spec.city_code].name}"))
        owners.setdefault(spec.city_code, spec.path)
        for user in spec.users:
            if user.username in usernames:
                fields.append(FieldError(spec.path.name, f"{spec.path.name}：用户名“{user.username}”已在 {usernames[user.username].name} 中使用",
                                         f"{spec.path.name}: username '{user.username}' is also used in {usernames[user.username].name}"))
            usernames.setdefault(user.username, spec.path)
    if fields:
        raise validation_failed(*fields, zh="租户文件有误，未写入任何内容",
                                en="tenant files are invalid; nothing was written")
    return specs
