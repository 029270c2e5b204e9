"""The 驾驶舱 dashboard and the compliance map on both backends (admin_ui/pages/dashboard.py).

A small Ningbo (two districts, three streets, four communities) with topics written as rows, so
the per-region totals are kept at commit as for any write. Every figure a page shows is read back
from its HTML and compared with the JSON API's answer for the same region, asked in the same
session (``/stats``, ``/stats/children``, ``/stats/period``, the 五个有 report, ``/compliance``):
the pages and the API cannot disagree. A malformed or reversed date range is a 400 page naming
the field; another city's admin gets the 404 page; the per-child stats cost the same statements
for two children as for one.
"""
from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.councils import service as councils
from core.models import RegionPlugin, Topic, TopicEvent, User
from core.models.escalation import Escalation
from core.models.implementation import Task
from core.models.notice import Notice, Objection
from core.stats import children as child_figures
from core.stats import service as stats
from tests.auth_helpers import app_client, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.page_helpers import page_login

CITY, DISTRICT, STREET = "3302", "330203", "330203001"
COMMUNITY, SIBLING = "330203001001", "330203001002"
OTHER_STREET_COMMUNITY = "330203002001"
OTHER_DISTRICT_COMMUNITY = "330205001001"
# 2030-05-06 09:00 in Beijing; "this year" is 2030.
NOW = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)
LAST_YEAR = datetime(2029, 11, 20, 2, 0, tzinfo=timezone.utc)


async def _topic(db, region: str, step: str, created: datetime, *, channel: str = "resident",
                 closed_after: timedelta | None = None, resolutions: int = 0) -> Topic:
    topic = Topic(region_code=region, origin_region_code=region, title=f"议题 {region} {step}", description="",
                  channel=channel, procedure_key="generic", procedure_version=1, step=step,
                  status="closed" if closed_after is not None else "open", counters={}, timers={},
                  proposer_name="居民", created_at=created, updated_at=created)
    db.add(topic)
    await db.flush()
    events = [("submit", "open", created)]
    events += [("record_resolution", "open", created + timedelta(days=2 + n)) for n in range(resolutions)]
    if closed_after is not None:
        events.append(("close", "closed", created + closed_after))
    for action, status, at in events:
        db.add(TopicEvent(topic_id=topic.id, at=at, actor_name="测试", action=action, from_step=None, to_step=step,
                          status=status, note="", data={}))
    await db.flush()
    return topic


@pytest.fixture
async def world(db):
    clock.set_now(NOW)
    await add_regions(db, *SMALL_TREE)
    db.add(RegionPlugin(region_code=CITY, plugin="ningbo", enabled=True))
    march, april = datetime(2030, 3, 10, 2, tzinfo=timezone.utc), datetime(2030, 4, 2, 2, tzinfo=timezone.utc)
    t1 = await _topic(db, COMMUNITY, "collect", march, channel="member")
    t2 = await _topic(db, COMMUNITY, "implement", march, closed_after=timedelta(days=12), resolutions=1)
    await _topic(db, SIBLING, "implement", april, channel="on_behalf", closed_after=timedelta(days=3),
                 resolutions=2)
    await _topic(db, OTHER_STREET_COMMUNITY, "research", april)
    await _topic(db, OTHER_DISTRICT_COMMUNITY, "implement", LAST_YEAR, closed_after=timedelta(days=40),
                 resolutions=1)
    notice = Notice(topic_id=t2.id, region_code=COMMUNITY, title="公示", text="决议", opens_at=march,
                    closes_at=NOW + timedelta(days=2), status="open", created_at=march)
    db.add(notice)
    await db.flush()
    db.add(Objection(notice_id=notice.id, topic_id=t2.id, name="居民甲", text="有异议", status="open",
                     created_at=april))
    db.add(Task(topic_id=t2.id, region_code=COMMUNITY, title="更换路灯", responsible_name="物业",
                deadline=NOW - timedelta(days=1), status="open", created_at=march, updated_at=march))
    db.add(Escalation(topic_id=t1.id, from_region_code=COMMUNITY, to_region_code=STREET, trigger="request",
                      reason="超出社区职权", at=april))
    # One council with its venue registered: 五个有 differs between the communities.
    council = await councils.ensure_council(db, COMMUNITY)
    council.venue = "青石社区议事厅"
    await db.commit()
    for name, grant in (("city", ("city_admin", CITY)), ("district", ("district_admin", DISTRICT)),
                        ("chair", ("council_chair", COMMUNITY)), ("tianshui", ("city_admin", "6205"))):
        await make_user(db, name, grant)


@pytest.fixture
async def client(runtime, world):
    async with app_client(runtime) as test_client:
        yield test_client


def big_figures(html: str) -> dict[str, str]:
    """The headline figures of the dashboard, by their data-figure name."""
    return {name: unescape(text) for name, text in
            re.findall(r'<span class="dash-big" data-figure="(\w+)">([^<]*)</span>', html)}


def row_of(html: str, code: str) -> str:
    found = re.search(rf'<tr data-region="{code}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {code}"
    return found.group(1)


def cell_figures(row: str) -> dict[str, str]:
    return {name: unescape(text).strip() for name, text in re.findall(r'data-figure="(\w+)">([^<]*)</td>', row)}


def heat_cells(row: str) -> list[tuple[int, int]]:
    """(met, total) of every coloured cell of a map row, in column order: every requirement, then each item."""
    return [(int(m), int(t)) for m, t in re.findall(r'data-met="(\d+)" data-total="(\d+)"', row)]


def shown(n) -> str:
    return "—" if n is None else f"{n:,}"


async def test_each_level_shows_the_apis_figures_and_each_child_its_own(client):
    await page_login(client, "city")
    for code in (CITY, DISTRICT, STREET, COMMUNITY):
        page = await client.get(f"/r/{code}/dashboard")
        assert page.status_code == 200, page.text
        api = (await client.get(f"/api/v1/regions/{code}/stats")).json()
        figures = big_figures(page.text)
        for name in ("topics_total", "topics_resolved", "consultations_held", "open_notices", "overdue_tasks"):
            assert figures[name] == shown(api[name]), (code, name)
        median = api["median_days_to_resolution"]
        assert figures["median_days_to_resolution"] == ("—" if median is None else f"{median:g} 天"), code
        rate = api["topics_resolved"] / api["topics_total"] if api["topics_total"] else None
        assert figures["resolution_rate"] == ("—" if rate is None else
                                              f"{rate * 100:.0f}%" if rate * 100 >= 10 or rate in (0, 1)
                                              else f"{rate * 100:.1f}%"), code

        period = (await client.get(f"/api/v1/regions/{code}/stats/period")).json()
        assert (period["from"], period["to"]) == ("2030-01-01", "2030-05-06")
        assert figures["period_topics_submitted"] == shown(period["topics_submitted"])
        assert figures["period_consultations_held"] == shown(period["consultations_held"])
        assert figures["objections_open"] == shown(period["objections_open"])

        listed = (await client.get(f"/api/v1/regions/{code}/stats/children")).json()["items"]
        for child in listed:
            own = (await client.get(f"/api/v1/regions/{child['region_code']}/stats")).json()
            assert {k: v for k, v in child.items() if k not in ("name", "level")} == \
                {k: v for k, v in own.items() if k != "as_of"}, child["region_code"]
            cells = cell_figures(row_of(page.text, child["region_code"]))
            for name in ("topics_total", "topics_resolved", "consultations_held", "open_notices", "overdue_tasks"):
                assert cells[name] == shown(child[name]), (code, child["region_code"], name)
            assert cells["period_topics_submitted"] == \
                shown(period["children"].get(child["region_code"], {}).get("topics_submitted", 0))
        if code == COMMUNITY:
            assert listed == [] and 'class="data dash-children"' not in page.text

    # The city's figures, known from the rows above: last year's topic is out of this year's period.
    city = big_figures((await client.get(f"/r/{CITY}/dashboard")).text)
    assert (city["topics_total"], city["topics_resolved"], city["period_topics_submitted"]) == ("5", "3", "4")
    assert (city["overdue_tasks"], city["open_notices"], city["objections_open"]) == ("1", "1", "1")
    assert city["period_escalations"] == "1"
    # 3, 12 and 40 days: the middle one.
    assert city["median_days_to_resolution"] == "12 天"


async def test_the_period_counts_what_happened_in_it_month_by_month(client):
    await page_login(client, "district")
    answer = (await client.get(f"/api/v1/regions/{DISTRICT}/stats/period?from=2030-03-01&to=2030-04-30")).json()
    assert [m["month"] for m in answer["months"]] == ["2030-03", "2030-04"]
    assert [(m["topics_submitted"], m["consultations_held"]) for m in answer["months"]] == [(2, 1), (2, 2)]
    assert answer["topics_by_channel"] == {"member": 1, "on_behalf": 1, "resident": 2}
    assert answer["escalations_by_level"] == {"street": 1}
    assert answer["objections_received"] == 1
    assert answer["children"] == {STREET: {"topics_submitted": 3, "consultations_held": 3},
                                  "330203002": {"topics_submitted": 1, "consultations_held": 0}}
    page = await client.get(f"/r/{DISTRICT}/dashboard?from=2030-03-01&to=2030-04-30")
    assert page.status_code == 200
    assert "2030-03-01 至 2030-04-30" in page.text
    assert re.search(r"<th scope=\"row\">2030年4月</th><td class=\"dash-num\">2</td>\s*<td class=\"dash-num\">2</td>",
                     page.text)
    # Each chart is an image with its title and every figure in its description, and a table besides.
    assert page.text.count('role="img"') == 7
    assert "<desc id=\"dash-channels-d\">委员提 1；代录 1；社会征 2</desc>" in page.text


async def test_a_bad_date_range_is_a_400_page_naming_the_field(client):
    await page_login(client, "city")
    for query, field, words in (("from=2030-13-01", "from", "起始日期（from）须为日期"),
                                ("from=2030-05-01&to=2030-04-01", "to", "截止日期（to）2030-04-01 早于起始日期"),
                                ("from=2020-01-01&to=2030-01-01", "to", "统计区间最长三年")):
        page = await client.get(f"/r/{CITY}/dashboard?{query}")
        assert page.status_code == 400, query
        assert "<ul class=\"errors\">" in page.text and words in page.text, page.text
        api = await client.get(f"/api/v1/regions/{CITY}/stats/period?{query}")
        assert api.status_code == 400
        assert [f["field"] for f in api.json()["error"]["fields"]] == [field]
    page = await client.get(f"/r/{CITY}/compliance?on=yesterday")
    assert page.status_code == 400 and "核查日期（on）须为日期" in page.text


async def test_another_citys_admin_and_a_community_chair_above_their_community_get_the_404_page(client):
    await page_login(client, "tianshui")
    for path in (f"/r/{CITY}/dashboard", f"/r/{CITY}/compliance", f"/r/{COMMUNITY}/compliance",
                 f"/api/v1/regions/{CITY}/stats/children"):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert "青石社区" not in answer.text and "宁波" not in answer.text
    client.cookies.clear()
    await page_login(client, "chair")
    assert (await client.get(f"/r/{STREET}/dashboard")).status_code == 404
    own = await client.get(f"/r/{COMMUNITY}/dashboard")
    assert own.status_code == 200 and big_figures(own.text)["topics_total"] == "2"
    # No link up to a page the chair cannot open.
    assert f'href="/r/{STREET}/dashboard"' not in own.text


async def test_the_compliance_map_shows_the_reports_figures_down_to_a_community(client):
    await page_login(client, "city")
    five = "/api/v1/plugins/ningbo/regions/{code}/five-haves?page_size=100"
    city_report = (await client.get(five.format(code=CITY))).json()
    page = await client.get(f"/r/{CITY}/compliance")
    assert page.status_code == 200, page.text
    summary = re.search(r'class="dash-summary" data-met="(\d+)" data-total="(\d+)"', page.text)
    assert (int(summary.group(1)), int(summary.group(2))) == (city_report["totals"]["complete"],
                                                             city_report["totals"]["communities"]) == (0, 4)
    items = city_report["communities"]["items"]
    keys = ["organisation", "catalogue", "venue", "flowchart", "rules"]
    for district in city_report["districts"]:
        mine = [c for c in items if c["district_code"] == district["code"]]
        expected = [(district["complete"], district["communities"])] + [
            (sum(1 for c in mine if key not in c["missing"]), len(mine)) for key in keys]
        assert heat_cells(row_of(page.text, district["code"])) == expected, district["code"]
    # The demonstration-point milestone, from the report: no district has designated one.
    assert "尚未确立" in page.text

    district_page = await client.get(f"/r/{DISTRICT}/compliance")
    district_items = (await client.get(five.format(code=DISTRICT))).json()["communities"]["items"]
    for street in (STREET, "330203002"):
        mine = [c for c in district_items if c["street_code"] == street]
        assert heat_cells(row_of(district_page.text, street)) == [
            (sum(1 for c in mine if c["complete"]), len(mine))] + [
            (sum(1 for c in mine if key not in c["missing"]), len(mine)) for key in keys]

    street_page = await client.get(f"/r/{STREET}/compliance")
    for community in (COMMUNITY, SIBLING):
        [found] = [c for c in district_items if c["code"] == community]
        assert heat_cells(row_of(street_page.text, community)) == [(int(found["complete"]), 1)] + [
            (int(key not in found["missing"]), 1) for key in keys]
    assert f'href="/r/{COMMUNITY}/compliance?on=2030-05-06"' in street_page.text

    community_page = await client.get(f"/r/{COMMUNITY}/compliance")
    [result] = (await client.get(f"/api/v1/regions/{COMMUNITY}/compliance")).json()["items"]
    shown_items = dict(re.findall(r'data-item="(\w+)" data-met="(yes|no)"', community_page.text))
    assert shown_items == {i["key"]: "yes" if i["met"] else "no" for i in result["items"]}
    # What is missing, in the standard's own words; the venue that was found is named.
    for item in result["items"]:
        assert item["detail_zh"] in unescape(community_page.text)
    assert "青石社区议事厅" in community_page.text
    assert "缺少：" in community_page.text


async def test_the_per_child_figures_cost_the_same_statements_for_any_number_of_children(db, runtime, world):
    user = await db.scalar(select(User).where(User.username == "city"))
    authorizer = Authorizer()
    await authorizer.load(db)
    scope = authorizer.scope(principal_of(user), stats.READ)
    counts = {}
    for code in (CITY, STREET, "330205001"):  # two children, two children, one child
        with _statements() as seen:
            rows = await child_figures.child_stats(db, scope, code, plugins=runtime.plugins)
        counts[code] = (len(rows), len(seen))
        for row in rows:
            alone = await stats.region_stats(db, scope, row["region_code"], plugins=runtime.plugins)
            assert {k: v for k, v in row.items() if k not in ("name", "level")} == \
                {k: v for k, v in alone.items() if k != "as_of"}
    assert counts == {CITY: (2, 4), STREET: (2, 4), "330205001": (1, 4)}, counts


@contextlib.contextmanager
def _statements():
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)
