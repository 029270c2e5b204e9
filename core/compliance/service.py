"""Asking the plugins enabled at a region how it stands against their standards."""
from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from core.asyncutil import await_each
from core.compliance import ComplianceResult
from core.clock import today
from core.models import Region
from core.plugins import PluginHost
from core.region_context import region_context


async def check_region(session: AsyncSession, plugins: PluginHost, region: Region,
                       on_date: date | None = None) -> list[ComplianceResult]:
    """Every standard the region's plugins check, in plugin order."""
    context = await region_context(session, plugins, region.code)
    results: list[ComplianceResult] = []
    answers = context.hooks.yishi_compliance_checks(session=session, context=context, region_code=region.code,
                                                    level=region.level, on_date=on_date or today())
    for answer in await await_each(answers):
        for result in answer or ():
            if not isinstance(result, ComplianceResult):
                raise TypeError(f"a compliance check returned {result!r}, not a core.compliance.ComplianceResult")
            results.append(result)
    return results
