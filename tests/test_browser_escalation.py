"""Journey (b) of issue 13 in Debian's chromium against the demo on PostgreSQL: the street office
takes up a topic that two of its communities share from its escalation inbox, confirms it, the
street council's secretary researches it and convenes a joint meeting inviting both communities'
representatives, the meeting votes, the outcome goes on notice, and both communities' public
pages show it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from core.clock import CHINA_TZ
from core.consultation.views import CHOICE_LABELS, METHOD_LABELS
from tests.browser_fixtures import OFFICE, PHONE, browser, live_server  # noqa: F401  (fixtures)
from tests.test_browser_journeys import CITIES, Journey, china_minutes, field_of, t

STREET = "330203001"   # 月湖街道: the demo's Ningbo street office (tenants/ningbo.toml)
SECRETARY = "yuehu_street_secretary"
PASSWORD = "yishi-street-2026"


def test_a_street_takes_up_a_shared_topic_and_both_communities_see_the_outcome(live_server, browser, request):
    city = next(p.values[0] for p in CITIES if p.id == "ningbo")
    j = Journey(city, browser, live_server, request)
    made = live_server.yishi("users", "create", "--username", SECRETARY, "--password", PASSWORD,
                             "--display-name", "月湖街道议事会秘书", "--role", "council_secretary", "--region", STREET)
    assert made.returncode == 0, made.stdout + made.stderr

    # -- the street office's inbox ----------------------------------------------------------
    office = j.person("street", OFFICE)
    office.log_in("ningbo_street")
    office.go(f"/r/{STREET}/escalations")
    page = office.page
    assert page.locator("main h1").inner_text().endswith(t("Escalation inbox"))
    card = page.locator("ul.cards > li.card").filter(has_text="受理时上移").first
    topic_title = card.locator("h2").inner_text()
    affected = card.locator("dl.facts dd").nth(1).inner_text()
    communities = re.split(r"[、,]\s*", affected)
    assert len(communities) == 2, affected
    j.shot(office, "inbox")
    office.follow(card.get_by_role("link", name=t("Open and take it up")))
    topic_id = int(re.search(r"/topics/(\d+)$", page.url).group(1))
    assert page.locator("main h1").inner_text() == topic_title

    # The street takes it up for its own council: where the procedure has 确定议题 (not Ningbo's,
    # whose admission leads straight to research), it confirms the topic first.
    now_section = page.locator("section[aria-labelledby=now-h]")
    if now_section.get_by_role("link", name=j.title("confirm"), exact=True).count() if city.procedure.step(
            "confirm") else 0:
        form = j.open_action(office, "confirm")
        field_of(form, t("Note")).fill("涉及两个社区，由街道协商议事会组织联席协商。")
        j.take(office, form, "confirm")
    j.shot(office, "taken-up")

    # -- the street council's secretary researches it and convenes the joint meeting -----------
    secretary = j.person("secretary", PHONE)
    secretary.visit.log_in(SECRETARY, PASSWORD)
    secretary.landed()
    secretary.go(f"/topics/{topic_id}")
    form = j.open_action(secretary, "record_research")
    field_of(form, METHOD_LABELS["site_visit"][0]).check()
    field_of(form, t("Note")).fill("街道议事会固定成员到两个社区实地查看。")
    field_of(form, t("Findings")).fill("两个社区共用停车场，夜间车位缺口约 40 个。")
    field_of(form, t("Feasibility")).fill("街道统筹空地，两个社区分摊管理。")
    field_of(form, t("Draft plan")).fill("增设临时车位，两个社区轮流管理。")
    visit = form.locator("fieldset", has_text=t("Fixed members who went")).last
    for box in visit.get_by_role("checkbox").all()[:2]:
        box.check()
    field_of(form, t("Date of the visit")).fill(datetime.now(CHINA_TZ).date().isoformat())
    field_of(form, t("Where they went")).fill("两个社区共用停车场")
    j.take(secretary, form, "record_research")

    form = j.open_action(secretary, "schedule_meeting")
    joint = form.locator("fieldset.joint-invitees")
    invited = joint.inner_text()
    for name in communities:
        assert name in invited, f"{name} has no representative on the form:\n{invited}"
    ticked = joint.locator("input:checked")
    assert ticked.count() >= 2, "each community's chair is invited"
    assert field_of(form, t("Kind of meeting")).input_value() == "joint", "a shared topic's meeting is joint"
    j.shot(secretary, "joint-meeting-form")
    now = datetime.now(timezone.utc)
    starts = now + timedelta(days=city.plan_days, hours=2)
    meeting_title = f"联席协商会（{j.tag}）"
    field_of(form, t("Form of consultation")).select_option("meeting")
    field_of(form, t("Time (China time)")).fill(china_minutes(starts))
    field_of(form, t("Place")).fill("月湖街道议事厅")
    field_of(form, t("Meeting title")).fill(meeting_title)
    field_of(form, t("Plan and agenda")).fill("一、通报调研情况；二、两个社区代表发言；三、表决。")
    j.take(secretary, form, "schedule_meeting")
    form = j.open_action(secretary, "publish_plan")
    field_of(form, t("Note")).fill("协商方案已在两个社区公示栏张贴。")
    j.take(secretary, form, "publish_plan")
    shift = f"interval '{city.plan_days} days 3 hours'"
    live_server.sql(f"UPDATE meetings SET starts_at = starts_at - {shift}, plan_published_at = plan_published_at - "
                    f"{shift} WHERE id IN (SELECT meeting_id FROM meeting_topics WHERE topic_id = {topic_id})")
    # Both communities' representatives are among the meeting's participants.
    participants = live_server.sql(
        "SELECT string_agg(name, '|') FROM meeting_participants WHERE meeting_id IN "
        f"(SELECT meeting_id FROM meeting_topics WHERE topic_id = {topic_id})")
    for name in communities:
        assert name in participants, participants

    # -- the meeting: attendance, a passing vote, the outcome on notice -------------------------
    page = secretary.page
    secretary.follow(page.locator("section[aria-labelledby=meetings-h]").get_by_role("link", name=meeting_title))
    attendance = page.locator("form[action$='/attendance']")
    for box in attendance.get_by_role("group", name=t("Who is present")).get_by_role("checkbox").all():
        box.check()
    secretary.follow(attendance.get_by_role("button", name=t("Record attendance")))
    vote = page.locator(f"#vote-{topic_id}")
    voters = vote.locator("select[name^=choice_]").count()
    field_of(vote, CHOICE_LABELS["for"][0]).fill(str(voters))
    field_of(vote, t("Resolution")).fill("增设临时车位 40 个，两个社区轮流管理。")
    secretary.follow(vote.get_by_role("button", name=t("Record the vote")))
    assert page.locator(f"#vote-{topic_id} .badge.ok", has_text=t("Vote passed")).count()
    secretary.follow(page.locator("form[action$='/close']").get_by_role("button", name=t("Close the meeting record")))
    secretary.follow(page.locator("#agenda").get_by_role("link", name=topic_title))
    form = j.open_action(secretary, "record_resolution")
    field_of(form, t("Form of the outcome")).select_option(city.outcome)
    outcome = f"增设临时车位 40 个，两个社区轮流管理（{j.tag}）。"
    field_of(form, t("Text of the outcome")).fill(outcome)
    field_of(form, t("Responsible party")).fill("月湖街道")
    field_of(form, t("Measures")).fill("街道统筹场地，两个社区居委会分摊管理。")
    field_of(form, t("Deadline")).fill((now + timedelta(days=30)).astimezone(CHINA_TZ).date().isoformat())
    field_of(form, t("Note")).fill("联席协商会议表决通过。")
    j.take(secretary, form, "record_resolution")
    j.shot(secretary, "topic-on-notice")

    # -- both communities' public pages show it -------------------------------------------------
    resident = j.person("resident", PHONE)
    codes = live_server.sql(f"SELECT string_agg(region_code, ',' ORDER BY region_code) FROM topic_regions "
                            f"WHERE topic_id = {topic_id}").split(",")
    assert len(codes) == 2
    for code in codes:
        resident.go(f"/c/{code}")
        board = resident.page.locator("#notices").inner_text()
        assert topic_title in board and outcome in board, f"/c/{code} does not show the outcome:\n{board}"
        j.shot(resident, f"public-{code}")

    for someone in j.people:
        assert someone.visit.offsite == [], f"{someone.name} asked other hosts: {someone.visit.offsite}"
        someone.visit.context.close()
