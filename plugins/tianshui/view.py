"""The ``tianshui`` section of a topic's detail view.

Shows where the topic stands in 三段六步, stage by stage, with the steps
the seed does not spell out marked ``inferred``; and, for each screening
decision that cites 九议 / 九不议, which list and which item number it cites.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import ScreeningDecision, Topic
from plugins.tianshui import catalogue
from plugins.tianshui.procedure import KEY, LABELS


def stages_view(current_step: str | None) -> list[dict[str, Any]]:
    return [{
        "key": stage.key, "title_zh": stage.title_zh, "title_en": stage.title_en,
        "current": any(step.key == current_step for step in LABELS.steps_of(stage.key)),
        "steps": [{"key": step.key, "title_zh": step.title_zh, "title_en": step.title_en,
                   "inferred": step.inferred, "basis_zh": step.basis_zh, "basis_en": step.basis_en,
                   "current": step.key == current_step} for step in LABELS.steps_of(stage.key)],
    } for stage in LABELS.stages]


async def citations(session: AsyncSession, topic: Topic) -> list[dict[str, Any]]:
    decisions = (await session.scalars(
        select(ScreeningDecision).where(ScreeningDecision.topic_id == topic.id,
                                        ScreeningDecision.catalogue_code.like("tianshui.%"))
        .order_by(ScreeningDecision.id))).all()
    found = []
    for decision in decisions:
        item = catalogue.BY_CODE.get(decision.catalogue_code)
        if item is None:
            continue
        found.append({**catalogue.citation(item), "admissible": decision.admissible,
                      # The words as cited at the time, should the catalogue change later.
                      "text_zh": decision.catalogue_text, "route": decision.route,
                      "decided_at": decision.decided_at.isoformat()})
    return found


async def topic_section(session: AsyncSession, topic: Topic) -> dict[str, Any] | None:
    """The section, or None for a topic neither under 三段六步 nor citing its lists."""
    cited = await citations(session, topic)
    if topic.procedure_key != KEY and not cited:
        return None
    section: dict[str, Any] = {"citations": cited}
    if topic.procedure_key == KEY:
        section.update({"procedure_zh": LABELS.title_zh, "procedure_en": LABELS.title_en,
                        "stages": stages_view(topic.step if topic.status == "open" else None),
                        "inferred_steps": [s.key for s in LABELS.steps if s.inferred]})
    return section
