"""Built-in plugin ``catalogue``: the generic consultation catalogue.

Admissible kinds follow the seven areas of the county report (004);
excluded kinds are Jinchang's three (002) plus the three exclusions that
carry a route elsewhere (beyond the council's authority, faster solved
another way, an individual dispute; 000 and 004).
"""
from __future__ import annotations

from core.catalogue import ADMISSIBLE, EXCLUDED, CatalogueItem
from core.plugins import PluginManifest, hookimpl

MANIFEST = PluginManifest(
    name="catalogue",
    title_zh="议事目录",
    title_en="consultation catalogue",
    description="The generic catalogue of admissible and excluded matters.",
    builtin=True,
)

_ADMISSIBLE = [
    ("公益事业兴办", "public-benefit undertakings"),
    ("困难群体救助", "relief for people in hardship"),
    ("医疗卫生、教育等民生保障", "health, education and other livelihood matters"),
    ("治安维护", "public order and safety"),
    ("环境整治", "environmental improvement"),
    ("公共设施维护", "upkeep of public facilities"),
    ("道路交通管理", "roads and traffic"),
]

_EXCLUDED = [
    ("违反党的政策、国家相关法律法规的事项", "matters against party policy or the law", None),
    ("上级党委、政府有明确要求、明文规定必须执行的事项",
     "matters a higher party committee or government has ruled must be carried out", None),
    ("带有歧视性、不公平的事项", "discriminatory or unfair matters", None),
    ("超出本级职能权限的事项", "matters beyond this council's authority", "forward_upward"),
    ("可以通过其他方式优先快速解决的事项", "matters faster solved another way", "refer_department"),
    ("个体矛盾纠纷", "individual disputes", "answer_directly"),
]

GENERIC_ITEMS = [
    *[CatalogueItem(f"generic.yi.{n}", ADMISSIBLE, n, zh, en, fallback=True)
      for n, (zh, en) in enumerate(_ADMISSIBLE, start=1)],
    *[CatalogueItem(f"generic.buyi.{n}", EXCLUDED, n, zh, en, route=route, fallback=True)
      for n, (zh, en, route) in enumerate(_EXCLUDED, start=1)],
]


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST


@hookimpl(trylast=True)
def yishi_catalogue(region_code: str):
    return list(GENERIC_ITEMS)
