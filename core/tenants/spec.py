"""What a tenant file declares, once read and checked (``core.tenants.reading``),
and what loading it did (``core.tenants.loader``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.regions.importer import Divisions, ImportReport
from core.tenants.demo_data import DemoReport, DemoSpec

TENANTS_DIR = Path(__file__).resolve().parent.parent.parent / "tenants"


@dataclass(frozen=True)
class OverrideSpec:
    region: str
    plugins: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UserSpec:
    username: str
    password: str
    display_name: str
    role: str
    region: str


@dataclass
class TenantSpec:
    path: Path
    city_code: str
    city_name: str
    data_dir: Path
    plugins: tuple[str, ...]
    settings: dict[str, Any]
    overrides: list[OverrideSpec]
    users: list[UserSpec]
    divisions: Divisions
    # The [demo] table: demo councils, members and topics, seeded once.
    demo: DemoSpec | None = None

    def plugin_rows(self) -> dict[tuple[str, str], bool]:
        rows = {(self.city_code, name): True for name in self.plugins}
        for override in self.overrides:
            rows.update({(override.region, name): True for name in override.plugins})
            rows.update({(override.region, name): False for name in override.disabled})
        return rows

    def setting_rows(self) -> dict[tuple[str, str], Any]:
        rows = {(self.city_code, key): value for key, value in self.settings.items()}
        for override in self.overrides:
            rows.update({(override.region, key): value for key, value in override.settings.items()})
        return rows


@dataclass
class RowDiff:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"+{self.added} ~{self.changed} -{self.removed} ={self.unchanged}"


@dataclass
class TenantReport:
    city_code: str
    city_name: str
    regions: ImportReport
    plugins: RowDiff
    settings: RowDiff
    users_created: list[str] = field(default_factory=list)
    users_existing: list[str] = field(default_factory=list)
    grants_added: int = 0
    demo: DemoReport | None = None

    @property
    def changed(self) -> bool:
        return (self.regions.changed or bool(self.users_created) or bool(self.grants_added)
                or (self.demo is not None and not self.demo.skipped)
                or any(d.added or d.changed or d.removed for d in (self.plugins, self.settings)))

    def summary_lines(self) -> list[str]:
        lines = [f"== {self.city_code} {self.city_name} =="]
        lines += self.regions.summary_lines()
        lines.append(f"插件 plugins (added ~changed -removed =same): {self.plugins}")
        lines.append(f"设置 settings (added ~changed -removed =same): {self.settings}")
        lines.append(f"用户 users: {len(self.users_created)} 新建 created, {len(self.users_existing)} 已存在 existing; "
                     f"{self.grants_added} 新授权 new grants")
        if self.demo is not None:
            lines.append(self.demo.summary_line())
        return lines
