"""Built-in plugin ``catalogue``: the generic consultation catalogue.

Used where no regional variant supplies a kind. Every text is a seed's own
words (``core.seeds.quote``, checked against the seed files by
tests/test_seed_quotes.py): the admissible kinds are the seven areas of the
county report (004 "围绕公益事业兴办、困难群体救助、医疗卫生教育等民生保障、
治安维护、环境整治、公共设施维护、道路交通管理等七个方面进行协商"); the excluded
kinds are Jinchang's three (002 "三个不予协商") and three that carry a route
elsewhere: 超出职能权限 and 个体矛盾 from 004's seven, and 000's
可以通过其他方式优先快速解决的事项. The English texts are our translations.
"""
from __future__ import annotations

from core.catalogue import ADMISSIBLE, EXCLUDED, CatalogueItem
from core.plugins import PluginManifest, hookimpl
from core.seeds import quote

MANIFEST = PluginManifest(
    name="catalogue",
    title_zh="议事目录",
    title_en="consultation catalogue",
    description="The generic catalogue of admissible and excluded matters.",
    builtin=True,
)

# The county report's seven areas (004 §二), which the county variant lists as its own items too.
SEVEN_AREAS_004 = [
    (quote("004", "公益事业兴办"), "public-benefit undertakings"),
    (quote("004", "困难群体救助"), "relief for people in hardship"),
    (quote("004", "医疗卫生教育等民生保障"), "health care, education and other livelihood matters"),
    (quote("004", "治安维护"), "public order and safety"),
    (quote("004", "环境整治"), "environmental improvement"),
    (quote("004", "公共设施维护"), "upkeep of public facilities"),
    (quote("004", "道路交通管理"), "roads and traffic"),
]

_EXCLUDED = [
    (quote("002", "违反党的政策、国家相关法律法规的事项"), "matters against party policy or the law", None),
    (quote("002", "上级党委、政府有明确要求、明文规定必须执行的事项"),
     "matters a higher party committee or government has ruled must be carried out", None),
    (quote("002", "带有歧视性、不公平的事项"), "discriminatory or unfair matters", None),
    (quote("004", "超出职能权限"), "beyond the council's authority", "forward_upward"),
    (quote("000", "可以通过其他方式优先快速解决的事项"), "matters faster solved another way", "refer_department"),
    (quote("004", "个体矛盾"), "individual disputes", "answer_directly"),
]

GENERIC_ITEMS = [
    *[CatalogueItem(f"generic.yi.{n}", ADMISSIBLE, n, zh, en, fallback=True)
      for n, (zh, en) in enumerate(SEVEN_AREAS_004, start=1)],
    *[CatalogueItem(f"generic.buyi.{n}", EXCLUDED, n, zh, en, route=route, fallback=True)
      for n, (zh, en, route) in enumerate(_EXCLUDED, start=1)],
]


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST


@hookimpl(trylast=True)
def yishi_catalogue(region_code: str):
    return list(GENERIC_ITEMS)
