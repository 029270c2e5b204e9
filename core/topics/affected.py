"""The communities a topic affects (``topic_regions``), read once per transaction.

A topic's page asks several features in turn (escalation, implementation, plugins' sections)
which communities it touches; each read it again. The answer is kept in the session's ``info``
for the rest of its transaction, and the two writers of ``topic_regions`` (submission and
escalation) say when it changes.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import TopicRegion
from core.topics.presence import known_empty, watch

watch(TopicRegion.__table__)

_MEMO = "yishi.affected_regions"


def _memo(session: AsyncSession) -> dict[int, list[str]]:
    return session.info.setdefault(_MEMO, {})


async def affected_codes_of(session: AsyncSession, topic_ids: Iterable[int]) -> dict[int, list[str]]:
    """topic id → the codes it affects, in code order; one query for those not yet read."""
    memo = _memo(session)
    for i in topic_ids:
        if i not in memo and known_empty(session, i, TopicRegion.__table__):
            memo[i] = []
    wanted = [i for i in dict.fromkeys(topic_ids) if i not in memo]
    if wanted:
        found: dict[int, list[str]] = {i: [] for i in wanted}
        rows = await session.execute(select(TopicRegion.topic_id, TopicRegion.region_code)
                                     .where(TopicRegion.topic_id.in_(wanted))
                                     .order_by(TopicRegion.topic_id, TopicRegion.region_code))
        for topic_id, code in rows:
            found[topic_id].append(code)
        memo.update(found)
    return {i: list(memo[i]) for i in topic_ids}


async def affected_codes(session: AsyncSession, topic_id: int) -> list[str]:
    return (await affected_codes_of(session, [topic_id]))[topic_id]


def affected_changed(session: AsyncSession, topic_id: int) -> None:
    """Call after adding or removing ``topic_regions`` rows of the topic."""
    _memo(session).pop(topic_id, None)
