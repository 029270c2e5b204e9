"""Ningbo's consultation matters (应商必商), seed 001 §二(二) 明确协商议事内容.

The opinion lists what "凡涉及居民群众切身利益的事项必须协商于民" covers, in six
clauses, carried over as the admissible items ``ningbo.yi.1``–``ningbo.yi.6``.
It lists no exclusions, so the core's generic exclusions (with their routes)
stand in for that kind.
"""
from __future__ import annotations

from core.catalogue import ADMISSIBLE, CatalogueItem
from core.seeds import quote

_MATTERS = [
    (quote("001", "涉及居民切身利益的社区发展规划、基础设施建设等公共事务、公益事业"),
     "public affairs and public-benefit undertakings touching residents' vital interests, such as the "
     "community's development plan and infrastructure"),
    (quote("001", "居民反映强烈、迫切要求解决的物业管理、环境卫生、社区安全等问题"),
     "problems residents raise strongly and want solved urgently, such as property management, sanitation "
     "and community safety"),
    (quote("001", "党委政府的方针政策和重点工作部署在当地的落实"),
     "carrying out the party committee's and government's policies and key tasks locally"),
    (quote("001", "社区自治章程、居民公约的制订或修订"),
     "drawing up or revising the community's self-governance charter and the residents' convention"),
    (quote("001", "法律法规和政策明确要求协商的事项"),
     "matters that laws, regulations and policies expressly require to be consulted on"),
    (quote("001", "各类参与主体提出的、涉及居民群众切身利益的其他事项"),
     "other matters touching residents' vital interests raised by any participant"),
]

ITEMS = [CatalogueItem(f"ningbo.yi.{n}", ADMISSIBLE, n, zh, en) for n, (zh, en) in enumerate(_MATTERS, start=1)]
