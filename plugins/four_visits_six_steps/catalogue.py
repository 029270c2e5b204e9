"""七个方面协商、七个方面不予协商: the catalogue of seed 004 §二.

"围绕公益事业兴办、困难群体救助、医疗卫生教育等民生保障、治安维护、环境整治、公共设施维护、
道路交通管理等七个方面进行协商,对法律规定、党委政府明确要求、不公平事项、存在严重分歧、
超出职能权限、不具备实施条件、个体矛盾等七个方面内容不予协商". Both lists are the
report's words; they replace the generic items of both kinds wherever the
plugin is on (the seven areas are the generic catalogue's own quotes of 004,
``core.catalogue.generic.SEVEN_AREAS_004``, under this plugin's codes). The
English texts are our translations. A rejection citing
超出职能权限 goes up to the higher council, one citing 个体矛盾 is answered
to the proposer directly; the report gives no route for the others.
"""
from __future__ import annotations

from core.catalogue import ADMISSIBLE, EXCLUDED, CatalogueItem
from core.catalogue.generic import SEVEN_AREAS_004
from core.seeds import quote

from plugins.four_visits_six_steps.settings import PLUGIN

_EXCLUDED = (
    (quote("004", "法律规定"), "matters the law decides", None),
    (quote("004", "党委政府明确要求"), "matters the party committee or government has clearly required", None),
    (quote("004", "不公平事项"), "unfair matters", None),
    (quote("004", "存在严重分歧"), "matters of serious disagreement", None),
    (quote("004", "超出职能权限"), "beyond the council's authority", "forward_upward"),
    (quote("004", "不具备实施条件"), "matters that cannot be carried out", None),
    (quote("004", "个体矛盾"), "individual disputes", "answer_directly"),
)

ITEMS = (
    *(CatalogueItem(f"{PLUGIN}.yi.{n}", ADMISSIBLE, n, zh, en)
      for n, (zh, en) in enumerate(SEVEN_AREAS_004, start=1)),
    *(CatalogueItem(f"{PLUGIN}.buyi.{n}", EXCLUDED, n, zh, en, route=route)
      for n, (zh, en, route) in enumerate(_EXCLUDED, start=1)),
)
