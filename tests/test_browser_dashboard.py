"""Journey (a) of issue 13, in Debian's chromium against ``yishi demo`` on PostgreSQL.

Ningbo's city admin, at an office screen, opens the city's 驾驶舱 dashboard and, from it, the
五个有 compliance map, then drills down by the map's own links: the city, 海曙区, 南门街道 and
万安社区 (a community of the demo's street without a council, so every missing piece is named).
At each level the figures on the dashboard equal ``GET /api/v1/regions/{code}/stats`` (and each
child's row that child's own stats), and the map's equal the API's 五个有 report (city and
district), its communities (street) and ``/regions/{code}/compliance`` (community). Then the
district's admin reads both pages of the district on a phone. Every page is screenshotted at
its size, scrolls no sideways, shows no English in the Chinese view and asks no other host.
"""
from __future__ import annotations

import re

import httpx
import pytest

from admin_ui.i18n import Language
from tests.browser_fixtures import OFFICE, PHONE, browser, live_server, open_visit  # noqa: F401
from tests.test_browser_quality import axe_violations

ZH = Language("zh-CN")
CITY, DISTRICT, STREET, COMMUNITY = "3302", "330203", "330203001", "330203001003"
ITEMS = ("organisation", "catalogue", "venue", "flowchart", "rules")
DEMO_PASSWORD = "yishi-demo-2026"
LATIN = re.compile(r"[A-Za-z]{2,}")
# Latin the Chinese view may show: the language switch only.
LATIN_ALLOWED = {"English"}


def t(msgid: str, **values) -> str:
    assert ZH.knows(msgid), f"no Chinese for {msgid!r}"
    return ZH.gettext(msgid, **values)


class Api:
    """The JSON API as the same city admin (a bearer token), for the figures the pages must show."""

    def __init__(self, base: str, username: str):
        self.client = httpx.Client(base_url=base, timeout=60)
        answer = self.client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        assert answer.status_code == 200, answer.text
        self.client.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def get(self, path: str) -> dict:
        answer = self.client.get(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:500]}"
        return answer.json()

    def five_haves_items(self, code: str) -> list[dict]:
        """Every community of the report, page by page."""
        found, page = [], 1
        while True:
            answer = self.get(f"/api/v1/plugins/ningbo/regions/{code}/five-haves?page={page}&page_size=100")
            found += answer["communities"]["items"]
            if len(found) >= answer["communities"]["total"]:
                return found
            page += 1


def shown(n) -> str:
    return "—" if n is None else f"{n:,}"


def landed(page, visit) -> None:
    page.wait_for_load_state()
    assert not page.locator("main .errors").count(), page.inner_text("main")[:1500]
    visit.no_sideways_scroll()
    latin = set(LATIN.findall(page.inner_text("body"))) - LATIN_ALLOWED
    assert not latin, f"English in the Chinese view of {page.url}: {sorted(latin)}"


def follow(page, visit, locator) -> None:
    with page.expect_navigation():
        locator.click()
    landed(page, visit)


def check_dashboard(page, api: Api, code: str) -> None:
    """The headline figures and each child's row against the API."""
    figures = api.get(f"/api/v1/regions/{code}/stats")
    for name in ("topics_total", "topics_resolved", "consultations_held", "open_notices", "overdue_tasks"):
        assert page.locator(f"dl.dash-figures [data-figure={name}]").inner_text() == shown(figures[name]), \
            (code, name)
    median = figures["median_days_to_resolution"]
    assert page.locator("dl.dash-figures [data-figure=median_days_to_resolution]").inner_text() == \
        ("—" if median is None else t("%(n)s day(s)", n=f"{median:g}"))
    children = api.get(f"/api/v1/regions/{code}/stats/children")["items"]
    for child in children[:30]:
        row = page.locator(f"tr[data-region='{child['region_code']}']")
        assert row.locator("th a").inner_text() == child["name"]
        for name in ("topics_total", "topics_resolved", "consultations_held", "overdue_tasks"):
            assert row.locator(f"[data-figure={name}]").inner_text() == shown(child[name]), (child["name"], name)
        # The child's row is its own stats.
        alone = api.get(f"/api/v1/regions/{child['region_code']}/stats")
        assert (child["topics_total"], child["overdue_tasks"]) == (alone["topics_total"], alone["overdue_tasks"])


def heat(row) -> list[tuple[int, int]]:
    cells = row.locator("td.dash-cell[data-total]")
    return [(int(cells.nth(i).get_attribute("data-met")), int(cells.nth(i).get_attribute("data-total")))
            for i in range(cells.count())]


def expected(communities: list[dict]) -> list[tuple[int, int]]:
    """Every requirement, then each item: how many of these communities meet it, of how many."""
    total = len(communities)
    return [(sum(1 for c in communities if c["complete"]), total)] + [
        (sum(1 for c in communities if key not in c["missing"]), total) for key in ITEMS]


def test_a_city_admin_drills_the_dashboard_and_the_five_haves_map_down_to_a_community(live_server, browser,
                                                                                    request):
    visit = open_visit(browser, live_server, request, OFFICE, "city_admin")
    page = visit.page
    page.set_default_timeout(10_000)
    visit.log_in("ningbo_admin")
    api = Api(live_server.base, "ningbo_admin")

    # -- the city: dashboard, then its map ------------------------------------------------------
    page.goto(f"{live_server.base}/r/{CITY}/dashboard")
    landed(page, visit)
    assert page.locator("h1").inner_text() == f"宁波市 · {t('Dashboard')}"
    assert page.locator("svg.dash-chart[role=img] title").count() == 7
    check_dashboard(page, api, CITY)
    visit.shot("city-dashboard")
    assert not axe_violations(page), axe_violations(page)

    follow(page, visit, page.get_by_role("link", name=t("Compliance map"), exact=True))
    assert page.url.endswith(f"/r/{CITY}/compliance")
    report = api.get(f"/api/v1/plugins/ningbo/regions/{CITY}/five-haves?page_size=1")
    summary = page.locator("[data-standard='ningbo.five_haves'] .dash-summary")
    assert (summary.get_attribute("data-met"), summary.get_attribute("data-total")) == (
        str(report["totals"]["complete"]), str(report["totals"]["communities"]))
    assert report["totals"]["communities"] == 3042
    assert "3,042" in summary.inner_text()
    city_items = api.five_haves_items(CITY)
    for district in report["districts"]:
        row = page.locator(f"tr[data-region='{district['code']}']")
        assert heat(row) == expected([c for c in city_items if c["district_code"] == district["code"]])
        assert heat(row)[0] == (district["complete"], district["communities"])
    visit.shot("city-map")
    assert not axe_violations(page), axe_violations(page)

    # -- a district -----------------------------------------------------------------------------
    follow(page, visit, page.locator(f"tr[data-region='{DISTRICT}'] th a"))
    assert re.search(rf"/r/{DISTRICT}/compliance\?on=", page.url), page.url
    district_items = api.five_haves_items(DISTRICT)
    streets = {c["street_code"] for c in district_items}
    for street in sorted(streets)[:30]:
        assert heat(page.locator(f"tr[data-region='{street}']")) == \
            expected([c for c in district_items if c["street_code"] == street]), street
    visit.shot("district-map")
    follow(page, visit, page.get_by_role("link", name=t("Dashboard"), exact=True))
    check_dashboard(page, api, DISTRICT)
    visit.shot("district-dashboard")
    page.go_back()
    landed(page, visit)

    # -- a street -------------------------------------------------------------------------------
    follow(page, visit, page.locator(f"tr[data-region='{STREET}'] th a"))
    mine = [c for c in district_items if c["street_code"] == STREET]
    for community in mine:
        cells = heat(page.locator(f"tr[data-region='{community['code']}']"))
        assert cells == expected([community]), community["name"]
    visit.shot("street-map")
    follow(page, visit, page.get_by_role("link", name=t("Dashboard"), exact=True))
    check_dashboard(page, api, STREET)
    visit.shot("street-dashboard")
    page.go_back()
    landed(page, visit)

    # -- a community: each item met or not, and what is missing, in words ----------------------------
    follow(page, visit, page.locator(f"tr[data-region='{COMMUNITY}'] th a"))
    [result] = api.get(f"/api/v1/regions/{COMMUNITY}/compliance")["items"]
    assert result["standard"] == "ningbo.five_haves" and not result["complete"]
    evidence = page.locator(".dash-evidence")
    assert evidence.locator("h3").inner_text().startswith(result["title_zh"])
    for item in result["items"]:
        row = evidence.locator(f"li[data-item='{item['key']}']")
        assert row.get_attribute("data-met") == ("yes" if item["met"] else "no")
        assert item["title_zh"] in row.inner_text() and item["detail_zh"] in row.inner_text()
    missing = evidence.locator(".dash-missing-list").inner_text()
    assert missing.startswith(t("Missing:"))
    assert all(i["title_zh"] in missing for i in result["items"] if not i["met"])
    visit.shot("community-map")
    assert not axe_violations(page), axe_violations(page)
    follow(page, visit, page.get_by_role("link", name=t("Dashboard"), exact=True))
    check_dashboard(page, api, COMMUNITY)
    visit.shot("community-dashboard")
    assert visit.offsite == [], visit.offsite


@pytest.mark.parametrize("path", ["dashboard", "compliance"])
def test_a_district_official_reads_the_district_on_a_phone(live_server, browser, request, path):
    visit = open_visit(browser, live_server, request, PHONE, "district_admin")
    page = visit.page
    page.set_default_timeout(10_000)
    visit.log_in("ningbo_district")
    api = Api(live_server.base, "ningbo_district")
    page.goto(f"{live_server.base}/r/{DISTRICT}/{path}")
    landed(page, visit)
    if path == "dashboard":
        check_dashboard(page, api, DISTRICT)
        # The monthly chart keeps its size on the phone (scrolled within its card if need be).
        assert page.locator(".dash-scroll svg").bounding_box()["width"] <= PHONE["width"]
    else:
        items = api.five_haves_items(DISTRICT)
        assert heat(page.locator(f"tr[data-region='{DISTRICT}']")) == expected(items)
    # Up the tree only where this official may look: the city is not a link.
    assert page.locator(f"nav.crumbs a[href='/r/{CITY}/{path}']").count() == 0
    visit.shot(f"district-{path}-phone")
    assert not axe_violations(page), axe_violations(page)
    assert visit.offsite == [], visit.offsite
