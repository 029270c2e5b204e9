"""The 驾驶舱 dashboard and the compliance map of any region's subtree.

``/r/{code}/dashboard``: the region's figures as ``GET /api/v1/regions/{code}/stats`` gives
them (``core.stats.service``), what happened between two days (``core.stats.children``:
topics by channel, consultations per month, escalations by level, objections) and the figures
of each child region, drawn as SVG on the server (no script) with the same figures in tables.

``/r/{code}/compliance``: each regional standard in force in the subtree (五个有, 六有, the
consultation homes' ≥3 CPPCC members and quarterly activity, …) as a coloured table, one row
per child region with how many of its councils meet each item; a row leads to that child's map,
down to a community, where each item is shown with what was found or is missing in words
(``core.compliance.service.check_region``, the API's ``/regions/{code}/compliance``). Above a
community the councils are judged by the plugins' own report functions (the ones behind their
``five-haves``, ``six-haves``, ``pilots`` routes), which gather the evidence of a whole city in
a handful of grouped statements; a standard without such a function is checked council by
council, as far as :data:`ONE_BY_ONE_LIMIT` councils.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.i18n import N_, Language
from admin_ui.web import language, render, with_query
from core import clock
from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.compliance import ComplianceResult
from core.compliance.service import check_region
from core.errors import ApiError, FieldError, not_found, validation_failed
from core.escalation.regions import region_names
from core.models import Region, RegionPlugin
from core.models.region import LEVEL_BY_LENGTH, ancestor_codes, subtree_upper_bound
from core.plugins import ComplianceStandard
from core.procedures.registry import procedure_registry
from core.region_context import region_context
from core.regions.queries import Paging
from core.runtime import Runtime
from core.stats import service as stats
from core.stats.children import (child_code_length, child_regions, child_stats, period_asked, period_stats,
                                 resolution_rate)
from core.topics.service import CHANNEL_LABELS

READ = stats.READ
CHILDREN_PAGE = 30
CHART_CHILDREN = 12
# A standard checked council by council costs a dozen statements a council.
ONE_BY_ONE_LIMIT = 150
# Every council of a subtree in one page of a report (the map groups them by child itself).
EVERYTHING = Paging(1, 10 ** 7)

LEVEL_WORDS = {"city": N_("City"), "district": N_("District"), "street": N_("Street"),
               "community": N_("Community")}
CHILD_WORDS = {"city": N_("Districts below"), "district": N_("Streets below"), "street": N_("Communities below")}
STATUS_WORDS = {"open": N_("In progress"), "closed": N_("Resolved"), "rejected": N_("Not consulted"),
                "withdrawn": N_("Withdrawn")}
OTHER_STATUS = N_("Other statuses")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _pick(lang: Language, pair: Sequence[str | None]) -> str:
    # A seed's text may have no English of its own (Ningbo's milestones): the Chinese stands.
    return (pair[1] or pair[0] or "") if lang.english else (pair[0] or "")


def _number(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


def _percent(share: float | None) -> str:
    if share is None:
        return "—"
    return f"{share * 100:.0f}%" if share in (0, 1) or share * 100 >= 10 else f"{share * 100:.1f}%"


async def _region(db: AsyncSession, code: str) -> Region:
    region = await db.get(Region, code)
    if region is None or not region.active:
        raise not_found("区划", "region")
    return region


async def _crumbs(db: AsyncSession, runtime: Runtime, principal: Principal, region: Region,
                  page: str) -> list[dict[str, str]]:
    """The region's ancestors the user may open this page at, widest first, then the region."""
    authorizer = await get_authorizer(runtime)
    above = [c for c in reversed(ancestor_codes(region.code)) if c != region.code]
    names = await region_names(db, above)
    crumbs = [{"name": names.get(c, c), "href": f"/r/{c}/{page}"} for c in above
              if c in names and authorizer.allowed(principal, READ, c)]
    return [*crumbs, {"name": region.name, "href": ""}]


# -- charts drawn on the server ---------------------------------------------------------------

@dataclass
class Chart:
    """An SVG bar chart: ``bars`` carry their geometry; ``summary`` is its <desc>."""

    id: str
    title: str
    summary: str
    width: int
    height: int
    bars: list[dict[str, Any]]
    axis: list[dict[str, Any]] = field(default_factory=list)
    legend: list[dict[str, Any]] = field(default_factory=list)


BAR_WIDTH = 360
LABEL_LINE = 18
BAR_HEIGHT = 16
ROW_GAP = 10


def text_width(text: str) -> int:
    """About how wide ``text`` is at the charts' 13 px: a CJK character is square, Latin about half."""
    return sum(13 if ord(ch) > 0x2E7F else 7 for ch in text)


def bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, int, str]], lang: Language) -> Chart:
    """Horizontal bars, each row's label on a line of its own above its bar (long names fit a
    phone) and its value written after the bar, so no figure depends on colour or length."""
    largest = max((value for _label, value, _text in rows), default=0) or 1
    room = BAR_WIDTH - 8 - max((text_width(text) for _label, _value, text in rows), default=0)
    bars, y = [], 4
    for label, value, text in rows:
        width = round(room * value / largest) if value else 0
        bars.append({"label": label, "value": value, "text": text, "label_y": y + 13, "y": y + LABEL_LINE,
                     "width": max(width, 2 if value else 0), "height": BAR_HEIGHT,
                     "value_x": width + 6 if value else 0, "value_y": y + LABEL_LINE + 13})
        y += LABEL_LINE + BAR_HEIGHT + ROW_GAP
    summary = ("; " if lang.english else "；").join(f"{label} {text}" for label, _v, text in rows)
    return Chart(chart_id, title, summary or lang.gettext("No figures."), BAR_WIDTH, max(y, 24), bars)


COLUMN_STEP = 30
PLOT_TOP, PLOT_HEIGHT = 22, 140


def month_chart(chart_id: str, title: str, months: Sequence[Mapping[str, Any]],
                series: Sequence[tuple[str, str]], lang: Language) -> Chart:
    """Columns per month, one per series (``series``: (figure, label)); the second series is
    hatched as well as coloured, and every column carries its number."""
    largest = max((m[key] for m in months for key, _label in series), default=0) or 1
    width = max(BAR_WIDTH, 12 + COLUMN_STEP * len(months))
    inner = (COLUMN_STEP - 6) // len(series)
    bars, axis = [], []
    years = {m["month"][:4] for m in months}
    for index, month in enumerate(months):
        left = 8 + index * COLUMN_STEP
        year, number = month["month"][:4], int(month["month"][5:])
        for position, (key, label) in enumerate(series):
            value = month[key]
            height = round(PLOT_HEIGHT * value / largest) if value else 0
            bars.append({"x": left + position * inner, "y": PLOT_TOP + PLOT_HEIGHT - height, "width": inner - 1,
                         "height": height, "series": position, "value": value,
                         "value_x": left + position * inner + (inner - 1) / 2,
                         "value_y": PLOT_TOP + PLOT_HEIGHT - height - 3})
        name = MONTHS_EN[number - 1] if lang.english else f"{number}月"
        axis.append({"x": left + (COLUMN_STEP - 6) / 2, "text": name,
                     "year": year if len(years) > 1 and (number == 1 or index == 0) else ""})
    sep = "; " if lang.english else "；"
    summary = sep.join(
        f"{m['month']}: " + ", ".join(f"{label} {m[key]}" for key, label in series) for m in months)
    legend = [{"label": label, "series": position} for position, (_key, label) in enumerate(series)]
    return Chart(chart_id, title, summary, width, PLOT_TOP + PLOT_HEIGHT + 40, bars, axis, legend)


# -- the dashboard ------------------------------------------------------------------------------

def _step_titles(runtime: Runtime, context, lang: Language) -> dict[str, tuple[int, str]]:
    """step key → (order, title): the region's own procedure first, then every other installed one."""
    registry = procedure_registry(runtime.plugins)
    procedures = []
    try:
        procedures.append(context.procedure_for_new_topic())
    except ApiError:
        pass
    for key in registry.keys():
        for version in reversed(registry.versions(key)):
            procedures.append(registry.get(key, version))
    found: dict[str, tuple[int, str]] = {}
    for procedure in procedures:
        for step in procedure.steps:
            found.setdefault(step.key, (len(found), lang.bilingual(step, "title")))
    return found


def _child_rows(lang: Language, children: list[dict[str, Any]], period: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for child in children:
        extra = period["children"].get(child["region_code"], {})
        rate = resolution_rate(child)
        rows.append({**child, "rate": rate, "rate_text": _percent(rate),
                     "median_text": _days(lang, child["median_days_to_resolution"]),
                     "open": child["topics_by_status"].get("open", 0),
                     "period_submitted": extra.get("topics_submitted", 0),
                     "period_consultations": extra.get("consultations_held", 0)})
    return rows


def _largest(rows: list[dict[str, Any]], figure: str) -> list[dict[str, Any]]:
    """The children with the most of ``figure``, none with nothing: a chart of a district's twenty
    streets is read for where the work is; the table lists every child."""
    found = sorted((r for r in rows if r[figure]), key=lambda r: (-r[figure], r["region_code"]))
    return found[:CHART_CHILDREN]


def _days(lang: Language, days: float | None) -> str:
    if days is None:
        return "—"
    shown = f"{days:g}"
    return lang.gettext("%(n)s day(s)", n=shown)


@get("/r/{code:str}/dashboard", opt={"action": READ}, include_in_schema=False)
async def dashboard_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                         region_scope: NamedDependency[RegionScope], principal: NamedDependency[Principal],
                         runtime: NamedDependency[Runtime], page: FromQuery[int] = 1) -> Template:
    lang = language(request)
    period = period_asked(request.query_params.get("from"), request.query_params.get("to"))
    region = await _region(db, code)
    figures = await stats.region_stats(db, region_scope, code, plugins=runtime.plugins)
    children = await child_stats(db, region_scope, code, plugins=runtime.plugins)
    happened = await period_stats(db, region_scope, code, period.first, period.last, plugins=runtime.plugins,
                                  child_length=child_code_length(code))
    context = await region_context(db, runtime.plugins, code)

    steps = _step_titles(runtime, context, lang)
    by_step = sorted(figures["topics_by_step"].items(), key=lambda kv: (steps.get(kv[0], (10 ** 6, kv[0]))[0], kv[0]))
    step_rows = [(steps.get(key, (0, lang.gettext("Other steps")))[1], n, _number(n)) for key, n in by_step]
    channel_rows = [(_pick(lang, CHANNEL_LABELS[key]) if key in CHANNEL_LABELS else lang.gettext("Other channels"),
                     n, _number(n)) for key, n in happened["topics_by_channel"].items()]
    moved = happened["escalations_by_level"]
    level_rows = [(lang.gettext(LEVEL_WORDS[level]), moved.get(level, 0), _number(moved.get(level, 0)))
                  for level in ("community", "street", "district", "city")
                  if level != "community" or moved.get(level)]
    status_rows = [(lang.gettext(STATUS_WORDS.get(key, OTHER_STATUS)), n, _number(n))
                   for key, n in figures["topics_by_status"].items()]

    paging = Paging.checked(page, CHILDREN_PAGE)
    child_rows = _child_rows(lang, children, happened)
    shown_children = child_rows[paging.offset:paging.offset + paging.page_size]
    child_chart = bar_chart(
        "dash-children", lang.gettext("Topics per child region"),
        [(c["name"], c["topics_total"], lang.gettext("%(n)s, %(resolved)s resolved", n=_number(c["topics_total"]),
                                                     resolved=_number(c["topics_resolved"])))
         for c in _largest(child_rows, "topics_total")], lang)
    query = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    rate = resolution_rate(figures)
    submitted, held = lang.gettext("Topics submitted"), lang.gettext("Consultations held")
    return await render(
        request, db, "dashboard/dashboard.html", region=region,
        crumbs=await _crumbs(db, runtime, principal, region, "dashboard"), figures=figures,
        period=period, happened=happened, rate=rate, rate_text=_percent(rate),
        median_text=_days(lang, figures["median_days_to_resolution"]), number=_number,
        charts={
            "steps": bar_chart("dash-steps", lang.gettext("Topics by step (now)"), step_rows, lang),
            "status": bar_chart("dash-status", lang.gettext("Topics by status (now)"), status_rows, lang),
            "channels": bar_chart("dash-channels", lang.gettext("Topics submitted by channel"), channel_rows, lang),
            "months": month_chart("dash-months", lang.gettext("Per month"), happened["months"],
                                  [("topics_submitted", submitted), ("consultations_held", held)], lang),
            "levels": bar_chart("dash-levels", lang.gettext("Topics moved up, by the level they went to"),
                                level_rows, lang),
            "children": child_chart,
            "child_overdue": bar_chart("dash-child-overdue", lang.gettext("Overdue tasks per child region"),
                                       [(c["name"], c["overdue_tasks"], _number(c["overdue_tasks"]))
                                        for c in _largest(child_rows, "overdue_tasks")], lang),
        },
        step_rows=step_rows, status_rows=status_rows, channel_rows=channel_rows, level_rows=level_rows,
        months=[{**m, "label": _month_label(lang, m["month"])} for m in happened["months"]],
        children=shown_children, children_total=len(children),
        child_words=lang.gettext(CHILD_WORDS[region.level]) if region.level in CHILD_WORDS else "",
        page=paging.page, page_size=paging.page_size,
        page_url=lambda n: with_query(f"/r/{code}/dashboard", **query, page=n),
        child_url=lambda child: with_query(f"/r/{child}/dashboard", **query))


def _month_label(lang: Language, key: str) -> str:
    year, month = int(key[:4]), int(key[5:])
    return f"{MONTHS_EN[month - 1]} {year}" if lang.english else f"{year}年{month}月"


# -- the compliance map: judging a subtree --------------------------------------------------------

@dataclass(frozen=True)
class Judged:
    """One council (community, street or home) as a standard judged it."""

    code: str
    name: str
    missing: frozenset[str]


@dataclass
class StandardMap:
    """A standard over a subtree: its items, every council it judged there, and the report's
    own tables (milestones, demonstration points, pilots)."""

    key: str
    title: tuple[str, str]
    items: list[tuple[str, str, str]]
    unit: tuple[str, str]
    judged: list[Judged]
    notes: list[dict[str, Any]] = field(default_factory=list)
    # Set when the councils were too many to check one by one here.
    too_many: int = 0


Adapter = Callable[[AsyncSession, Runtime, RegionScope, Region, date, ComplianceStandard],
                   Awaitable["StandardMap | None"]]


def _items_of(results: Iterable[ComplianceResult]) -> list[tuple[str, str, str]]:
    items: dict[str, tuple[str, str, str]] = {}
    for result in results:
        for item in result.items:
            items.setdefault(item.key, (item.key, item.title_zh, item.title_en))
    return list(items.values())


async def _ningbo(db: AsyncSession, runtime: Runtime, scope: RegionScope, region: Region, on: date,
                  standard: ComplianceStandard) -> StandardMap | None:
    from plugins.ningbo import five_haves
    from plugins.ningbo.report import five_haves_report

    # The report is made for a district or the city; a street's communities are its district's.
    root = region.code if region.level in ("city", "district") else region.code[:6]
    report = await five_haves_report(db, runtime.plugins, scope, root, on, EVERYTHING)
    judged = [Judged(c["code"], c["name"], frozenset(c["missing"])) for c in report["communities"]["items"]
              if c["code"].startswith(region.code)]
    notes = []
    rows = []
    for district in report["districts"]:
        points = [p for p in district["demonstration_points"] if p["region_code"].startswith(region.code)]
        if region.level == "street" and not points:
            continue
        milestones = district["milestones"]
        rows.append({"name": district["name"], "href": f"/r/{district['code']}/compliance",
                     "points": [{"name": p["name"], "href": f"/r/{p['region_code']}/compliance",
                                 "designated_on": p["designated_on"], "met": p["met"],
                                 "complete": p["complete"]} for p in points],
                     "milestones": [{"title": (m["title_zh"], m["title_en"]), "status": m["status"],
                                     "words": (m["status_zh"], m["status_en"])}
                                    for m in (milestones["demonstration_point"],
                                              milestones["five_haves_everywhere"])]})
    if rows:
        notes.append({"kind": "ningbo_points", "rows": rows, "on": report["on"]})
    return StandardMap(standard.key, (report["title_zh"], report["title_en"]),
                       [(k, *five_haves.ITEM_TITLES[k]) for k in five_haves.ITEM_KEYS],
                       ("社区", "communities"), judged, notes)


async def _jinchang(db: AsyncSession, runtime: Runtime, scope: RegionScope, region: Region, on: date,
                    standard: ComplianceStandard) -> StandardMap | None:
    from plugins.jinchang import six_haves
    from plugins.jinchang.report import six_haves_report

    try:
        report = await six_haves_report(db, runtime.plugins, scope, region.code, on, EVERYTHING)
    except ApiError as refused:
        if refused.status_code == 404:
            return None
        raise
    judged = [Judged(c["region_code"], c["name"], frozenset(c["missing"])) for c in report["items"]]
    return StandardMap(standard.key, (report["title_zh"], report["title_en"]),
                       [(k, zh, en) for k, (zh, en) in six_haves.ITEMS.items()], ("议事会", "councils"), judged)


async def _lianyungang(db: AsyncSession, runtime: Runtime, scope: RegionScope, region: Region, on: date,
                       standard: ComplianceStandard) -> StandardMap | None:
    from plugins.lianyungang.homes import homes_within
    from plugins.lianyungang.reports import pilot_report

    homes = await homes_within(db, region.code, scope=scope)
    places = {r.code: r for r in (await db.scalars(select(Region).where(
        Region.code.in_([h.home.region_code for h in homes])))).all()} if homes else {}
    results = []
    for row in homes:
        place = places.get(row.home.region_code)
        if place is None:
            continue
        for result in await check_region(db, runtime.plugins, place, on):
            if result.standard == standard.key:
                results.append((row, result))
    notes = []
    if region.level in ("city", "district"):
        pilots = await pilot_report(db, runtime.plugins, scope, region.code)
        notes.append({"kind": "pilots", "rows": [
            {"name": d["name"], "href": f"/r/{d['code']}/compliance", "homes": d["homes"], "pilots": d["pilots"],
             "range": f"{d['pilots_min']}–{d['pilots_max']}", "within": d["within"],
             "words": (d["status_zh"], d["status_en"])} for d in pilots["districts"]]})
    judged = [Judged(result.region_code, row.region_name, frozenset(i.key for i in result.items if not i.met))
              for row, result in results]
    title = ("协商民主之家建设要求", "consultation home standard")
    return StandardMap(standard.key, title, _items_of(r for _row, r in results),
                       ("协商民主之家", "homes"), judged, notes)


ADAPTERS: dict[str, Adapter] = {
    "ningbo.five_haves": _ningbo,
    "jinchang.six_haves": _jinchang,
    "lianyungang.home": _lianyungang,
}


def _in_subtree(column, code: str):
    return and_(column >= code, column < subtree_upper_bound(code))


async def _switched_on(db: AsyncSession, region: Region) -> dict[str, list[str]]:
    """plugin → the regions inside the subtree that switch it on."""
    rows = await db.execute(select(RegionPlugin.plugin, RegionPlugin.region_code).where(
        RegionPlugin.enabled.is_(True), _in_subtree(RegionPlugin.region_code, region.code)))
    found: dict[str, list[str]] = defaultdict(list)
    for plugin, code in rows.all():
        found[plugin].append(code)
    return found


async def _one_by_one(db: AsyncSession, runtime: Runtime, scope: RegionScope, region: Region, on: date,
                      standard: ComplianceStandard, within: list[str]) -> StandardMap:
    """A standard without a report function: each council where it may apply, as the API checks one."""
    condition = and_(_in_subtree(Region.code, region.code), Region.level.in_(standard.levels),
                     Region.active.is_(True), scope.where(Region.code),
                     or_(*[_in_subtree(Region.code, code) for code in within]))
    count = await db.scalar(select(func.count()).select_from(Region).where(condition)) or 0
    title = (standard.key, standard.key)
    if count > ONE_BY_ONE_LIMIT:
        return StandardMap(standard.key, title, [], ("议事会", "councils"), [], too_many=count)
    places = (await db.scalars(select(Region).where(condition).order_by(Region.code))).all()
    results = []
    for place in places:
        results += [(place, r) for r in await check_region(db, runtime.plugins, place, on)
                    if r.standard == standard.key]
    if results:
        title = (results[0][1].title_zh, results[0][1].title_en)
    judged = [Judged(place.code, place.name, frozenset(i.key for i in r.items if not i.met)) for place, r in results]
    return StandardMap(standard.key, title, _items_of(r for _p, r in results), ("议事会", "councils"), judged)


async def standard_maps(db: AsyncSession, runtime: Runtime, scope: RegionScope, region: Region,
                        on: date) -> list[StandardMap]:
    """Every standard a plugin switched on at the region or anywhere inside it declares."""
    context = await region_context(db, runtime.plugins, region.code)
    inside = await _switched_on(db, region)
    maps = []
    for name, manifest in runtime.plugins.manifests().items():
        if name not in context.enabled and name not in inside:
            continue
        for standard in getattr(manifest, "compliance", ()):
            adapter = ADAPTERS.get(standard.key)
            if adapter is not None:
                found = await adapter(db, runtime, scope, region, on, standard)
            else:
                within = [region.code] if name in context.enabled else inside[name]
                found = await _one_by_one(db, runtime, scope, region, on, standard, within)
            if found is not None and (found.judged or found.too_many or found.notes):
                maps.append(found)
    return maps


# -- the compliance map: the page ---------------------------------------------------------------

# Heat classes by the share of councils meeting an item (and words, so colour is never alone).
HEAT = (("dash-h0", "✗", N_("none meets it")), ("dash-h1", "◔", N_("under half")),
        ("dash-h2", "◑", N_("half or more")), ("dash-h3", "✓", N_("all meet it")))


def heat(met: int, total: int) -> dict[str, Any]:
    if not total:
        return {"class": "dash-hn", "mark": "", "words": N_("nothing to check"), "met": 0, "total": 0, "share": None}
    share = met / total
    index = 0 if met == 0 else 3 if met == total else 1 if share < 0.5 else 2
    css, mark, words = HEAT[index]
    return {"class": css, "mark": mark, "words": words, "met": met, "total": total, "share": share}


def _cells(units: Sequence[Judged], items: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    total = len(units)
    return {"units": total, "complete": heat(sum(1 for u in units if not u.missing), total),
            "items": [heat(sum(1 for u in units if key not in u.missing), total) for key, _zh, _en in items]}


def _on_date(text: str | None) -> date:
    if text is None or not text.strip():
        return clock.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise validation_failed(FieldError("on", "核查日期（on）须为日期，如 2026-06-30",
                                           "on must be a date such as 2026-06-30")) from None


def _map_rows(standard: StandardMap, region: Region, children: Sequence[tuple[str, str, str]],
              lang: Language, on: str) -> dict[str, Any]:
    by_child: dict[str, list[Judged]] = defaultdict(list)
    own: list[Judged] = []
    length = child_code_length(region.code)
    for unit in standard.judged:
        if unit.code == region.code:
            own.append(unit)
        elif length:
            by_child[unit.code[:length]].append(unit)
    rows = [{"code": code, "name": name, "href": with_query(f"/r/{code}/compliance", on=on),
             "single": level == "community" or (len(by_child.get(code, ())) == 1
                                                 and by_child[code][0].code == code),
             **_cells(by_child.get(code, []), standard.items)} for code, name, level in children]
    return {"own": _cells(own, standard.items) if own else None, "rows": rows,
            "all": _cells(standard.judged, standard.items)}


@get("/r/{code:str}/compliance", opt={"action": READ}, include_in_schema=False)
async def compliance_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                          region_scope: NamedDependency[RegionScope], principal: NamedDependency[Principal],
                          runtime: NamedDependency[Runtime], page: FromQuery[int] = 1) -> Template:
    lang = language(request)
    on = _on_date(request.query_params.get("on"))
    region = await _region(db, code)
    paging = Paging.checked(page, CHILDREN_PAGE)
    # The region's own council, as the API's /regions/{code}/compliance answers for it.
    here = await check_region(db, runtime.plugins, region, on)
    maps = [] if region.level == "community" else await standard_maps(db, runtime, region_scope, region, on)
    children_all = await child_regions(db, region_scope, code)
    children = children_all[paging.offset:paging.offset + paging.page_size]
    on_text = on.isoformat()
    shown = [{"map": m, **_map_rows(m, region, children, lang, on_text)} for m in maps]
    return await render(
        request, db, "dashboard/compliance.html", region=region,
        crumbs=await _crumbs(db, runtime, principal, region, "compliance"), on=on_text, here=here, maps=shown,
        children_total=len(children_all), page=paging.page, page_size=paging.page_size,
        child_words=lang.gettext(CHILD_WORDS[region.level]) if region.level in CHILD_WORDS else "",
        heat_legend=HEAT, pick=_pick, percent=_percent, number=_number,
        page_url=lambda n: with_query(f"/r/{code}/compliance", on=on_text, page=n),
        level_words=LEVEL_WORDS, level_of=lambda c: LEVEL_BY_LENGTH[len(c)].value if len(c) in LEVEL_BY_LENGTH else "")


PAGES = [dashboard_page, compliance_page]
