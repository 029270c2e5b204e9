"""五个有 (seed 001 §一): what the platform holds about each community, and whether it has all five.

1. 有一个主体多元、常态议事的协商议事组织: the council's current roster spans
   at least ``ningbo.min_member_categories`` fixed-member kinds of 1+7+X
   and it held a meeting in the last ``ningbo.meeting_months`` months;
2. 有一份符合实际、应商必商的协商议事目录: a council document of kind
   ``catalogue`` on file;
3. 有一个形式多样、阵地固定的协商议事平台: the council's venue registered;
4. 有一张环节完整、衔接有序的协商流程图: the community's procedure passes
   :func:`core.procedures.flowchart.flowchart_complete`;
5. 有一套健全完善、运行规范的协商议事制度: a council document of kind
   ``rules`` on file.

One function, :func:`community_evidence`, gathers this for a whole subtree
in a fixed handful of grouped queries (Ningbo has 3,042 communities): the
single community's compliance check and the district and city report both
read it, so they cannot disagree. The roster and document queries mirror
``core.councils.service.current_term`` / ``roster`` / ``documents_on_file``
(the latest term begun by the day, members serving that day, documents on
file and not withdrawn), grouped by council instead of one council at a time.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import months_before
from core.compliance import ComplianceItem, ComplianceResult
from core.consultation.service import meetings_held
from core.councils.categories import CATEGORY_LABELS, DOCUMENT_KINDS, FIXED_CATEGORIES, PARTY_SECRETARY
from core.clock import CHINA_TZ
from core.errors import ApiError
from core.models import Council, CouncilDocument, CouncilMember, CouncilTerm, Region, RegionPlugin, RegionSetting
from core.models.region import ancestor_codes, subtree_upper_bound
from core.plugins import PluginHost
from core.procedures.flowchart import FlowchartProblem, flowchart_complete
from core.procedures.model import Procedure
from core.region_context import RegionContext, region_context
from core.seeds import quote
from plugins.ningbo.settings import MEETING_MONTHS, MIN_CATEGORIES, NAME

STANDARD = f"{NAME}.five_haves"
TITLE = ("五个有", "the five haves")
ORGANISATION, CATALOGUE, VENUE, FLOWCHART, RULES = "organisation", "catalogue", "venue", "flowchart", "rules"
ITEM_TITLES = {
    ORGANISATION: (quote("001", "有一个主体多元、常态议事的协商议事组织"), "a consultation body with diverse members that meets regularly"),
    CATALOGUE: (quote("001", "有一份符合实际、应商必商的协商议事目录"), "a consultation catalogue"),
    VENUE: (quote("001", "有一个形式多样、阵地固定的协商议事平台"), "a fixed venue for consultation"),
    FLOWCHART: (quote("001", "有一张环节完整、衔接有序的协商流程图"), "a complete flowchart of the procedure"),
    RULES: (quote("001", "有一套健全完善、运行规范的协商议事制度"), "a set of consultation rules"),
}
ITEM_KEYS = tuple(ITEM_TITLES)
# 001 names the party organisation once (社区党组织): its secretary and its
# committee representatives are one kind of member here.
PARTY_KIND = "party_committee"
FIXED_KINDS = tuple(FIXED_CATEGORIES)


@dataclass(frozen=True)
class Evidence:
    """What the platform holds about one community on the day checked."""

    code: str
    name: str
    member_kinds: frozenset[str]
    meetings: int
    documents: frozenset[str]
    venue: str
    procedure: Procedure | None
    problems: tuple[FlowchartProblem, ...]
    # (zh, en) when the configured procedure is not installed.
    procedure_error: tuple[str, str] | None
    min_kinds: int
    meeting_months: int


# -- dates --------------------------------------------------------------------------



def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA_TZ)


# -- the queries --------------------------------------------------------------------

def _in_subtree(column, root: str):
    return and_(column >= root, column < subtree_upper_bound(root))


async def _communities(session: AsyncSession, root: str) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(Region.code, Region.name).where(_in_subtree(Region.code, root), Region.level == "community",
                                               Region.active.is_(True)).order_by(Region.code))
    return [(code, name) for code, name in rows.all()]


async def _venues(session: AsyncSession, root: str) -> dict[str, str]:
    rows = await session.execute(select(Council.region_code, Council.venue).where(_in_subtree(Council.region_code, root)))
    return {code: venue or "" for code, venue in rows.all()}


async def _member_kinds(session: AsyncSession, root: str, on_date: date) -> dict[str, set[str]]:
    """Fixed-member kinds serving on ``on_date`` in each council's latest term begun by then."""
    current = (select(CouncilTerm.council_id, func.max(CouncilTerm.number).label("number"))
               .where(CouncilTerm.starts_on <= on_date).group_by(CouncilTerm.council_id).subquery())
    kind = case((CouncilMember.category == PARTY_SECRETARY, PARTY_KIND), else_=CouncilMember.category)
    rows = await session.execute(
        select(Council.region_code, kind).distinct()
        .join(CouncilTerm, CouncilTerm.council_id == Council.id)
        .join(current, and_(current.c.council_id == CouncilTerm.council_id, current.c.number == CouncilTerm.number))
        .join(CouncilMember, CouncilMember.term_id == CouncilTerm.id)
        .where(_in_subtree(Council.region_code, root), CouncilMember.joined_on <= on_date,
               or_(CouncilMember.left_on.is_(None), CouncilMember.left_on > on_date),
               CouncilMember.category.in_((PARTY_SECRETARY, *FIXED_KINDS))))
    found: dict[str, set[str]] = defaultdict(set)
    for code, member_kind in rows.all():
        found[code].add(member_kind)
    return found


async def _documents(session: AsyncSession, root: str, until: datetime) -> dict[str, set[str]]:
    """Kinds of the catalogue and rules documents each council has on file at ``until``."""
    rows = await session.execute(
        select(Council.region_code, CouncilDocument.kind).distinct()
        .join(Council, Council.id == CouncilDocument.council_id)
        .where(_in_subtree(Council.region_code, root), CouncilDocument.kind.in_((CATALOGUE, RULES)),
               CouncilDocument.filed_at < until,
               or_(CouncilDocument.withdrawn_at.is_(None), CouncilDocument.withdrawn_at >= until)))
    found: dict[str, set[str]] = defaultdict(set)
    for code, kind in rows.all():
        found[code].add(kind)
    return found


async def _configured_at(session: AsyncSession, root: str) -> set[str]:
    """Regions at or above ``root`` or inside it that set any plugin or setting."""
    ancestors = ancestor_codes(root)
    query = union(
        select(RegionSetting.region_code).where(or_(RegionSetting.region_code.in_(ancestors),
                                                    _in_subtree(RegionSetting.region_code, root))),
        select(RegionPlugin.region_code).where(or_(RegionPlugin.region_code.in_(ancestors),
                                                   _in_subtree(RegionPlugin.region_code, root))))
    return set((await session.execute(query)).scalars().all())


def _anchor(code: str, configured: set[str]) -> str:
    """The narrowest region at or above ``code`` that configures anything: ``code``
    resolves its plugins and settings exactly as that region does."""
    return next((prefix for prefix in ancestor_codes(code) if prefix in configured), code[:4])


# -- gathering ----------------------------------------------------------------------

async def community_evidence(session: AsyncSession, host: PluginHost, root: str, on_date: date, *,
                             codes: Iterable[str] | None = None) -> list[Evidence]:
    """Evidence for every active community in ``root``'s subtree where this plugin is on
    (``codes``: only these), in code order.

    Queries: communities, venues, member kinds, documents, configured regions,
    meetings once per distinct ``ningbo.meeting_months``, and each configured
    region's plugins and settings, however many communities there are.
    """
    communities = await _communities(session, root)
    if codes is not None:
        wanted = set(codes)
        communities = [c for c in communities if c[0] in wanted]
    configured = await _configured_at(session, root)
    configs: dict[str, RegionContext] = {}
    for anchor in sorted({_anchor(code, configured) for code, _ in communities}):
        configs[anchor] = await region_context(session, host, anchor)
    communities = [c for c in communities if configs[_anchor(c[0], configured)].has(NAME)]
    if not communities:
        return []

    venues = await _venues(session, root)
    kinds = await _member_kinds(session, root, on_date)
    end = _local_midnight(on_date + timedelta(days=1))
    documents = await _documents(session, root, end)
    held: dict[int, dict[str, int]] = {}
    for months in sorted({int(c.settings[MEETING_MONTHS]) for c in configs.values()}):
        held[months] = await meetings_held(session, _local_midnight(months_before(on_date, months)), end,
                                           within=root)

    checked: dict[str, tuple[FlowchartProblem, ...]] = {}
    found = []
    for code, name in communities:
        config = configs[_anchor(code, configured)]
        procedure, error = None, None
        try:
            # The community's plugins and settings are its anchor's, so is its procedure.
            procedure = config.procedure_for_new_topic()
        except ApiError as refused:
            error = (refused.message_zh, refused.message_en)
        if procedure is not None and procedure.ident not in checked:
            checked[procedure.ident] = tuple(flowchart_complete(procedure))
        months = int(config.settings[MEETING_MONTHS])
        found.append(Evidence(
            code=code, name=name, member_kinds=frozenset(kinds.get(code, ())), meetings=held[months].get(code, 0),
            documents=frozenset(documents.get(code, ())), venue=venues.get(code, "").strip(), procedure=procedure,
            problems=checked[procedure.ident] if procedure is not None else (), procedure_error=error,
            min_kinds=int(config.settings[MIN_CATEGORIES]), meeting_months=months))
    return found


# -- judging ------------------------------------------------------------------------

def _kind_names(kinds: Iterable[str], lang: int) -> str:
    sep = "、" if lang == 0 else ", "
    return sep.join(CATEGORY_LABELS[k][lang] for k in FIXED_KINDS if k in set(kinds))


def _item(key: str, met: bool, zh: str, en: str) -> ComplianceItem:
    title_zh, title_en = ITEM_TITLES[key]
    return ComplianceItem(key, title_zh, title_en, met, zh, en)


def judge(evidence: Evidence) -> ComplianceResult:
    """五个有 of one community, item by item, with what was seen."""
    e = evidence
    kinds, wanted = len(e.member_kinds), e.min_kinds
    missing = [k for k in FIXED_KINDS if k not in e.member_kinds]
    zh = f"现任固定成员涵盖 {kinds} 类（至少须 {wanted} 类）"
    en = f"the current fixed members span {kinds} kind(s) ({wanted} required)"
    if kinds < wanted and missing:
        zh += f"，缺：{_kind_names(missing, 0)}"
        en += f"; missing: {_kind_names(missing, 1)}"
    zh += f"；近 {e.meeting_months} 个月召开协商会议 {e.meetings} 次（至少须 1 次）"
    en += f"; {e.meetings} meeting(s) held in the last {e.meeting_months} month(s) (1 required)"
    organisation = _item(ORGANISATION, kinds >= wanted and e.meetings >= 1, zh, en)

    def on_file(key: str, zh_name: str) -> ComplianceItem:
        if key in e.documents:
            return _item(key, True, f"已存档{zh_name}", f"a {key} document is on file")
        kind_zh, kind_en = DOCUMENT_KINDS.get(key, (key, key))
        return _item(key, False, f"未存档{zh_name}（议事会文档，类别“{kind_zh}”）",
                     f"no council document of kind '{kind_en}' on file")

    if e.venue:
        venue = _item(VENUE, True, f"议事场所：{e.venue}", f"venue: {e.venue}")
    else:
        venue = _item(VENUE, False, "未登记固定议事场所", "no venue registered for the council")

    if e.procedure_error is not None:
        flowchart = _item(FLOWCHART, False, *e.procedure_error)
    elif e.problems:
        flowchart = _item(FLOWCHART, False, "；".join(p.zh for p in e.problems), "; ".join(p.en for p in e.problems))
    else:
        flowchart = _item(FLOWCHART, True, f"议事程序“{e.procedure.title_zh}”环节完整、衔接有序",
                          f"the procedure '{e.procedure.title_en}' is complete")

    items = (organisation, on_file(CATALOGUE, "协商议事目录"), venue, flowchart, on_file(RULES, "协商议事规则（制度）"))
    return ComplianceResult(STANDARD, TITLE[0], TITLE[1], e.code, items)


async def check_community(context: RegionContext, on_date: date) -> list[ComplianceResult]:
    """The standard at one community (declared in the manifest for ``yishi_compliance_checks``)."""
    code = context.region_code
    return [judge(e) for e in await community_evidence(context.session, context.plugins, code, on_date,
                                                       codes=[code])]


def result_summary(result: ComplianceResult) -> dict[str, Any]:
    return {"met": result.met_count, "total": len(result.items), "complete": result.complete,
            "missing": [i.key for i in result.items if not i.met]}


def by_code(results: Iterable[ComplianceResult]) -> Mapping[str, ComplianceResult]:
    return {r.region_code: r for r in results}
