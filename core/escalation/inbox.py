"""The inbox above: topics escalated to a council, where they came from and
where each stands now."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.escalation.regions import region_names
from core.models import Topic
from core.models.escalation import Escalation
from core.plugins import PluginHost
from core.procedures.registry import procedure_registry
from core.regions.queries import Paging
from core.topics.service import topic_summary


def _topic_summaries(rows: list[Topic], plugins: PluginHost) -> dict[int, dict[str, Any]]:
    registry = procedure_registry(plugins)
    out = {}
    for topic in rows:
        try:
            procedure = registry.get(topic.procedure_key, topic.procedure_version)
        except LookupError:
            procedure = None
        out[topic.id] = topic_summary(topic, procedure)
    return out


async def escalation_inbox(session: AsyncSession, region_code: str, paging: Paging, *, plugins: PluginHost,
                           status: str | None = None) -> dict[str, Any]:
    """Topics escalated to ``region_code``'s council, newest move first, with
    the communities they came from and where each stands now."""
    conditions = [Escalation.to_region_code == region_code]
    if status is not None:
        conditions.append(Topic.status == status)
    base = select(Escalation, Topic).join(Topic, Topic.id == Escalation.topic_id).where(*conditions)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = (await session.execute(base.order_by(Escalation.at.desc(), Escalation.id.desc())
                                  .offset(paging.offset).limit(paging.page_size))).all()
    summaries = _topic_summaries([topic for _, topic in rows], plugins)
    names = await region_names(session, {c for e, t in rows for c in (*e.source_region_codes, e.from_region_code,
                                                                     t.region_code)})

    def named(code: str) -> dict[str, str]:
        return {"code": code, "name": names.get(code, "")}

    items = [{"escalation_id": e.id, "topic": summaries[t.id], "status": t.status,
              "from_region": named(e.from_region_code), "source_regions": [named(c) for c in e.source_region_codes],
              "current_region": named(t.region_code), "trigger": e.trigger, "reason": e.reason,
              "at": e.at.isoformat(), "by_name": e.by_name} for e, t in rows]
    return {"items": items, "total": total or 0, "page": paging.page, "page_size": paging.page_size}
