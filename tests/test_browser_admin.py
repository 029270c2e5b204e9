"""The administration pages in the browser, on the demo (issue 13, part 2):

(c) Ningbo's city admin creates an account with a role at a street; the new user logs in with the
    temporary password shown once and sees that street only;
(d) the city admin changes a district's notice period: the district's settings show it set there,
    its communities show it inherited from the district (linked), and a notice opened in one of
    them afterwards runs for the new number of days;
(e) the city admin imports Ningbo's shipped division data from the page: a progress bar, then the
    summary.

Everything is done by links, labels and buttons, as a user does it; the database is only read, and
written once where a meeting cannot be waited for (it is moved to have begun). Pages are checked
for sideways scrolling at 1366×768 and 390×844 and for English in the Chinese view, and no browser
may ask another host for anything.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

import pytest

from core.builtin import make_plugin_manager
from core.clock import CHINA_TZ
from core.consultation.views import CHOICE_LABELS, OUTCOME_LABELS
from plugins.ningbo.procedure import NINGBO
from tests import browser_fixtures
from tests.browser_fixtures import OFFICE, PHONE, open_visit
from tests.test_browser_journeys import CODES, LATIN, LATIN_ALLOWED, Person, action_of, field_of, t

# The fixtures, by name (pytest finds them in this module's namespace).
live_server, browser = browser_fixtures.live_server, browser_fixtures.browser
CITY, HAISHU = "3302", "330203"
# 海曙区's second street and one of its communities: the journeys of tests/test_browser_journeys.py
# work in 南门街道's 澄浪社区 (330203001001) and are left alone.
JIANGXIA, LIUJIN = "330203002", "330203001002"
# The Chinese view may also show login names, the file formats the import and a table setting read,
# and a setting's values where its plugin declares them as keys (the setting's description explains
# each); catalogue items' codes (generic.yi.1) are stripped as codes are.
ADMIN_LATIN = {"CSV", "UTF", "gzip", "JSON", "code", "name", "cityCode", "areaCode", "streetCode", "cities", "areas",
               "streets", "villages", "csv"} | {
    word for manifest in make_plugin_manager().manifests().values() for spec in manifest.settings.values()
    for choice in spec.choices or () for word in re.findall(r"[A-Za-z]+", str(choice))}


def codes_and_names(text: str) -> str:
    """``text`` without login names (ningbo_admin) and catalogue items' codes (generic.yi.1)."""
    return re.sub(r"\b[a-z0-9]+(?:[_.][a-z0-9]+)+\b", " ", text)


TEMPORARY_PASSWORD = re.compile(r"\b[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}\b")


class Admin(Person):
    """A person on the administration pages: login names are Latin by rule, so they are allowed."""

    names: set[str]

    def landed(self, response=None) -> None:
        self.page.wait_for_load_state()
        if response is not None:
            assert response.status < 400, f"{self.name}: {response.status} at {self.page.url}\n" \
                                          f"{self.page.inner_text('main')[:1500]}"
        assert not self.page.locator("main .errors").count(), \
            f"{self.name} was refused at {self.page.url}:\n{self.page.inner_text('main')[:1500]}"
        self.visit.no_sideways_scroll()
        text = CODES.sub(" ", self.page.inner_text("body"))
        for name in sorted(getattr(self, "names", set()), key=len, reverse=True):
            text = text.replace(name, " ")
        text = TEMPORARY_PASSWORD.sub(" ", codes_and_names(text))
        latin = set(LATIN.findall(text)) - LATIN_ALLOWED - ADMIN_LATIN
        assert not latin, f"English in the Chinese view of {self.page.url}: {sorted(latin)}"


def person(browser, live_server, request, viewport: dict, name: str) -> Admin:
    someone = Admin(open_visit(browser, live_server, request, viewport, name), name)
    someone.names = set()
    someone.page.set_default_timeout(15_000)
    return someone


def done_with(*people: Admin) -> None:
    for someone in people:
        assert someone.visit.offsite == [], f"{someone.name} asked other hosts: {someone.visit.offsite}"
        someone.visit.context.close()


def test_c_the_city_admin_grants_a_role_at_a_street_and_the_new_user_sees_only_that_street(
        live_server, browser, request):
    admin = person(browser, live_server, request, OFFICE, "city-admin")
    admin.log_in("ningbo_admin")
    admin.go(f"/r/{CITY}/admin/users")
    page = admin.page
    assert page.locator("main h1").inner_text() == f"宁波市 · {t('Users')}"
    admin.visit.shot("users-city")
    # Down to the street through the regions under each level.
    below = page.locator("section[aria-labelledby=below-h]")
    admin.follow(below.get_by_role("link", name="海曙区", exact=True))
    admin.follow(page.locator("section[aria-labelledby=below-h]").get_by_role("link", name="江厦街道", exact=True))
    assert page.url.endswith(f"/r/{JIANGXIA}/admin/users")
    admin.follow(page.get_by_role("link", name=t("Create a user"), exact=True))
    admin.visit.shot("user-form")
    username = f"jiangxia_{secrets.token_hex(2)}"
    admin.names.add(username)
    field_of(page, t("Login name")).fill(username)
    field_of(page, t("Name shown")).fill("江厦街道王干事")
    field_of(page, t("Role")).select_option("street_staff")
    region = field_of(page, t("Region"))
    assert region.input_value() == JIANGXIA, "the street the page is at is offered"
    admin.follow(page.get_by_role("button", name=t("Create the user"), exact=True))
    assert page.locator("main h1").inner_text() == t("The user is created")
    password = page.locator("code.temporary-password").inner_text().strip()
    assert TEMPORARY_PASSWORD.fullmatch(password), password
    admin.visit.shot("temporary-password")
    # Back on the list, and on the street's roles: the account and its role, the password nowhere.
    admin.follow(page.get_by_role("link", name=t("Back to the users"), exact=True))
    assert username in page.inner_text("main") and password not in page.content()
    admin.follow(page.locator(".admin-tabs").get_by_role("link", name=t("Roles"), exact=True))
    row = page.locator("table.data tr", has_text=username)
    assert "街道工作人员" in row.inner_text() and "江厦街道" in row.inner_text()
    admin.visit.shot("roles-street")

    # The new user, on a phone, logs in with the password shown once.
    newcomer = person(browser, live_server, request, PHONE, "new-street-staff")
    newcomer.names.add(username)
    newcomer.visit.log_in(username, password)
    newcomer.landed()
    cards = newcomer.page.locator("ul.cards li.card")
    assert cards.count() == 1 and "江厦街道" in cards.inner_text() and "街道工作人员" in cards.inner_text()
    newcomer.visit.shot("home")
    newcomer.follow(cards.get_by_role("link", name=t("Topic board"), exact=True))
    assert newcomer.page.url.endswith(f"/r/{JIANGXIA}/topics")
    # Another street of the same district, and the district itself, are not there for them.
    for elsewhere in ("/r/330203001/topics", f"/r/{HAISHU}/topics", f"/r/{HAISHU}/admin/users"):
        assert newcomer.page.goto(live_server.base + elsewhere).status == 404, elsewhere
    newcomer.visit.shot("another-street-404")
    done_with(admin, newcomer)


def test_d_a_district_notice_period_set_there_inherited_below_and_used_by_a_new_notice(
        live_server, browser, request):
    admin = person(browser, live_server, request, OFFICE, "city-admin")
    admin.log_in("ningbo_admin")
    admin.go(f"/r/{HAISHU}/admin/settings")
    page = admin.page
    row = page.locator("tr#s-core-notice_days")
    assert row.locator("td").nth(1).inner_text() == "5" and t("Set here") in row.inner_text()
    admin.follow(row.get_by_role("link", name=t("Change: %(setting)s", setting="公示天数"), exact=True))
    admin.visit.shot("setting-form")
    value = field_of(page, t("Value for %(name)s and the regions under it", name="海曙区"))
    assert value.get_attribute("type") == "number" and value.get_attribute("max") == "60"
    # Out of range first: refused beside the field, nothing saved.
    value.fill("90")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save for this region"), exact=True).click()
    assert "不得大于 60" in page.locator("#e-value").inner_text()
    admin.visit.shot("setting-refused")
    field_of(page, t("Value for %(name)s and the regions under it", name="海曙区")).fill("9")
    admin.follow(page.get_by_role("button", name=t("Save for this region"), exact=True))
    assert admin.flash() == t("The setting is saved for this region and the regions under it.")
    row = page.locator("tr#s-core-notice_days")
    assert row.locator("td").nth(1).inner_text() == "9" and t("Set here") in row.inner_text()
    admin.visit.shot("settings-district")

    # A community of the district: the same 9, inherited from the district, linked there.
    admin.go(f"/r/{LIUJIN}/admin/settings")
    row = page.locator("tr#s-core-notice_days")
    assert row.locator("td").nth(1).inner_text() == "9"
    assert f"{t('Inherited from')} 海曙区" in row.inner_text()
    city_row = page.locator("tr#s-core-quorum_ratio")
    assert f"{t('Inherited from')} 宁波市" in city_row.inner_text()
    admin.visit.shot("settings-community")
    admin.follow(row.get_by_role("link", name="海曙区", exact=True))
    assert page.url.endswith(f"/r/{HAISHU}/admin/settings#s-core-notice_days")
    # And on a phone the same page reads without sideways scrolling.
    phone = person(browser, live_server, request, PHONE, "city-admin-phone")
    phone.log_in("ningbo_admin")
    phone.go(f"/r/{LIUJIN}/admin/settings")
    phone.visit.shot("settings-community")

    # A new notice in that community: its topic waiting at the consultation step is taken to its
    # resolution by the street's staff; the meeting, days ahead, is moved to have begun.
    topic_id = int(live_server.sql(
        f"SELECT t.id FROM topics t WHERE t.region_code = '{LIUJIN}' AND t.step = 'consult' AND t.status = 'open' "
        f"ORDER BY t.id LIMIT 1"))
    meeting_id = int(live_server.sql(f"SELECT meeting_id FROM meeting_topics WHERE topic_id = {topic_id} "
                                     f"ORDER BY meeting_id DESC LIMIT 1"))
    live_server.sql(f"UPDATE meetings SET starts_at = now() - interval '5 minutes', "
                    f"plan_published_at = now() - interval '4 days' WHERE id = {meeting_id}")
    staff = person(browser, live_server, request, OFFICE, "street-staff")
    staff.log_in("ningbo_street")
    staff.go(f"/meetings/{meeting_id}")
    page = staff.page
    attendance = page.locator("form[action$='/attendance']")
    for box in attendance.get_by_role("group", name=t("Who is present")).get_by_role("checkbox").all():
        box.check()
    staff.follow(attendance.get_by_role("button", name=t("Record attendance")))
    vote = page.locator(f"#vote-{topic_id}")
    voters = vote.locator("select[name^=choice_]").count()
    field_of(vote, CHOICE_LABELS["for"][0]).fill(str(voters))
    field_of(vote, t("Resolution")).fill("同意按议事方案实施。")
    staff.follow(vote.get_by_role("button", name=t("Record the vote")))
    assert page.locator(f"#vote-{topic_id} .badge.ok", has_text=t("Vote passed")).count()
    staff.go(f"/topics/{topic_id}")
    title = action_of(NINGBO, "record_resolution").title_zh
    staff.follow(page.locator("section[aria-labelledby=now-h]").get_by_role("link", name=title, exact=True))
    form = page.locator("form.action-form")
    field_of(form, t("Form of the outcome")).select_option("plan")
    field_of(form, t("Text of the outcome")).fill("按议事方案实施，一个月内完成。")
    field_of(form, t("Responsible party")).fill("社区居委会")
    field_of(form, t("Measures")).fill("物业公司施工，居委会验收。")
    deadline = (datetime.now(CHINA_TZ) + timedelta(days=30)).date().isoformat()
    field_of(form, t("Deadline")).fill(deadline)
    field_of(form, t("Note")).fill("议事会表决通过。")
    staff.follow(form.get_by_role("button", name=title, exact=True))
    assert OUTCOME_LABELS["plan"][0] in page.locator("section[aria-labelledby=outcome-h]").inner_text()
    opened, closes = live_server.sql(
        f"SELECT opens_at AT TIME ZONE 'Asia/Shanghai', closes_at AT TIME ZONE 'Asia/Shanghai' FROM notices "
        f"WHERE topic_id = {topic_id} AND kind = 'results' AND status = 'open'").split("|")
    opened, closes = datetime.fromisoformat(opened), datetime.fromisoformat(closes)
    # The timer is set a moment before the event that opens the notice is stamped.
    assert abs((closes - opened) - timedelta(days=9)) < timedelta(seconds=5), (opened, closes)
    # The public notice says so.
    notice_id = live_server.sql(f"SELECT id FROM notices WHERE topic_id = {topic_id} AND kind = 'results' "
                                f"AND status = 'open'")
    staff.go(f"/notices/{notice_id}")
    period = t("Notice period: %(start)s to %(end)s", start=opened.strftime("%Y-%m-%d %H:%M"),
               end=closes.strftime("%Y-%m-%d %H:%M"))
    assert period in page.inner_text("main"), page.inner_text("main")
    staff.visit.shot("notice")
    done_with(admin, phone, staff)


def test_e_an_import_of_ningbo_s_division_data_shows_progress_and_the_summary(live_server, browser, request):
    admin = person(browser, live_server, request, OFFICE, "city-admin")
    admin.log_in("ningbo_admin")
    admin.go(f"/r/{CITY}/admin/import")
    page = admin.page
    shipped = page.get_by_label(t("The data shipped with the platform for %(name)s", name="宁波市"))
    assert shipped.is_checked(), "the city's shipped data is the default"
    admin.visit.shot("import-form")
    admin.follow(page.get_by_role("button", name=t("Check and import"), exact=True))
    assert re.search(rf"/r/{CITY}/admin/import/[0-9a-f]{{16}}$", page.url), page.url
    assert admin.flash() == t("The data was checked; the import has started.")
    assert page.locator("#import-status progress").count() == 1
    admin.visit.shot("import-progress")
    # htmx asks for the status every second and swaps it in: the summary comes without a reload.
    page.locator("#import-status table.import-summary").wait_for(timeout=60_000)
    status = page.locator("#import-status")
    assert status.locator("progress").get_attribute("value") == "100"
    assert t("%(created)s created, %(renamed)s renamed, %(unchanged)s unchanged, %(retired)s retired.",
             created=0, renamed=0, unchanged=3215, retired=0) in status.inner_text()
    communities = status.locator("tr", has_text=t("Community or village"))
    assert communities.locator("td").nth(4).inner_text() == "3042"
    admin.landed()
    admin.visit.shot("import-summary")
    # The run is listed on the import page; on a phone the summary still fits.
    run = page.url
    admin.go(f"/r/{CITY}/admin/import")
    assert page.locator(f"a[href='{run[len(live_server.base):]}']").count() == 1
    phone = person(browser, live_server, request, PHONE, "city-admin-phone")
    phone.log_in("ningbo_admin")
    phone.go(run[len(live_server.base):])
    phone.visit.shot("import-summary")
    done_with(admin, phone)


@pytest.mark.parametrize("path", [f"/r/{CITY}/admin/users", f"/r/{HAISHU}/admin/roles", f"/r/{CITY}/admin/settings",
                                  f"/r/{CITY}/admin/import", f"/r/{CITY}/admin/users/new"])
def test_the_administration_pages_fit_a_phone(live_server, browser, request, path):
    from tests.test_browser_quality import axe_violations

    phone = person(browser, live_server, request, PHONE, "city-admin-phone")
    phone.log_in("ningbo_admin")
    phone.go(path)
    phone.visit.shot(re.sub(r"\W+", "-", path.strip("/")))
    # The same accessibility check as every other page (tests/test_browser_quality.py).
    assert not axe_violations(phone.page), axe_violations(phone.page)
    done_with(phone)


def test_every_administration_page_reads_in_chinese_and_in_english(live_server):
    """Each page shape, as the quality crawl reads a page (tests/test_browser_quality.py): the Chinese
    view without interface words in Latin letters, the English one without Chinese interface text,
    neither with a template's leftovers."""
    from tests.test_browser_quality import english_view_problems, leftover_problems, new_client, read_texts

    base = live_server.base
    user_id = live_server.sql("SELECT id FROM users WHERE username = 'ningbo_street'")
    run = live_server.sql("SELECT kwargs->>'run_id' FROM job_outbox WHERE actor = 'regions.import_divisions' "
                          "ORDER BY id DESC LIMIT 1")
    paths = [f"/r/{CITY}/admin/users", f"/r/{CITY}/admin/users/new", f"/r/{HAISHU}/admin/users/{user_id}/reset",
             f"/r/{HAISHU}/admin/users/{user_id}/disable", f"/r/{HAISHU}/admin/roles", f"/r/{LIUJIN}/admin/settings",
             f"/r/{HAISHU}/admin/settings/core.notice_days", f"/r/{CITY}/admin/settings/core.locale",
             f"/r/{CITY}/admin/settings/consultation.research_parts",
             f"/r/{CITY}/admin/settings/lianyungang.special_committees", f"/r/{CITY}/admin/import"]
    if run:
        paths += [f"/r/{CITY}/admin/import/{run}", f"/r/{CITY}/admin/import/{run}/status"]
    problems = {}
    for language in ("zh-CN", "en"):
        client = new_client(base, "ningbo_admin", language)
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            text, nodes = read_texts(answer.text)
            found = leftover_problems(text)
            if language == "en":
                found += english_view_problems(nodes)
            else:
                text = codes_and_names(CODES.sub(" ", text))
                found += sorted(set(LATIN.findall(text)) - LATIN_ALLOWED - ADMIN_LATIN)
            if found:
                problems[f"{language} {path}"] = found
        client.close()
    assert not problems, problems


def test_keyboard_alone_opens_a_setting_and_reaches_its_save_button(live_server, browser, request):
    """As tests/test_browser_quality.py's keyboard test does for a topic: every Tab stop shows its focus."""
    from tests.test_browser_quality import tab_to

    visit = open_visit(browser, live_server, request, OFFICE, "keyboard")
    visit.log_in("ningbo_admin")
    page = visit.go(f"/r/{HAISHU}/admin/settings")
    tab_to(page, lambda s: s["tag"] == "a" and (s["href"] or "").endswith("/admin/settings/core.notice_days"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/r/{HAISHU}/admin/settings/core.notice_days"), page.url
    tab_to(page, lambda s: s["tag"] == "button" and s["type"] == "submit")
    visit.shot("setting_submit_focused")
    visit.context.close()
