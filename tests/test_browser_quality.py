"""Every page, checked as a whole: its words (zh-CN and English), axe-core, the keyboard, other hosts.

The demo (tests/browser_fixtures.py: ``yishi demo`` on PostgreSQL) is crawled from the pages
themselves: as each city's council secretary and chair (the main demo community of Tianshui,
Ningbo, Jinchang and Lianyungang, whose topics stand at every step of the city's own procedure),
as its street staff, and as a resident without an account. Every link to a page is followed, so
each topic page's action buttons, each meeting, notice and implementation page and each council
form is reached as a user reaches it; a new page shape is covered without touching this file.

- Words: each page is read in Chinese and, after the language switch, in English. The Chinese
  view has no Latin word but names and codes (a tiny allowlist); neither view shows an action,
  step or enum key, ``system``, ``None`` or a template's leftovers; the English view shows no
  Chinese interface text (a catalogue's Chinese msgstr or a bilingual label's Chinese half).
  Each kind of form, sent as it came with a required field empty, answers its errors the same way.
- axe-core in chromium at 1366×768 and 390×844 on a page of each shape (an action form of each
  kind, a topic in each step, the public page and the council page of each city): no serious or
  critical violation, and no sideways scroll.
- The keyboard alone: the skip link first, a visible focus ring, log in, the board's topic link,
  the topic's action button, its form filled and sent: the topic moves on.
- Every browser context asks no host but the app's own.

The keyboard test changes a topic (a Lianyungang one, which the journeys leave alone), so it runs last.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from core.authz.roles import ROLE_LABELS, Role
from core.builtin import make_plugin_manager
from core.catalogue import KINDS as CATALOGUE_KINDS
from core.consultation.kinds import BUILTIN_KINDS
from core.consultation.views import CHOICE_LABELS, FORM_LABELS, METHOD_LABELS, OUTCOME_LABELS
from core.councils.categories import CATEGORY_LABELS, DOCUMENT_KINDS, ROLES_IN_COUNCIL
from core.models.consultation import (MEETING_FORMS, MEETING_STATUSES, OUTCOME_FORMS, RESEARCH_METHODS,
                                      VOTE_CHOICES)
from core.councils.nominations import NOMINATIONS
from core.models.escalation import ESCALATION_TRIGGERS, REPORT_KINDS, REPORT_STATUSES
from core.models.implementation import TASK_STATUSES
from core.models.notice import NOTICE_RESULTS, NOTICE_STATUSES, OBJECTION_STATUSES
from core.models.region import RegionLevel
from core.models.topic import CHANNELS, SCALES
from core.procedures.model import STATUSES
from core.procedures.registry import procedure_registry
from core.topics.service import CHANNEL_LABELS, SCALE_LABELS

from admin_ui.i18n import catalogue
from admin_ui.pages.topics import FORM_FIELDS, declared_action, form_kind
from tests.browser_fixtures import (DEMO_PASSWORD, OFFICE, PHONE, AXE, browser, dump, live_server,  # noqa: F401
                                    open_visit, visible_text)

CITIES = ("tianshui", "ningbo", "jinchang", "lianyungang")

# -- what the pages may not show ------------------------------------------------------------

# Latin text the Chinese view may show, each a name or a code, not an interface word:
ALLOWED_LATIN = [
    re.compile(r"\b[2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){3}\b"),  # a tracking code (core.public.service)
    re.compile(r"1\+7\+X|\bX\b"),  # the councils' composition and its invited members, the seeds' own code
    re.compile(r"https?://\S+"),  # the printed notice's address under its QR code
    re.compile(r"\bEnglish\b"),  # the language switch names its language in that language
    re.compile(r"\b(?:JPEG|PNG|PDF|DOCX|XLSX|Word|Excel|MB)\b"),  # file types and sizes in the upload hints
    re.compile(r"\bA4\b"),  # the paper the notice is printed on
]
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[-'][A-Za-z0-9_]+)*")
LEFTOVERS = re.compile(r"\bNone\b|\bnull\b|\bundefined\b|\bNaN\b|\{\{|\}\}|\{%|%\}|%\(|\[object")


# Every procedure the installed plugins supply (the host is kept: the registry lives as long as it does).
_PLUGINS = make_plugin_manager()
REGISTRY = procedure_registry(_PLUGINS)


def _plain_keys() -> set[str]:
    """Every key a page must translate: procedures' step, action and guard keys, every enum value."""
    keys: set[str] = set()
    for key in REGISTRY.keys():
        keys.add(key)
        for version in REGISTRY.versions(key):
            procedure = REGISTRY.get(key, version)
            for stage in procedure.stages:
                keys.add(stage.key)
            for step in procedure.steps:
                keys.add(step.key)
                for action in step.actions:
                    keys.update({action.key, action.kind, *(g.name for g in action.guards)})
    enums = (CHANNELS, SCALES, MEETING_FORMS, MEETING_STATUSES, OUTCOME_FORMS, RESEARCH_METHODS, VOTE_CHOICES,
             TASK_STATUSES, NOTICE_STATUSES, NOTICE_RESULTS, OBJECTION_STATUSES, REPORT_KINDS, REPORT_STATUSES,
             ESCALATION_TRIGGERS, STATUSES, CATALOGUE_KINDS, [r.value for r in Role], [lv.value for lv in RegionLevel],
             [k.key for k in BUILTIN_KINDS], CATEGORY_LABELS, ROLES_IN_COUNCIL, DOCUMENT_KINDS, NOMINATIONS)
    for values in enums:
        keys.update(str(v) for v in values)
    return {k for k in keys if k}


KEYS = _plain_keys()
# In the English view a key that is an ordinary word ("open", "meeting") reads as English; one
# written as an identifier (record_research, site_visit, no_objection) never does.
IDENTIFIER_KEYS = {k for k in KEYS if "_" in k or re.search(r"[a-z][A-Z]", k)}


def _chinese_labels() -> set[str]:
    """The Chinese half of every interface text: the zh catalogue and the bilingual labels."""
    labels = {text for text in catalogue("zh_CN").values() if "%(" not in text}
    # (Not the document kinds: the demo's documents are titled with them.)
    for pairs in (ROLE_LABELS, CATEGORY_LABELS, ROLES_IN_COUNCIL, CHANNEL_LABELS, SCALE_LABELS,
                  FORM_LABELS, METHOD_LABELS, OUTCOME_LABELS, CHOICE_LABELS,
                  {k.key: (k.title_zh, k.title_en) for k in BUILTIN_KINDS}):
        labels.update(zh for zh, en in pairs.values() if zh != en)
    for key in REGISTRY.keys():
        for version in REGISTRY.versions(key):
            procedure = REGISTRY.get(key, version)
            for item in (procedure, *procedure.stages, *procedure.steps,
                         *(a for s in procedure.steps for a in s.actions)):
                if item.title_zh and item.title_en and item.title_zh != item.title_en:
                    labels.add(item.title_zh)
    # A one- or two-character label ("是", "居民") is also part of names and titles that are data.
    return {label for label in labels if len(label) >= 3}


CHINESE_LABELS = _chinese_labels()
# An interface text long enough not to be part of a name or title is looked for inside sentences too
# (the catalogue's only: a role label is part of the demo users' names, "进步巷社区议事会秘书").
_LONG_LABELS = re.compile("|".join(re.escape(text) for text in sorted(catalogue("zh_CN").values(), key=len,
                                                                      reverse=True)
                                   if len(text) >= 5 and "%(" not in text))
_ATTRIBUTES = re.compile(r'\s(?:aria-label|title|alt|placeholder|data-label)="([^"]*)"')
_TITLE = re.compile(r"(?is)<title>(.*?)</title>")
_CJK = re.compile(r"[\u3400-\u9fff]")


def read_texts(html: str) -> tuple[str, list[str]]:
    """What a reader sees or hears: the visible text, the page title, and the attribute texts a
    screen reader or the phone layout (``data-label``) shows; and the text nodes one by one."""
    body = re.sub(r"(?is)<head\b.*?</head>", " ", html)
    said = [unescape(v) for v in _ATTRIBUTES.findall(body)] + [unescape(t) for t in _TITLE.findall(html)]
    shown = unescape(visible_text(body))
    nodes = [n.strip() for n in re.split(r"(?s)<[^>]+>", re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", body))]
    return " ".join([shown, *said]), [unescape(n) for n in nodes if n] + said


def chinese_view_problems(text: str) -> list[str]:
    for allowed in ALLOWED_LATIN:
        text = allowed.sub(" ", text)
    return sorted(set(LATIN_WORD.findall(text)))


def key_problems(text: str, keys: set[str]) -> list[str]:
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text))
    return sorted(words & keys)


def leftover_problems(text: str) -> list[str]:
    return sorted(set(LEFTOVERS.findall(text)))


def english_view_problems(nodes: list[str]) -> list[str]:
    """Chinese interface text, and the platform's raw actor (``system`` as a text of its own: the
    word inside a phrase is English, e.g. "the river-chief system" of a catalogue item)."""
    return sorted({n for n in nodes if (_CJK.search(n) and (n in CHINESE_LABELS or _LONG_LABELS.search(n)))
                   or n == "system"})


# -- crawling the demo ------------------------------------------------------------------------

# Pages a link may lead to (GET); everything else (assets, attachments, the API, the switch) is not a page.
PAGE_PATH = re.compile(r"^/(?:$|login$|notifications$|t/[\w-]+$|c/\d+(?:/submit)?$|notices/\d+(?:/print)?$|"
                       r"meetings/\d+$|r/\d+/(?:topics|meetings|council|regions|communities|escalations|reports|"
                       r"units|dashboard|compliance|admin)(?:/[\w/-]*)?$|"
                       r"topics/\d+(?:/act/\w+|/escalate|/upward-report|/implementation)?$)")
# Per user, one page of a shape is read (a shape: the path with its numbers replaced, the query's
# names); every topic, action form, meeting and notice is read, since each shows something of its own.
EVERY = re.compile(r"^/(?:topics/\d+(?:/act/\w+)?|meetings/\d+|notices/\d+)$")
_HREF = re.compile(r'<a\b[^>]*\shref="([^"]+)"')


def shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query)})
    path = re.sub(r"^/t/.+", "/t/CODE", parts.path)
    return re.sub(r"\d+", "N", path) + ("?" + "&".join(keys) if keys else "")


@dataclass
class Page:
    url: str
    user: str | None  # None: a resident without an account
    city: str | None
    status: int = 200
    html: str = ""  # as read in Chinese by the crawl


def log_in(client: httpx.Client, base: str, username: str) -> None:
    """The login page's form, sent from our own origin, as a browser does."""
    answer = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "next": "/"},
                         headers={"Origin": base})
    assert answer.status_code == 303, (username, answer.status_code, answer.text[:500])


def new_client(base: str, username: str | None, language: str = "zh-CN") -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    if language != "zh-CN":
        # The switch sets the remembered cookie (a year) and comes back to the page.
        answer = client.get("/lang/" + language, params={"next": "/"})
        assert answer.status_code == 303 and client.cookies.get("yishi_lang") == language, answer.headers
    if username:
        log_in(client, base, username)
    return client


def links(html: str) -> list[str]:
    found = []
    for href in _HREF.findall(html):
        href = unescape(href).split("#")[0]
        if href.startswith("/") and PAGE_PATH.match(urlsplit(href).path):
            found.append(href)
    return found


def crawl(client: httpx.Client, user: str | None, city: str | None, seeds: list[str], pages: dict[str, Page],
          keep=lambda url: True) -> None:
    """Read ``seeds`` and every page their links lead to (within ``keep``) into ``pages`` (url → Page);
    a page another user has read already is read again only for its links."""
    seen_shapes: Counter = Counter()
    queue, read = list(seeds), set()
    while queue:
        url = queue.pop(0)
        if url in read or not keep(url):
            continue
        if not EVERY.match(url) and url not in seeds and seen_shapes[shape(url)]:
            continue
        seen_shapes[shape(url)] += 1
        read.add(url)
        answer = client.get(url)
        assert answer.status_code == 200, (user, url, answer.status_code, visible_text(answer.text)[:600])
        pages.setdefault(url, Page(url, user, city, html=answer.text))
        queue.extend(links(answer.text))


def _topic_of(url: str) -> str | None:
    """The topic id of a topic page or one of its action forms."""
    found = re.match(r"^/topics/(\d+)(?:/act/\w+)?$", url)
    return found.group(1) if found else None


def form_of(demo: "Demo", url: str) -> str:
    """The kind of form (``admin_ui.pages.topics.FORM_FIELDS``) an action page shows."""
    procedure_key, step, _status = demo.topic_steps[_topic_of(url)].split(":")
    return form_kind(declared_action(REGISTRY.latest(procedure_key), step, url.rsplit("/", 1)[1]))


@dataclass
class Demo:
    base: str
    pages: list[Page]
    community: dict[str, str]  # city → its main demo community (where its council officers work)
    tracking_codes: list[str]
    topic_steps: dict[str, str]  # topic id → procedure:step:status


def _one(live_server, statement: str) -> str:
    found = live_server.sql(statement)
    assert found, statement
    return found.splitlines()[0]


@pytest.fixture(scope="module")
def demo(live_server) -> Demo:
    return crawl_demo(live_server)


def send_form(client: httpx.Client, base: str, url: str, fields: dict, action: str | None = None) -> str:
    """Fill in the form of the page at ``url`` and send it as the browser does; returns where it leads."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    once = re.search(r'name="_once" value="([^"]+)"', page.text).group(1)
    sent = client.post(action or url, headers={"Origin": base},
                       data={**fields, "_once": once, "_csrf": client.cookies.get("yishi_csrf", "")})
    assert sent.status_code == 303, (url, sent.status_code, visible_text(sent.text)[:800])
    return sent.headers["location"]


def chair_steps() -> set[tuple[str, str]]:
    """(procedure, step) where the chair may do what the secretary may not (confirming, for one)."""
    return {(key, step.key) for key in REGISTRY.keys() for version in REGISTRY.versions(key)
            for step in REGISTRY.get(key, version).steps
            if any(Role.council_chair in a.roles and Role.council_secretary not in a.roles for a in step.actions)}


# The upper levels' pages of a region (issue 13), the seeds of the street's and the city's crawls.
OVERSIGHT_PAGES = ("topics", "dashboard", "compliance", "regions", "communities", "escalations", "reports")


def crawl_demo(live_server) -> Demo:
    base = live_server.base
    community = {city: _one(live_server, f"SELECT g.region_code FROM role_grants g JOIN users u ON u.id = g.user_id "
                                         f"WHERE u.username = '{city}_secretary'") for city in CITIES}
    street = {city: _one(live_server, f"SELECT g.region_code FROM role_grants g JOIN users u ON u.id = g.user_id "
                                      f"WHERE u.username = '{city}_street'") for city in CITIES}

    # A resident's tracking code, as a resident gets one: through the community's submit form.
    resident = new_client(base, None)
    ours = community["lianyungang"]
    tracked = send_form(resident, base, f"/c/{ours}/submit",
                        {"title": "小区门口人行道破损", "description": "人行道地砖松动，老人容易绊倒。"})
    assert tracked.startswith("/t/"), tracked
    tracking_codes = [urlsplit(tracked).path.removeprefix("/t/")]
    # A closed demo topic's long history read by its code too: the demo seeds no receipts (its topics
    # came in through the council), so one is filed for it here, the same row the public door writes.
    closed = _one(live_server, f"SELECT id FROM topics WHERE region_code = '{community['tianshui']}' "
                               f"AND status = 'closed' ORDER BY id LIMIT 1")
    live_server.sql(f"INSERT INTO public_receipts (topic_id, tracking_code, created_at) "
                    f"VALUES ({closed}, 'QUALTEST2345ABCD', now()) ON CONFLICT DO NOTHING")
    tracking_codes.insert(0, "QUAL-TEST-2345-ABCD")  # first: the richer page is the one axe reads
    # Two forms the demo's topics do not offer yet, made offered in Lianyungang (which the journeys
    # leave alone): scheduling a meeting once research is on record, and answering an objection.
    secretary = new_client(base, "lianyungang_secretary")
    researching = _one(live_server, f"SELECT id FROM topics WHERE region_code = '{ours}' AND step = 'research' "
                                    f"AND status = 'open' ORDER BY id LIMIT 1")
    send_form(secretary, base, f"/topics/{researching}/act/record_research",
              {"method": "site_visit", "findings": "走访楼栋居民，多数赞成。", "note": "费用可由维修资金列支，可行。"})
    secretary.close()
    notice = _one(live_server, f"SELECT n.id FROM notices n JOIN topics t ON t.id = n.topic_id "
                               f"WHERE t.region_code = '{ours}' AND n.status = 'open' ORDER BY n.id LIMIT 1")
    send_form(resident, base, f"/notices/{notice}", {"name": "王女士", "contact": "13800000000", "text": "施工时间应避开午休。"},
              action=f"/notices/{notice}/object")
    topic_steps = dict(line.split("|") for line in live_server.sql(
        "SELECT id, procedure_key || ':' || step || ':' || status FROM topics").splitlines())
    chairs = chair_steps()

    public = ["/", "/?q=社区", "/login", "/t", *(f"/t/{c}" for c in tracking_codes)]
    for city in CITIES:
        public += [f"/c/{community[city]}", f"/c/{community[city]}/submit"]
    pages: dict[str, Page] = {}
    crawl(resident, None, None, public, pages,
          keep=lambda url: not url.startswith(("/r/", "/topics", "/meetings", "/notifications")))

    def council_pages(city: str) -> dict[str, Page]:
        code, found = community[city], {}
        topic_ids = live_server.sql(f"SELECT id FROM topics WHERE region_code = '{code}' ORDER BY id").split()
        board = f"/r/{code}/topics"
        seeds = [board, f"{board}?status=closed", f"{board}?channel=resident", f"{board}?overdue=1",
                 f"{board}?status=open&channel=member&overdue=1", f"/r/{code}/council", f"/r/{code}/meetings",
                 "/notifications", *(f"/topics/{i}" for i in topic_ids)]
        crawl(new_client(base, f"{city}_secretary"), f"{city}_secretary", city, seeds, found,
              keep=lambda url: code in url or not re.search(r"/(?:r|c)/\d", url))
        # The chair may press buttons the secretary may not (e.g. confirming a topic).
        chaired = [i for i in topic_ids if tuple(topic_steps[i].split(":")[:2]) in chairs]
        crawl(new_client(base, f"{city}_chair"), f"{city}_chair", city, [f"/topics/{i}" for i in chaired],
              found, keep=lambda url: _topic_of(url) in chaired)
        # Street staff: the street's board, its oversight pages and the street's own topics.
        street_pages = f"/r/{street[city]}/"
        street_ids = live_server.sql(f"SELECT id FROM topics WHERE region_code = '{street[city]}' ORDER BY id").split()
        crawl(new_client(base, f"{city}_street"), f"{city}_street", city,
              [f"{street_pages}{page}" for page in OVERSIGHT_PAGES] + [f"/topics/{i}" for i in street_ids], found,
              keep=lambda url: url.startswith(street_pages) or _topic_of(url) in street_ids)
        # The city's administrator: the city's dashboard, compliance map, tree and inboxes.
        city_pages = f"/r/{code[:4]}/"
        crawl(new_client(base, f"{city}_admin"), f"{city}_admin", city,
              [f"{city_pages}{page}" for page in OVERSIGHT_PAGES if page != "communities"], found,
              # The administration pages have their own crawl with these checks (tests/test_browser_admin.py).
              keep=lambda url: url.startswith(city_pages) and f"{city_pages}admin" not in url)
        return found

    # The cities side by side: the server answers several requests at once.
    with ThreadPoolExecutor(len(CITIES)) as pool:
        for found in pool.map(council_pages, CITIES):
            for url, page in found.items():
                pages.setdefault(url, page)
    # The error page, for a resident and for a signed-in user.
    pages["/c/999999999999"] = Page("/c/999999999999", None, None, 404)
    pages["/topics/99999999"] = Page("/topics/99999999", "tianshui_secretary", "tianshui", 404)
    return Demo(base, list(pages.values()), community, tracking_codes, topic_steps)


# -- 1. the words of every page -----------------------------------------------------------------


def test_every_page_reads_in_chinese_and_in_english_with_nothing_raw(demo):
    urls = {p.url for p in demo.pages}
    # The crawl must have reached every kind of page there is, or this test proves little.
    for expected in (r"/", r"/\?q=.+", r"/login", r"/c/\d+", r"/c/\d+/submit", r"/t/[\w-]+", r"/notices/\d+",
                     r"/notices/\d+/print", r"/r/\d+/topics", r"/r/\d+/topics\?step=\w+", r"/r/\d+/topics\?.*overdue.*",
                     r"/r/\d+/topics/new", r"/topics/\d+", r"/topics/\d+/act/\w+", r"/topics/\d+/escalate",
                     r"/topics/\d+/upward-report", r"/topics/\d+/implementation", r"/r/\d+/meetings", r"/meetings/\d+",
                     r"/r/\d+/council", r"/r/\d+/council/members/new", r"/r/\d+/council/members/\d+/edit",
                     r"/r/\d+/council/members/\d+/leave", r"/r/\d+/council/terms/new", r"/r/\d+/council/edit",
                     r"/r/\d+/council/documents/new", r"/notifications", r"/r/\d+/regions(?:\?.*)?",
                     r"/r/\d+/communities", r"/r/\d+/escalations(?:\?.*)?", r"/r/\d+/reports(?:\?.*)?",
                     r"/r/\d+/dashboard", r"/r/\d+/compliance"):
        assert any(re.fullmatch(expected, url) for url in urls), f"no page {expected} reached"
    forms = {form_of(demo, url) for url in urls if "/act/" in url}
    assert forms >= set(FORM_FIELDS), f"no action form of the kinds {set(FORM_FIELDS) - forms} reached"

    problems: dict[str, dict] = defaultdict(dict)
    for page in demo.pages:
        if page.status == 200:
            check_words(problems, "zh-CN", page, page.html)

    def read_in_english(user: str | None) -> list[tuple[Page, httpx.Response]]:
        client = new_client(demo.base, user, "en")
        try:
            return [(page, client.get(page.url)) for page in demo.pages if page.user == user]
        finally:
            client.close()

    by_user = {page.user for page in demo.pages}
    with ThreadPoolExecutor(4) as pool:
        for read in pool.map(read_in_english, sorted(by_user, key=str)):
            for page, answer in read:
                assert answer.status_code == page.status, (page.url, answer.status_code)
                check_words(problems, "en", page, answer.text)
    chinese, signed_in, english = (new_client(demo.base, None), new_client(demo.base, "tianshui_secretary"),
                                   new_client(demo.base, None, "en"))
    try:
        for page in demo.pages:
            if page.status != 200:  # the error page, in Chinese
                answer = (signed_in if page.user else chinese).get(page.url)
                assert answer.status_code == page.status, (page.url, answer.status_code)
                check_words(problems, "zh-CN", page, answer.text)
        # The procedure flowchart is an image of words: its labels follow the language too.
        for city in CITIES:
            for language, client in (("zh-CN", chinese), ("en", english)):
                svg = client.get(f"/c/{demo.community[city]}/procedure.svg")
                assert svg.status_code == 200
                labels = " ".join(unescape(t) for t in re.findall(r"(?s)<text\b[^>]*>(.*?)</text>", svg.text))
                words = (chinese_view_problems(labels) if language == "zh-CN"
                         else key_problems(labels, IDENTIFIER_KEYS))
                if words:
                    problems[f"{language} flowchart of {city}"]["words"] = words
    finally:
        for client in (chinese, signed_in, english):
            client.close()
    assert not problems, dump(problems)


def check_words(problems: dict, language: str, page: Page, html: str) -> None:
    where = f"{language} {page.user or 'resident'} {page.url}"
    assert f'<html lang="{language}"' in html, where
    text, nodes = read_texts(html)
    found = {"leftovers": leftover_problems(text)}
    if language == "zh-CN":
        found["latin"] = chinese_view_problems(text)
    else:
        found["keys"] = key_problems(text, IDENTIFIER_KEYS)
        found["chinese interface text"] = english_view_problems(nodes)
    for kind, words in found.items():
        if words:
            problems[where][kind] = words


_FORM = re.compile(r'(?s)<form\b[^>]*\bmethod="post"[^>]*\baction="([^"]+)"[^>]*>(.*?)</form>')
_TAG_ATTRS = re.compile(r'([\w-]+)(?:="([^"]*)")?')
_CONTROL = re.compile(r"(?s)(?P<tag><input\b[^>]*>)"
                      r"|(?P<tag2><(?:textarea|select)\b[^>]*>)(?P<content>.*?)</(?:textarea|select)>")


def sent_untouched(html: str, action: str) -> list[tuple[str, str]] | None:
    """What the browser sends for the page's form to ``action`` when nothing is typed: the values it
    came with (hidden and prefilled fields, each select's chosen option, what is ticked). None: no such
    form, or none of its required fields is left empty (so the server need not refuse it)."""
    form = next((body for target, body in _FORM.findall(html) if unescape(target) == action), None)
    if form is None:
        return None
    fields: list[tuple[str, str]] = []
    empty_required = False
    for found in _CONTROL.finditer(form):
        tag, content = found.group("tag") or found.group("tag2"), found.group("content") or ""
        attrs = dict(_TAG_ATTRS.findall(tag[1:-1]))
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or kind in ("file", "submit") or kind in ("checkbox", "radio") and "checked" not in attrs:
            continue
        if tag.startswith("<select"):
            chosen = (re.search(r'<option value="([^"]*)"\s*selected', content)
                      or re.search(r'<option value="([^"]*)"', content))
            value = unescape(chosen.group(1)) if chosen else ""
        elif tag.startswith("<textarea"):
            value = unescape(content.strip())
        else:
            value = unescape(attrs.get("value", "on" if kind in ("checkbox", "radio") else ""))
        empty_required |= "required" in attrs and not value
        fields.append((name, value))
    return fields if empty_required else None


def test_a_refused_form_explains_itself_in_the_reader_s_language(demo):
    """Every form sent as it came, a required field left empty, comes back with its errors in words:
    in Chinese without Latin, in English without keys. Lianyungang's forms only (the journeys walk
    the other cities), one of each kind."""
    chosen: dict[str, Page] = {}
    for page in demo.pages:
        if page.status != 200 or page.city not in ("lianyungang", None):
            continue
        target = page.url.split("?")[0]
        if target.startswith("/notices/"):
            target += "/object"
        if sent_untouched(page.html, target) is None:
            continue
        kind = ("form", form_of(demo, page.url)) if "/act/" in page.url else shape(page.url)
        chosen.setdefault(kind, page)
    assert len(chosen) >= 8, sorted(map(str, chosen))
    problems: dict[str, dict] = defaultdict(dict)
    for language in ("zh-CN", "en"):
        clients: dict[str | None, httpx.Client] = {}
        for page in chosen.values():
            client = clients.get(page.user) or clients.setdefault(page.user, new_client(demo.base, page.user, language))
            target = page.url.split("?")[0] + ("/object" if page.url.startswith("/notices/") else "")
            form = client.get(page.url)
            data: dict[str, list[str]] = defaultdict(list)
            for name, value in sent_untouched(form.text, target):
                data[name].append(client.cookies.get("yishi_csrf", "") if name == "_csrf" else value)
            answer = client.post(target, data=data, headers={"Origin": demo.base})
            where = f"{language} {page.user or 'resident'} POST {target}"
            assert 400 <= answer.status_code < 500, (where, answer.status_code, visible_text(answer.text)[:500])
            assert re.search(r'class="error"', answer.text), (where, "no error beside a field")
            check_words(problems, language, Page(target, page.user, page.city), answer.text)
        for client in clients.values():
            client.close()
    assert not problems, dump(problems)


# -- 2. axe-core ------------------------------------------------------------------------------


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page.

    axe is evaluated through the driver rather than added as a <script> element: the pages' CSP
    (script-src 'self') refuses an inline script, and it should, so the check runs as the page is served."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                          ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
                          " nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + n.failureSummary)}))")
    return [v for v in found if v["impact"] in ("serious", "critical")]


# Pages whose content differs by city (its procedure's flowchart, its plugins' rules): read in each city.
PER_CITY = re.compile(r"^/(?:c/N|r/N/council)$")


def axe_sample(demo: Demo) -> dict[str | None, list[str]]:
    """user → the pages axe reads: one of each shape, with an action form of each kind (the fields
    differ by kind), a topic in each step there is (the topic page shows blocks by step) and the
    pages that differ by city in each city."""
    chosen: dict[str | None, list[str]] = defaultdict(list)
    taken = set()
    for page in demo.pages:
        if page.status != 200:
            continue
        kind = re.sub(r"\?.*", "?filtered", shape(page.url)) if "?" in page.url else shape(page.url)
        if "/act/" in page.url:
            kind = ("form", form_of(demo, page.url))
        elif (topic := _topic_of(page.url)) is not None:
            kind = ("topic", *demo.topic_steps[topic].split(":")[1:])
        elif PER_CITY.match(kind):
            kind = (kind, next((c for c, code in demo.community.items() if f"/{code}" in page.url), page.city))
        if kind not in taken:
            taken.add(kind)
            chosen[page.user].append(page.url)
    return chosen


@pytest.mark.parametrize("viewport", [OFFICE, PHONE], ids=["office", "phone"])
def test_axe_finds_no_serious_violation_on_any_page(demo, browser, live_server, request, viewport):
    found: dict[str, list] = {}
    visits = []
    for user, urls in axe_sample(demo).items():
        visit = open_visit(browser, live_server, request, viewport, user or "resident")
        visits.append(visit)
        if user:
            visit.log_in(user)
        for url in urls:
            visit.go(url)
            visit.shot(re.sub(r"[^\w-]+", "_", url.strip("/")) or "home")
            visit.no_sideways_scroll()
            if violations := axe_violations(visit.page):
                found[f"{user or 'resident'} {url}"] = violations
        visit.context.close()
    # The error page too, as a resident meets it.
    visit = open_visit(browser, live_server, request, viewport, "error")
    visits.append(visit)
    visit.go("/c/999999999999")
    visit.shot("not_found")
    if violations := axe_violations(visit.page):
        found["resident 404"] = violations
    visit.context.close()
    assert [v.offsite for v in visits if v.offsite] == [], "requests for other hosts"
    assert not found, dump(found)


# -- 3. the keyboard alone --------------------------------------------------------------------


def focused(page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement, st = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), href: el.getAttribute('href'), cls: el.className,
                type: el.getAttribute('type'), name: el.getAttribute('name'), text: (el.innerText || '').trim(),
                form: el.form ? el.form.getAttribute('action') : null,
                outline: st.outlineStyle, outlineWidth: st.outlineWidth, shadow: st.boxShadow}; }""")


def assert_focus_visible(state: dict) -> None:
    ring = state["outline"] != "none" and state["outlineWidth"] not in ("0px", "")
    assert ring or state["shadow"] not in ("none", ""), f"no visible focus on {state}"


def tab_to(page, wanted, limit: int = 250) -> dict:
    """Press Tab until ``wanted(focused element)``; every stop on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if state["tag"] != "body":
            assert_focus_visible(state)
        if wanted(state):
            return state
    raise AssertionError(f"Tab never reached the element on {page.url}")


def arrive(page, path: str) -> None:
    """Wait for the navigation to ``path`` (the path itself: a ``?next=`` naming it is not there yet)."""
    page.wait_for_url(lambda url: urlsplit(url).path == path)
    page.wait_for_load_state()


def test_keyboard_alone_logs_in_opens_a_topic_and_presses_its_action(demo, browser, live_server, request):
    code = demo.community["lianyungang"]
    topic_id, procedure_key, step = live_server.sql(
        f"SELECT id, procedure_key, step FROM topics WHERE region_code = '{code}' AND status = 'open' "
        f"AND step = 'confirm' ORDER BY id LIMIT 1").split("|")
    action = f"/topics/{topic_id}/act/confirm"
    visit = open_visit(browser, live_server, request, OFFICE, "keyboard")
    page = visit.go(f"/login?next=/r/{code}/topics")
    page.keyboard.press("Tab")
    first = focused(page)
    assert "skip" in first["cls"] and first["href"] == "#main", f"the first Tab stop is {first}"
    assert_focus_visible(first)
    visit.shot("skip_link")
    tab_to(page, lambda s: s["name"] == "username")
    page.keyboard.type("lianyungang_chair")
    tab_to(page, lambda s: s["name"] == "password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    arrive(page, f"/r/{code}/topics")

    tab_to(page, lambda s: s["href"] == f"/topics/{topic_id}")
    visit.shot("board_topic_focused")
    page.keyboard.press("Enter")
    arrive(page, f"/topics/{topic_id}")

    tab_to(page, lambda s: s["href"] == action)
    visit.shot("topic_action_focused")
    page.keyboard.press("Enter")
    arrive(page, action)

    tab_to(page, lambda s: s["name"] == "note")
    page.keyboard.type("经议事会召集人确认，列入本月协商议题。")
    tab_to(page, lambda s: s["tag"] == "button" and s["form"] == action)
    visit.shot("form_submit_focused")
    page.keyboard.press("Space")
    arrive(page, f"/topics/{topic_id}")
    visit.shot("topic_moved_on")

    now = live_server.sql(f"SELECT step FROM topics WHERE id = {topic_id}")
    assert now != step, f"topic {topic_id} is still at {step}"
    moved_to = REGISTRY.latest(procedure_key).step(now)
    assert page.locator(".flash").inner_text() == catalogue("zh_CN")["The action was recorded."]
    assert moved_to.title_zh in page.inner_text("main"), f"the topic page does not show its new step {now}"
    visit.context.close()
    assert visit.offsite == []


def test_every_tab_stop_of_the_upper_levels_pages_shows_its_focus(demo, browser, live_server, request):
    """The pages of issue 13 walked by keyboard alone, each stop to the end of the page: the city's
    dashboard, compliance map, region tree and inboxes, and a street's communities at a glance."""
    city, street = demo.community["ningbo"][:4], demo.community["ningbo"][:9]
    visit = open_visit(browser, live_server, request, OFFICE, "keyboard-upper")
    visit.log_in("ningbo_admin")
    paths = [f"/r/{city}/{page}" for page in OVERSIGHT_PAGES if page != "communities"]
    paths.append(f"/r/{street}/communities")
    for path in paths:
        page = visit.go(path)
        assert page.url.endswith(path), page.url
        stops = 0
        for _ in range(400):
            page.keyboard.press("Tab")
            state = focused(page)
            if state["tag"] == "body":
                break
            assert_focus_visible(state)
            stops += 1
        assert stops, f"nothing on {path} takes the focus"
    visit.context.close()
    assert visit.offsite == []
