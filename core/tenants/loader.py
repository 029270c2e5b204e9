"""Declarative tenants: one TOML file per city provisions it completely.

A file names the city, the plugins it enables, its settings, per-region
overrides and demo accounts (format in ``tenants/README.md``). Loading is
validate-everything-then-write: :func:`read_tenant` checks the file against
its division data and the installed plugins without touching the database;
:func:`apply_tenant` then makes the database match the file, so loading the
same file again changes nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.changes import record_setting_change
from core.auth.users import create_user, grant_role
from core.models import RegionPlugin, RegionSetting, RoleGrant, User
from core.models.region import subtree_upper_bound
from core.plugins import PluginHost
from core.regions.importer import ProgressFn, apply_divisions
from core.tenants.demo_data import seed_city
from core.tenants.reading import demo_tenant_files, read_tenant, read_tenants
from core.tenants.spec import TENANTS_DIR, RowDiff, TenantReport, TenantSpec

# Reading lives in core.tenants.reading and the declared shapes in
# core.tenants.spec; callers load tenants through this module alone.
__all__ = ["TENANTS_DIR", "TenantReport", "TenantSpec", "apply_tenant", "demo_tenant_files", "load_tenants",
           "read_tenant", "read_tenants"]


def _city_subtree(column, city_code: str):
    return and_(column >= city_code, column < subtree_upper_bound(city_code))


async def _sync_rows(session: AsyncSession, model, value_column: str, city_code: str,
                     desired: dict[tuple[str, str], Any]) -> RowDiff:
    """Make ``model``'s rows inside the city equal ``desired`` {(region, name): value}."""
    name_column = "plugin" if model is RegionPlugin else "key"
    region_col, name_col, value_col = (getattr(model, c) for c in ("region_code", name_column, value_column))
    result = await session.execute(select(region_col, name_col, value_col)
                                   .where(_city_subtree(region_col, city_code)))
    existing = {(region, name): value for region, name, value in result}
    diff = RowDiff()

    async def audit(region: str, name: str, before: Any, after: Any) -> None:
        # Plugin switches are settings too, from the auditor's point of view.
        key = name if model is RegionSetting else f"plugins.{name}"
        await record_setting_change(session, actor="tenant-load", region_code=region, key=key,
                                    before=before, after=after)

    for key, value in existing.items():
        if key not in desired:
            await session.execute(delete(model).where(region_col == key[0], name_col == key[1]))
            await audit(*key, value, None)
            diff.removed += 1
        elif desired[key] != value or type(desired[key]) is not type(value):
            # 1 == 1.0 == True in Python; a setting's JSON type matters to its reader.
            await session.execute(update(model).where(region_col == key[0], name_col == key[1])
                                  .values({value_column: desired[key]}))
            await audit(*key, value, desired[key])
            diff.changed += 1
        else:
            diff.unchanged += 1
    for (region, name), value in desired.items():
        if (region, name) not in existing:
            session.add(model(**{"region_code": region, name_column: name, value_column: value}))
            await audit(region, name, None, value)
            diff.added += 1
    await session.flush()
    return diff


async def apply_tenant(session: AsyncSession, host: PluginHost, spec: TenantSpec,
                       progress: ProgressFn | None = None) -> TenantReport:
    """Make the database match a validated tenant file, in the caller's transaction."""
    regions = await apply_divisions(session, spec.divisions, progress=progress)
    plugins = await _sync_rows(session, RegionPlugin, "enabled", spec.city_code, spec.plugin_rows())
    settings = await _sync_rows(session, RegionSetting, "value", spec.city_code, spec.setting_rows())
    report = TenantReport(spec.city_code, spec.city_name, regions, plugins, settings)
    for wanted in spec.users:
        user = await session.scalar(select(User).where(User.username == wanted.username))
        if user is None:
            user = await create_user(session, wanted.username, wanted.password, wanted.display_name)
            report.users_created.append(wanted.username)
        else:
            # Existing accounts keep their password: a demo reload must not
            # undo a password someone changed on purpose.
            report.users_existing.append(wanted.username)
        had = await session.scalar(select(RoleGrant.id).where(
            RoleGrant.user_id == user.id, RoleGrant.role == wanted.role, RoleGrant.region_code == wanted.region))
        if had is None:
            await grant_role(session, user, wanted.role, wanted.region, actor="tenant-load")
            report.grants_added += 1
    return report


async def load_tenants(runtime, paths: Sequence[str | Path],
                       progress: ProgressFn | None = None) -> list[TenantReport]:
    """Validate every file, then apply them all in one transaction."""
    from core.db import transaction

    specs = read_tenants(paths, runtime.plugins)
    reports = []
    async with transaction(runtime.sessions) as session:
        for spec in specs:
            report = await apply_tenant(session, runtime.plugins, spec, progress=progress)
            if spec.demo is not None:
                report.demo = await seed_city(session, runtime.plugins, spec.city_code, spec.demo,
                                              [user.region for user in spec.users], runtime.config.upload_dir)
            reports.append(report)
    return reports
