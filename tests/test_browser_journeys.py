"""A whole consultation in the browser, once for each city's own procedure (issue 10).

A resident on a phone submits a topic with a photo at the community's public page and follows
it by its tracking code; the council's secretary, at an office screen, takes it from the topic
board through screening, research, the meeting (attendance and a vote), the outcome and its
public notice, which is printed with a QR code; the resident objects on the phone and reads the
council's answer; once the notice period is over, the results are confirmed and carried out
(a task, progress with a photo, completion), the topic is closed and rated, and the resident's
tracking page shows every message the council sent. Steps the procedure gives to the chair
alone (确定议题, 确认协商结果) are taken by the chair, logged in on a phone of their own.

Everything is done as a user does it: links and buttons are clicked, fields are filled by
their labels (within their form, where a page repeats a label). The database is only read to learn an
id, and written twice where the test cannot wait: a notice period of days, and for Ningbo a
plan published days before its meeting. Every page is checked for sideways scrolling and for
English left in the Chinese view, and no browser may ask any host but the app's own for anything.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from admin_ui.i18n import Language
from core.clock import CHINA_TZ
from core.consultation.views import CHOICE_LABELS, METHOD_LABELS, OUTCOME_LABELS
from core.procedures.flowchart import STATUS_TITLES
from core.procedures.model import Action, Procedure
from plugins.jinchang.procedure import JINCHANG
from plugins.ningbo.procedure import NINGBO
from plugins.tianshui.procedure import TIANSHUI
from tests.browser_fixtures import OFFICE, PHONE, Visit, browser, live_server, open_visit  # noqa: F401

ZH = Language("zh-CN")
# What the Chinese view may show in Latin letters: the language switch, file formats and units,
# and codes (tracking codes, addresses; the journey's tag is upper-case hex).
LATIN_ALLOWED = {"English", "JPEG", "PNG", "PDF", "DOCX", "XLSX", "Word", "Excel", "MB"}
LATIN = re.compile(r"[A-Za-z]{2,}")
CODES = re.compile(r"https?://\S+|\b[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3}\b|（[0-9A-F]{4}）")


def t(msgid: str, **values) -> str:
    """The interface text as the Chinese view shows it (every msgid used here must be translated)."""
    assert ZH.knows(msgid), f"no Chinese for {msgid!r}"
    return ZH.gettext(msgid, **values)


@dataclass(frozen=True)
class City:
    code: str        # the demo community where the city's chair and secretary sit (tenants/*.toml)
    login: str       # <login>_chair, <login>_secretary
    procedure: Procedure
    outcome: str     # the form of the outcome recorded (core.models.consultation.OUTCOME_FORMS)
    # Ningbo publishes a meeting's plan this many days ahead (consultation.plan_notice_days).
    plan_days: int = 0


CITIES = [
    pytest.param(City("620502001001", "tianshui", TIANSHUI, "resolution"), id="tianshui"),
    pytest.param(City("330203001001", "ningbo", NINGBO, "plan", plan_days=3), id="ningbo"),
    pytest.param(City("620302001001", "jinchang", JINCHANG, "residents_convention"), id="jinchang"),
]


def action_of(procedure: Procedure, key: str) -> Action:
    return next(a for s in procedure.steps for a in s.actions if a.key == key)


def field_of(scope, label: str):
    """The input labelled exactly ``label`` (a required one's label ends in its asterisk)."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}(\s*\*)?\s*$"))


@dataclass
class Person:
    """One user's browser, checking every page it lands on."""

    visit: Visit
    name: str

    @property
    def page(self):
        return self.visit.page

    def landed(self, response=None) -> None:
        self.page.wait_for_load_state()
        if response is not None:
            assert response.status < 400, f"{self.name}: {response.status} at {self.page.url}\n" \
                                          f"{self.page.inner_text('main')[:1500]}"
        assert not self.page.locator("main .errors").count(), \
            f"{self.name} was refused at {self.page.url}:\n{self.page.inner_text('main')[:1500]}"
        self.visit.no_sideways_scroll()
        latin = set(LATIN.findall(CODES.sub(" ", self.page.inner_text("body")))) - LATIN_ALLOWED
        assert not latin, f"English in the Chinese view of {self.page.url}: {sorted(latin)}"

    def go(self, path: str) -> None:
        self.landed(self.page.goto(self.visit.base + path))

    def follow(self, locator) -> None:
        """Click a link or a submit button and wait for the page it leads to."""
        with self.page.expect_navigation() as navigation:
            locator.click()
        self.landed(navigation.value)

    def log_in(self, username: str) -> None:
        self.visit.log_in(username)
        self.landed()

    def flash(self) -> str:
        return self.page.locator("main .flash").inner_text()


@dataclass
class Journey:
    city: City
    browser: object
    server: object
    request: object
    people: list[Person] = field(default_factory=list)
    # Every word the council typed for the proposer or the public: the tracking page must show each.
    replies: list[str] = field(default_factory=list)
    shots: set[str] = field(default_factory=set)
    tag: str = field(default_factory=lambda: secrets.token_hex(2).upper())

    def person(self, name: str, viewport: dict) -> Person:
        someone = Person(open_visit(self.browser, self.server, self.request, viewport, name), name)
        # A missing label or button should fail in seconds, not after Playwright's half minute.
        someone.page.set_default_timeout(10_000)
        self.people.append(someone)
        return someone

    def shot(self, person: Person, name: str) -> None:
        person.visit.shot(name)
        self.shots.add(name)

    def title(self, key: str) -> str:
        return action_of(self.city.procedure, key).title_zh

    def open_action(self, person: Person, key: str) -> object:
        """On the topic page, press the action's button; its form, screenshotted once."""
        now = person.page.locator("section[aria-labelledby=now-h]")
        person.follow(now.get_by_role("link", name=self.title(key), exact=True))
        assert re.search(rf"/topics/\d+/act/{key}$", person.page.url), person.page.url
        assert person.page.locator("h1").inner_text() == self.title(key)
        if f"form-{key}" not in self.shots:
            self.shot(person, f"form-{key}")
        return person.page.locator("form.action-form")

    def take(self, person: Person, form, key: str) -> None:
        person.follow(form.get_by_role("button", name=self.title(key), exact=True))
        assert re.search(r"/topics/\d+$", person.page.url), person.page.url
        assert person.flash() == t("The action was recorded.")


def png(path: Path, colour: str) -> Path:
    """A small real photo file: a street lamp drawn on a wall."""
    image = Image.new("RGB", (96, 64), "#d9d4c7")
    draw = ImageDraw.Draw(image)
    draw.rectangle((44, 10, 50, 60), fill="#555")
    draw.ellipse((36, 4, 58, 18), fill=colour)
    image.save(path, format="PNG")
    return path


def china_minutes(moment: datetime) -> str:
    """What a datetime-local input takes: China time to the minute."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("city", CITIES)
def test_a_consultation_from_a_phone_to_the_printed_notice_and_done(live_server, browser, request, tmp_path, city):
    # live_server first: its database is made with asyncio.run, which cannot run inside Playwright's loop.
    j = Journey(city, browser, live_server, request)
    procedure = city.procedure
    topic_title = f"3号楼前路灯不亮（{j.tag}）"

    # -- (a) a resident submits a topic with a photo and follows it ---------------------------
    resident = j.person("resident", PHONE)
    resident.go(f"/c/{city.code}")
    region_name = resident.page.locator("main h1").inner_text()
    assert resident.page.get_by_role("heading", name=t("Notice board"), exact=True).is_visible()
    j.shot(resident, "public-page")
    resident.follow(resident.page.get_by_role("link", name=t("Submit a topic"), exact=True))
    assert resident.page.url.endswith(f"/c/{city.code}/submit")
    j.shot(resident, "submit-form")
    page = resident.page
    assert region_name in page.locator("main p").first.inner_text(), "the form says whose council it goes to"
    field_of(page, t("Title")).fill(topic_title)
    field_of(page, t("Description")).fill("3号楼前的路灯坏了两个星期，晚上老人出门看不清台阶。")
    category = field_of(page, t("Kind of matter"))
    category.select_option(index=4)
    number, item_text = category.locator("option:checked").inner_text().split(". ", 1)
    field_of(page, t("Photos")).set_input_files(str(png(tmp_path / "lamp.png", "#ffd24a")))
    field_of(page, t("Your name")).fill("张桂兰")
    field_of(page, t("Phone or e-mail")).fill("13812345678")
    resident.follow(page.get_by_role("button", name=t("Submit"), exact=True))
    assert re.search(r"/t/[A-Z0-9-]+\?new=1$", page.url), page.url
    assert page.get_by_role("heading", name=t("Your topic has been submitted")).is_visible()
    tracking = page.locator(".tracking-code").inner_text().strip()
    j.shot(resident, "receipt")
    resident.follow(page.locator(".receipt").get_by_role("link", name=f"/t/{tracking}"))
    assert page.url.endswith(f"/t/{tracking}")
    assert page.locator("main h1").inner_text() == topic_title
    assert t("%(n)s photo(s) sent with the topic", n=1) in page.inner_text("main")
    assert procedure.steps[0].title_zh in page.inner_text("main")
    j.shot(resident, "tracking")

    # -- (b) the secretary finds it on the board and takes it to the printed notice -------------
    secretary = j.person("secretary", OFFICE)
    secretary.log_in(f"{city.login}_secretary")
    page = secretary.page
    secretary.follow(page.get_by_role("link", name=t("Topic board"), exact=True).first)
    assert page.url.endswith(f"/r/{city.code}/topics")
    j.shot(secretary, "board")
    first = procedure.steps[0]
    secretary.follow(page.locator(".step-counts").get_by_role("link", name=first.title_zh, exact=True))
    secretary.follow(page.locator("table.data").get_by_role("link", name=topic_title, exact=True))
    topic_id = int(re.search(r"/topics/(\d+)$", page.url).group(1))
    assert page.locator("main h1").inner_text() == topic_title
    j.shot(secretary, "topic-before")

    # Screening: admitted, citing the catalogue item the resident chose.
    form = j.open_action(secretary, "admit")
    cited = form.get_by_label(t("Item %(number)s: %(text)s", number=number, text=item_text))
    assert cited.is_checked(), "the resident's choice is offered first"
    cited.check()
    field_of(form, t("Note")).fill("属于议事目录可以协商的事项，予以受理。")
    admitted = f"感谢您的反映，议事会将在两周内实地查看（{j.tag}）。"
    field_of(form, t("Words for the proposer")).fill(admitted)
    j.replies.append(admitted)
    j.take(secretary, form, "admit")
    history = page.locator("aside").inner_text()
    assert t("citing item %(number)s of the catalogue, “%(text)s”", number=number, text=item_text) in history

    chair = None
    if procedure.step("confirm") is not None:
        # 确定议题 is the chair's (or the street's): the chair logs in on their own phone.
        chair = j.person("chair", PHONE)
        chair.log_in(f"{city.login}_chair")
        chair.follow(chair.page.get_by_role("link", name=t("Topic board"), exact=True).first)
        chair.follow(chair.page.locator(".step-counts").get_by_role(
            "link", name=procedure.step("confirm").title_zh, exact=True))
        chair.follow(chair.page.get_by_role("link", name=topic_title, exact=True))
        form = j.open_action(chair, "confirm")
        field_of(form, t("Note")).fill("经两委会研究，确定为本月协商议题。")
        j.take(chair, form, "confirm")
        secretary.page.reload()
        secretary.landed()

    # Research before consultation (不调研不协商), with a photo of the site.
    form = j.open_action(secretary, "record_research")
    for method in ("site_visit", "interviews"):
        field_of(form, METHOD_LABELS[method][0]).check()
    field_of(form, t("Note")).fill("两名固定成员现场查看。")
    field_of(form, t("Findings")).fill("3号楼前两盏路灯灯泡损坏，线路老化。")
    field_of(form, t("Feasibility")).fill("物业维修基金可以支付，施工一天。")
    field_of(form, t("Draft plan")).fill("更换两盏路灯并检修线路，由物业负责。")
    # The site visit (Jinchang requires it before a meeting): two fixed members, today, where.
    visit = form.locator("fieldset", has_text=t("Fixed members who went")).last
    for box in visit.get_by_role("checkbox").all()[:2]:
        box.check()
    field_of(form, t("Date of the visit")).fill(datetime.now(CHINA_TZ).date().isoformat())
    field_of(form, t("Where they went")).fill("3号楼前")
    j.shot(secretary, "research-form")
    field_of(form, t("Photos and files")).set_input_files(str(png(tmp_path / "site.png", "#333")))
    j.take(secretary, form, "record_research")
    assert "3号楼前两盏路灯灯泡损坏" in page.inner_text("main")

    # The meeting: now for most cities; Ningbo's plan must be out days before, so a few days on.
    form = j.open_action(secretary, "schedule_meeting")
    now = datetime.now(timezone.utc)
    starts = now + timedelta(days=city.plan_days, hours=2) if city.plan_days else now - timedelta(minutes=5)
    meeting_title = f"路灯维修协商会（{j.tag}）"
    field_of(form, t("Form of consultation")).select_option("meeting")
    field_of(form, t("Time (China time)")).fill(china_minutes(starts))
    field_of(form, t("Place")).fill("社区议事厅")
    field_of(form, t("Meeting title")).fill(meeting_title)
    field_of(form, t("Plan and agenda")).fill("一、通报调研情况；二、讨论维修方案；三、表决。")
    field_of(form, f"{t('Name')} 1").fill("王建国")
    field_of(form, f"{t('Kind of participant')} 1").select_option(index=1)
    j.take(secretary, form, "schedule_meeting")

    if procedure.step("announce") is not None:
        # Ningbo: 提前公示协商方案并通报协商主体.
        form = j.open_action(secretary, "publish_plan")
        field_of(form, t("Note")).fill("协商方案已在公示栏张贴。")
        j.take(secretary, form, "publish_plan")
        # Three days pass: the meeting starts now, its plan having gone out three days and more ahead.
        shift = f"interval '{city.plan_days} days 3 hours'"
        live_server.sql(f"UPDATE meetings SET starts_at = starts_at - {shift}, "
                        f"plan_published_at = plan_published_at - {shift} "
                        f"WHERE id IN (SELECT meeting_id FROM meeting_topics WHERE topic_id = {topic_id})")

    # Attendance and a passing vote, on the meeting's page.
    secretary.follow(page.locator("section[aria-labelledby=meetings-h]").get_by_role("link", name=meeting_title))
    assert re.search(r"/meetings/\d+$", page.url), page.url
    attendance = page.locator("form[action$='/attendance']")
    present = attendance.get_by_role("group", name=t("Who is present")).get_by_role("checkbox")
    for box in present.all():
        box.check()
    secretary.follow(attendance.get_by_role("button", name=t("Record attendance")))
    assert secretary.flash() == t("Attendance recorded")
    assert page.locator("#attendance .badge.ok", has_text=t("Quorum reached")).count()
    vote = page.locator(f"#vote-{topic_id}")
    voters = vote.locator("select[name^=choice_]").count()
    assert voters >= present.count() - 1, "everyone marked present may vote"
    field_of(vote, CHOICE_LABELS["for"][0]).fill(str(voters))
    field_of(vote, t("Resolution")).fill("同意更换路灯并检修线路，一个月内完成。")
    secretary.follow(vote.get_by_role("button", name=t("Record the vote")))
    assert secretary.flash() == t("Vote recorded")
    assert page.locator(f"#vote-{topic_id} .badge.ok", has_text=t("Vote passed")).count()
    j.shot(secretary, "meeting")
    close = page.locator("form[action$='/close']")
    secretary.follow(close.get_by_role("button", name=t("Close the meeting record")))
    assert page.locator("main dl.facts .badge", has_text=t("Record closed")).count()
    secretary.follow(page.locator("#agenda").get_by_role("link", name=topic_title))

    # The outcome, which opens the public notice.
    form = j.open_action(secretary, "record_resolution")
    field_of(form, t("Form of the outcome")).select_option(city.outcome)
    field_of(form, t("Text of the outcome")).fill("更换3号楼前两盏路灯并检修线路。")
    field_of(form, t("Responsible party")).fill("社区居委会")
    field_of(form, t("Measures")).fill("物业公司施工，居委会验收。")
    field_of(form, t("Deadline")).fill((now + timedelta(days=30)).astimezone(CHINA_TZ).date().isoformat())
    field_of(form, t("Note")).fill("议事会表决通过。")
    j.take(secretary, form, "record_resolution")
    notices = page.locator("section[aria-labelledby=notices-h]")
    assert notices.locator(".badge.warn", has_text=t("On notice")).count()
    assert OUTCOME_LABELS[city.outcome][0] in page.locator("section[aria-labelledby=outcome-h]").inner_text()
    notice_id = int(live_server.sql(f"SELECT id FROM notices WHERE topic_id = {topic_id} AND status = 'open'"))

    # The notice printed for the wall: its QR code opens the public notice.
    secretary.follow(notices.get_by_role("link", name=t("Print the notice"), exact=True))
    assert page.url.endswith(f"/notices/{notice_id}/print")
    j.shot(secretary, "print")
    qr = page.locator("svg.qr")
    qr.screenshot(path=str(tmp_path / "qr.png"))
    decoded = [code.text for code in zxingcpp.read_barcodes(Image.open(tmp_path / "qr.png"))]
    assert decoded == [f"{live_server.base}/notices/{notice_id}"]

    # -- (c) the resident objects on the phone, the council answers in public ------------------
    resident.go(f"/c/{city.code}")
    card = resident.page.locator("#notices .notice-card", has_text=topic_title)
    resident.follow(card.get_by_role("link", name=t("Read the notice and object")))
    assert resident.page.url.endswith(f"/notices/{notice_id}")
    j.shot(resident, "notice")
    page = resident.page
    field_of(page, t("Your name")).fill("李大爷")
    field_of(page, t("Phone or e-mail")).fill("13900001111")
    objection = "只换灯不够，楼前台阶也要加装扶手。"
    field_of(page, t("Your objection")).fill(objection)
    resident.follow(page.get_by_role("button", name=t("Send the objection")))
    assert resident.flash() == t("Your objection has been received. The council answers it on this page.")
    assert objection in page.locator("#objections").inner_text()

    # The secretary goes back from the print page to the topic, and sees the objection there.
    page = secretary.page
    page.go_back()
    page.reload()
    secretary.landed()
    assert page.url.endswith(f"/topics/{topic_id}")
    form = j.open_action(secretary, "dismiss_objection")
    assert objection in form.inner_text()
    answer = f"扶手不属于本次议题，已另行登记为新议题，路灯方案维持不变（{j.tag}）。"
    field_of(form, t("Public answer")).fill(answer)
    j.replies.append(answer)
    j.take(secretary, form, "dismiss_objection")

    resident.page.reload()
    resident.landed()
    answered = resident.page.locator("#objections .answer")
    assert answer in answered.inner_text() and t("The council's answer") in answered.inner_text()

    # -- (d) the notice period ends; the results are confirmed and carried out ------------------
    # The period is days long: it is made to have ended a minute ago, on the notice and on the
    # topic's notice timer (core.notices.service.open_notice), and the expiry job closes it.
    ended = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    live_server.sql(f"UPDATE notices SET closes_at = '{ended}' WHERE id = {notice_id}")
    live_server.sql(f"UPDATE topics SET timers = jsonb_set(timers::jsonb, '{{notice}}', to_jsonb('{ended}'::text))"
                    f"::json WHERE id = {topic_id}")
    run = live_server.yishi("jobs", "run", "notices.close_expired")
    assert run.returncode == 0 and " done" in run.stdout, run.stdout + run.stderr
    assert live_server.sql(f"SELECT status FROM notices WHERE id = {notice_id}") == "closed", \
        run.stdout + run.stderr + live_server.sql(f"SELECT closes_at, now() FROM notices WHERE id = {notice_id}")

    # 确认协商结果 is the chair's: they come to it from the notification of the closed notice.
    if chair is None:
        chair = j.person("chair", PHONE)
        chair.log_in(f"{city.login}_chair")
    page = chair.page
    chair.follow(page.locator("header a.bell"))
    chair.follow(page.locator(".notification-list li", has_text=topic_title).get_by_role("button").first)
    assert page.url.endswith(f"/topics/{topic_id}"), page.url
    form = j.open_action(chair, "confirm_results")
    field_of(form, t("Note")).fill("同级党组织确认协商结果。")
    j.take(chair, form, "confirm_results")

    # A task, its progress with a photo and its completion, on the implementation page.
    page = secretary.page
    secretary.page.reload()
    secretary.landed()
    secretary.follow(page.get_by_role("link", name=t("Tasks, progress, supervision and evaluation")))
    assert page.url.endswith(f"/topics/{topic_id}/implementation")
    task_form = page.locator("form[action$='/tasks']")
    field_of(task_form, t("Task")).fill("更换3号楼前路灯")
    field_of(task_form, t("Responsible party")).fill("物业公司")
    field_of(task_form, t("Deadline")).fill((now + timedelta(days=20)).astimezone(CHINA_TZ).date().isoformat())
    field_of(task_form, t("Measures")).fill("购买灯具，安排电工施工。")
    secretary.follow(task_form.get_by_role("button", name=t("Set the task")))
    task = page.locator("article.task", has_text="更换3号楼前路灯")
    task.locator("summary", has_text=t("Report progress")).click()
    progress = task.locator("form[action$='/progress']")
    field_of(progress, t("What has been done")).fill("灯具已到货，明天施工。")
    field_of(progress, t("Percent done")).fill("50")
    field_of(progress, t("Photos")).set_input_files(str(png(tmp_path / "lamps.png", "#fff7c2")))
    secretary.follow(progress.get_by_role("button", name=t("Report progress")))
    task = page.locator("article.task", has_text="更换3号楼前路灯")
    assert task.locator("ul.photos img").count() == 1, "the progress photo is shown"
    task.locator("summary", has_text=t("Complete the task")).click()
    done = task.locator("form[action$='/complete']")
    field_of(done, t("How it was done")).fill("两盏路灯已更换，线路已检修。")
    secretary.follow(done.get_by_role("button", name=t("Complete the task")))
    assert page.locator("article.task .badge.ok", has_text=t("Completed")).count()

    # The procedure's remaining steps: Ningbo evaluates before closing; every procedure closes.
    secretary.follow(page.get_by_role("link", name=t("The topic and its history")))
    if procedure.step("evaluate") is not None:
        form = j.open_action(secretary, "to_evaluation")
        field_of(form, t("Note")).fill("任务全部完成，转入评估评议。")
        j.take(secretary, form, "to_evaluation")
        secretary.follow(page.get_by_role("link", name=t("Tasks, progress, supervision and evaluation")))
        report = page.locator("form[action$='/evaluation-reports']")
        field_of(report, t("Evaluator")).fill("社区居务监督委员会")
        field_of(report, t("Conclusion")).fill("路灯更换到位，居民满意。")
        field_of(report, t("Score (1 to 100)")).fill("92")
        secretary.follow(report.get_by_role("button", name=t("Attach the report")))
        secretary.follow(page.get_by_role("link", name=t("The topic and its history")))
    form = j.open_action(secretary, "close")
    field_of(form, t("Note")).fill("路灯已修复，议题办结。")
    closing = f"路灯已于本周修好，欢迎继续监督（{j.tag}）。"
    field_of(form, t("Words for the proposer")).fill(closing)
    j.replies.append(closing)
    j.take(secretary, form, "close")
    assert page.locator("main .badge.ok", has_text=t("Closed")).count()
    j.shot(secretary, "topic-after")

    # A rating of the completed topic.
    secretary.follow(page.get_by_role("link", name=t("Tasks, progress, supervision and evaluation")))
    rating = page.locator("form[action$='/ratings']")
    field_of(rating, t("Very satisfied")).check()
    field_of(rating, t("Comment")).fill("维修及时。")
    secretary.follow(rating.get_by_role("button", name=t("Rate")))
    assert page.locator("#ratings .badge.ok", has_text=t("Very satisfied")).count()
    j.shot(secretary, "implementation")

    # The resident's page shows every message the council sent.
    resident.go(f"/t/{tracking}")
    shown = resident.page.inner_text("main")
    for reply in j.replies:
        assert reply in shown, f"{reply!r} is not on the tracking page:\n{shown}"
    assert resident.page.locator("dl.facts .badge.ok").inner_text() == STATUS_TITLES["closed"][0]
    j.shot(resident, "tracking-closed")

    for someone in j.people:
        assert someone.visit.offsite == [], f"{someone.name} asked other hosts: {someone.visit.offsite}"
        someone.visit.context.close()
    assert {"public-page", "submit-form", "receipt", "tracking", "board", "topic-before", "topic-after", "meeting",
            "print", "notice", "implementation"} <= j.shots
