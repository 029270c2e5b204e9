"""Tianshui's catalogue: “九议” and “九不议”, verbatim from seed 000 §四(三).

The Chinese texts are the seed's own words (its half-width punctuation
kept), without the list numbers and the closing semicolons. Two exclusions
name where a rejected topic goes (DOMAIN.md §3): beyond the street's and
community's authority → the higher council; faster solved another way →
the responsible department.
"""
from __future__ import annotations

from core.catalogue import ADMISSIBLE, EXCLUDED, CatalogueItem
from core.seeds import quote

LIST_TITLES = {
    ADMISSIBLE: ("九议", "nine admissible kinds"),
    EXCLUDED: ("九不议", "nine excluded kinds"),
}

_YI = (
    (quote("000", "贯彻落实党委、政府重大决策部署过程中需要协商解决的问题"),
     "problems to be solved by consultation while carrying out major decisions and plans of the party "
     "committee and the government"),
    (quote("000", "社区中长期发展规划、项目建设等重要事项"),
     "important matters such as the community's medium- and long-term development plan and construction "
     "projects"),
    (quote("000", "居民自治章程、居民公约、服务群众制度等规章制度的制定和修改"),
     "drawing up and amending rules such as the residents' self-governance charter, the residents' "
     "convention and the rules for serving the public"),
    (quote("000", "群众反映强烈、迫切需要解决的实际困难、问题和矛盾纠纷"),
     "practical difficulties, problems and disputes residents feel strongly about and that urgently need "
     "solving"),
    (quote("000", "困难群体救助、特殊群体帮扶和医疗卫生教育就业等民生保障事项"),
     "livelihood matters: relief for people in hardship, help for special groups, health care, education "
     "and employment"),
    (quote("000", "治安维护、道路交通整治、全域无垃圾治理、河长制落实、公共设施管理使用等公共治理事项"),
     "public governance: public order, roads and traffic, a litter-free area, the river-chief system, the "
     "management and use of public facilities"),
    (quote("000", "其他涉及社区多数居民切身利益的重要公共事务和公益事业事项"),
     "other important public affairs and public-benefit undertakings that touch the vital interests of "
     "most of the community's residents"),
    (quote("000", "法律法规和政策明确要求协商的事项"),
     "matters that laws, regulations and policies expressly require to be consulted on"),
    (quote("000", "各类协商主体提出协商需求的事项"),
     "matters any party to consultation asks to consult on"),
)

_BUYI = (
    (quote("000", "党的政策、国家相关法律法规的事项"), "matters of party policy and of the relevant national laws and regulations",
     None),
    (quote("000", "上级党委、政府明确要求、明文规定必须执行的事项"),
     "matters a higher party committee or government has expressly required, or ruled in writing, must be "
     "carried out", None),
    (quote("000", "损害国家、集体、他人合法权益的事项"),
     "matters that harm the lawful rights and interests of the state, a collective or other people", None),
    (quote("000", "违背群众利益,容易引起矛盾纠纷的事项"),
     "matters against the residents' interests that easily cause disputes", None),
    (quote("000", "超出街道社区职能权限的事项"), "matters beyond the functions and powers of the street and the community",
     "forward_upward"),
    (quote("000", "存在严重分歧、缺乏协商基础的事项"), "matters with serious disagreement and no basis for consultation", None),
    (quote("000", "明显带有歧视性、不公平的事项"), "plainly discriminatory or unfair matters", None),
    (quote("000", "可以通过其他方式优先快速解决的事项"), "matters that can be solved sooner and faster another way",
     "refer_department"),
    (quote("000", "明确不应由基层群众性自治组织开展协商的其他事项"),
     "other matters expressly not for consultation by grassroots self-governing organisations", None),
)

ITEMS: tuple[CatalogueItem, ...] = (
    *(CatalogueItem(f"tianshui.yi.{n}", ADMISSIBLE, n, zh, en) for n, (zh, en) in enumerate(_YI, start=1)),
    *(CatalogueItem(f"tianshui.buyi.{n}", EXCLUDED, n, zh, en, route=route)
      for n, (zh, en, route) in enumerate(_BUYI, start=1)),
)
BY_CODE = {item.code: item for item in ITEMS}


def citation(item: CatalogueItem) -> dict:
    """An item as the topic view cites it: which list, which number, the words."""
    list_zh, list_en = LIST_TITLES[item.kind]
    return {**item.as_dict(), "list_zh": list_zh, "list_en": list_en,
            "citation_zh": f"“{list_zh}”第 {item.number} 条：{item.text_zh}",
            "citation_en": f"{list_en}, item {item.number}: {item.text_en}"}
