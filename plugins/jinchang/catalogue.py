"""三个不予协商: the three matters Jinchang's councils do not consult on (seed 002).

Quoted verbatim from the report. Jinchang lists no admissible kinds of its
own, so the generic admissible items stand in (fallback per kind); its three
exclusions replace the generic exclusions.
"""
from __future__ import annotations

from core.catalogue import EXCLUDED, CatalogueItem
from core.seeds import quote

# 002: "对于违反党的政策、国家相关法律法规的事项,上级党委、政府有明确要求、明文规定必须执行的事项,
# 带有歧视性、不公平的事项“三个”不予协商".
_BUYI = (
    (quote("002", "违反党的政策、国家相关法律法规的事项"), "matters against party policy or the relevant national laws and regulations"),
    (quote("002", "上级党委、政府有明确要求、明文规定必须执行的事项"),
     "matters a higher party committee or government has clearly required or expressly ruled must be carried out"),
    (quote("002", "带有歧视性、不公平的事项"), "discriminatory or unfair matters"),
)

ITEMS = tuple(CatalogueItem(f"jinchang.buyi.{n}", EXCLUDED, n, zh, en) for n, (zh, en) in enumerate(_BUYI, start=1))
