"""The residents' pages (no login, phones first): a community's or street's public page (the QR
target), submitting a topic with photos, following it by tracking code, one public notice with
its objection form, and the notice printed for the wall.

Everything is read and written through the services of the public JSON routes
(core.public, core.notices, core.catalogue, core.procedures, core.councils); what a
stranger may see is decided there. No contact detail is ever put on these pages.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import segno
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.forms import FormErrors, earlier_answer, new_once_token, read_form, submit_form
from admin_ui.i18n import N_, Language
from admin_ui.web import language, render, see_other, signed_in
from core import clock
from core.attachments.service import ANONYMOUS_MAX_BYTES
from core.catalogue import ADMISSIBLE
from core.catalogue.routes import catalogue_dict
from core.clientaddr import client_address
from core.councils import service as councils
from core.errors import ApiError, typed
from core.escalation.regions import region_names
from core.models import Region, Topic
from core.models.region import level_of_code
from core.notices import service as notices
from core.notices.schemas import ObjectionForm
from core.procedures.flowchart import STATUS_TITLES, procedure_dict, render_svg
from core.procedures.routes import SVG, region_procedure
from core.public import service as door
from core.public.schemas import PublicTopicForm
from core.regions.queries import Paging
from core.region_context import region_context
from core.runtime import Runtime
from core.security.csrf import own_origin

PUBLIC = {"public": True}
TOPIC_FIELDS = ("title", "description", "category", "proposer_name", "proposer_contact")
OBJECTION_FIELDS = ("name", "contact", "text")
# The board as one page: a community has a handful of notices at a time.
BOARD_SIZE = 50
# Room for one photo more than allowed, so that the service, not the framework, refuses a 4th
# or an oversized photo with a message beside the photo input.
SUBMIT_MAX_BODY = (door.MAX_PHOTOS + 1) * ANONYMOUS_MAX_BYTES + 1024 * 1024
FLOWCHART_LANGUAGES = ("zh", "en")
OBJECTION_STATUS = {"open": N_("Awaiting the council's answer"), "answered": N_("Answered; the results stand"),
                    "upheld": N_("Upheld; consulted again"),
                    "referred": N_("Referred to the residents' (representatives') meeting")}
NOTICE_RESULT = {"no_objection": N_("No objection"), "objections": N_("Objections received")}


# -- small pieces ---------------------------------------------------------------------


def time_left(lang: Language, end: str | datetime) -> str:
    """What the countdown shows before the page's script takes over: 剩余 3 天 5 小时."""
    end = datetime.fromisoformat(end) if isinstance(end, str) else end
    seconds = int((end - clock.now()).total_seconds())
    if seconds <= 0:
        return lang.gettext("ended")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return lang.gettext("%(days)s d %(hours)s h left", days=days, hours=hours)
    if hours:
        return lang.gettext("%(hours)s h %(minutes)s min left", hours=hours, minutes=rest // 60)
    return lang.gettext("%(minutes)s min left", minutes=max(rest // 60, 1))


def topic_status(lang: Language, status: str) -> str:
    if status in STATUS_TITLES:
        zh, en = STATUS_TITLES[status]
        return en if lang.english else zh
    return lang.gettext("In progress")


def is_door_code(code: str) -> bool:
    """Whether a region code is of a level that has a public page (a street or a community)."""
    return level_of_code(code) is not None and len(code) in (9, 12)


async def parents_of(db: AsyncSession, code: str) -> list[dict[str, str]]:
    """City, district and street above ``code``, widest first."""
    codes = [code[:n] for n in (4, 6, 9) if len(code) > n]
    names = await region_names(db, set(codes))
    return [{"code": c, "name": names[c], "door": is_door_code(c)} for c in codes if c in names]


def with_countdown(lang: Language, notice: dict[str, Any]) -> dict[str, Any]:
    return {**notice, "left": time_left(lang, notice["closes_at"]),
            "result_text": lang.gettext(NOTICE_RESULT[notice["result"]]) if notice.get("result") in NOTICE_RESULT
            else "",
            "answered": [o for o in notice["objections"] if o.get("answer")]}


def topic_choices(lang: Language, catalogue: Any) -> list[tuple[str, str]]:
    return [(item.code, f"{item.number}. {lang.bilingual(item, 'text')}") for item in catalogue.of_kind(ADMISSIBLE)]


# -- a community's public page --------------------------------------------------------------


@get("/c/{code:str}", opt=PUBLIC, include_in_schema=False)
async def region_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                      runtime: NamedDependency[Runtime]) -> Template:
    await signed_in(request, db)
    region = await door.open_door_region(db, code)
    lang = language(request)
    council, members = await councils.public_roster(db, region.code)
    context = await region_context(db, runtime.plugins, region.code)
    procedure = await region_procedure(db, runtime, region.code)
    board = await notices.public_board(db, region.code, Paging.checked(1, BOARD_SIZE), include_closed=True)
    items = [with_countdown(lang, n) for n in board["items"]]
    return await render(
        request, db, "public/region.html", region=region, parents=await parents_of(db, region.code),
        council=council, fixed=[m for m in members if m["fixed"]], others=[m for m in members if not m["fixed"]],
        catalogue=catalogue_dict(region.code, context.catalogue), procedure=procedure_dict(procedure),
        flowchart_lang="en" if lang.english else "zh",
        open_notices=[n for n in items if n["on_notice"]],
        past_notices=[n for n in items if not n["on_notice"]],
        concluded=await door.concluded_topics(db, region.code),
        in_hand=(await door.admitted_topics(db, region.code, Paging.checked(1, BOARD_SIZE),
                                            plugins=runtime.plugins))["items"])


@get("/c/{code:str}/procedure.svg", opt=PUBLIC, include_in_schema=False, media_type=SVG)
async def region_flowchart(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                           runtime: NamedDependency[Runtime], lang: FromQuery[str | None] = None) -> Response:
    region = await door.open_door_region(db, code)
    chosen = lang if lang in FLOWCHART_LANGUAGES else ("en" if language(request).english else "zh")
    return Response(render_svg(await region_procedure(db, runtime, region.code), chosen), media_type=SVG)


# -- submitting a topic ------------------------------------------------------------------


async def _submit_page(request: Request, db: AsyncSession, runtime: Runtime, region: Region, *, status_code: int = 200,
                       values: dict | None = None, errors: FormErrors | None = None,
                       once: str | None = None) -> Template:
    context = await region_context(db, runtime.plugins, region.code)
    return await render(request, db, "public/submit.html", status_code=status_code, region=region,
                        parents=await parents_of(db, region.code),
                        categories=topic_choices(language(request), context.catalogue),
                        max_photos=door.MAX_PHOTOS, max_mb=ANONYMOUS_MAX_BYTES // (1024 * 1024),
                        values=values or {}, errors=errors or FormErrors(), once=once or new_once_token())


@get("/c/{code:str}/submit", opt=PUBLIC, include_in_schema=False)
async def submit_page(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                      runtime: NamedDependency[Runtime]) -> Template:
    await signed_in(request, db)
    region = await door.open_door_region(db, code)
    return await _submit_page(request, db, runtime, region)


@post("/c/{code:str}/submit", opt=PUBLIC, include_in_schema=False, request_max_body_size=SUBMIT_MAX_BODY)
async def submit_topic(request: Request, code: FromPath[str], db: NamedDependency[AsyncSession],
                       runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    await signed_in(request, db)
    region = await door.open_door_region(db, code)
    photos = [door.Photo(upload.filename, await upload.read()) for upload in form.files(door.PHOTOS_FIELD)]
    async def work() -> str:
        payload = msgspec.to_builtins(typed(form.filled(*TOPIC_FIELDS), PublicTopicForm))
        receipt = await door.submit(db, region.code, payload, client_address(request), plugins=runtime.plugins,
                                    photos=photos, upload_dir=runtime.config.upload_dir)
        return f"/t/{receipt['tracking_code']}?new=1"

    async def refused(err: ApiError) -> Template:
        return await _submit_page(request, db, runtime, region, status_code=err.status_code, values=form.values(),
                                  errors=FormErrors.of(err, language(request)), once=form.once)

    return await submit_form(db, form, None, work, refused)


# -- following a topic --------------------------------------------------------------------


@get("/t", opt=PUBLIC, include_in_schema=False)
async def find_topic(request: Request, db: NamedDependency[AsyncSession],
                     code: FromQuery[str | None] = None) -> Template | Redirect:
    """The tracking-code form's answer: to the topic's page, or the form again with the problem."""
    canonical = door.canonical_code(code or "")
    if canonical is not None:
        return see_other(f"/t/{door.display_code(canonical)}")
    await signed_in(request, db)
    errors = FormErrors()
    if code:
        lang = language(request)
        errors = FormErrors(fields={"code": lang.gettext(
            "A tracking code has %(n)s letters and digits, e.g. ABCD-EFGH-JKLM-NPQR.", n=door.TRACKING_LENGTH)})
    return await render(request, db, "public/find.html", status_code=400 if code else 200,
                        values={"code": code or ""}, errors=errors)


@get("/t/{tracking_code:str}", opt=PUBLIC, include_in_schema=False)
async def track_page(request: Request, tracking_code: FromPath[str], db: NamedDependency[AsyncSession],
                     runtime: NamedDependency[Runtime], new: FromQuery[str | None] = None) -> Template:
    await signed_in(request, db)
    topic = await door.track(db, tracking_code, plugins=runtime.plugins)
    lang = language(request)
    # The topic's notices as the notice board shows them: the proposer reaches the notice (to object)
    # and reads the council's public answers to objections among its replies.
    shown = [with_countdown(lang, n) for n in await notices.topic_notices(db, await db.get(Topic, topic["topic_id"]),
                                                                          full_contact=False)
             if n["status"] != "withdrawn"]
    answers = [{"at": o["answered_at"], "answer": o["answer"], "objection": o["text"], "notice_id": n["id"]}
               for n in shown for o in n["answered"]]
    # ISO times of one zone (UTC) sort as the moments do.
    replies = sorted([*topic["feedback"], *answers], key=lambda r: r["at"] or "")
    return await render(request, db, "public/track.html", topic=topic, new=bool(new),
                        status_text=topic_status(lang, topic["status"]),
                        region_door=is_door_code(topic["region"]["code"]), notices=shown, replies=replies)


# -- one notice ---------------------------------------------------------------------------


async def _notice_page(request: Request, db: AsyncSession, notice_id: int, *, status_code: int = 200,
                       values: dict | None = None, errors: FormErrors | None = None,
                       once: str | None = None) -> Template:
    lang = language(request)
    notice = with_countdown(lang, await notices.public_notice(db, notice_id))
    region = await db.get(Region, notice["region_code"])
    return await render(request, db, "public/notice.html", status_code=status_code, notice=notice, region=region,
                        region_door=is_door_code(region.code), objection_status=OBJECTION_STATUS,
                        values=values or {}, errors=errors or FormErrors(), once=once or new_once_token())


@get("/notices/{notice_id:int}", opt=PUBLIC, include_in_schema=False)
async def notice_page(request: Request, notice_id: FromPath[int], db: NamedDependency[AsyncSession]) -> Template:
    await signed_in(request, db)
    return await _notice_page(request, db, notice_id)


@post("/notices/{notice_id:int}/object", opt=PUBLIC, include_in_schema=False)
async def object_to_notice(request: Request, notice_id: FromPath[int], db: NamedDependency[AsyncSession],
                           runtime: NamedDependency[Runtime]) -> Template | Redirect:
    form = await read_form(request)
    if (again := await earlier_answer(db, form)) is not None:
        return again
    await signed_in(request, db)
    async def work() -> str:
        payload = msgspec.to_builtins(typed(form.filled(*OBJECTION_FIELDS), ObjectionForm))
        await notices.submit_objection(db, runtime.plugins, notice_id, payload, client=client_address(request))
        return f"/notices/{notice_id}#objections"

    async def refused(err: ApiError) -> Template:
        return await _notice_page(request, db, notice_id, status_code=err.status_code, values=form.values(),
                                  errors=FormErrors.of(err, language(request)), once=form.once)

    return await submit_form(db, form, None, work, refused,
                             flash=N_("Your objection has been received. The council answers it on this page."))


def qr_svg(url: str, label: str) -> Markup:
    """``url`` as a QR code, inline SVG (no script, no external file: the page's CSP allows it)."""
    # unit gives the SVG a viewBox, so the print stylesheet can size it in millimetres.
    svg = segno.make(url, error="m").svg_inline(scale=5, unit="px", light="#fff", title=label, svgclass="qr",
                                                lineclass="qr-line")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


@get("/notices/{notice_id:int}/print", opt=PUBLIC, include_in_schema=False)
async def notice_print(request: Request, notice_id: FromPath[int], db: NamedDependency[AsyncSession],
                       runtime: NamedDependency[Runtime]) -> Template:
    await signed_in(request, db)
    lang = language(request)
    notice = await notices.public_notice(db, notice_id)
    region = await db.get(Region, notice["region_code"])
    council = await councils.get_council(db, region.code)
    url = f"{own_origin(request, runtime.config.secure_cookies)}/notices/{notice_id}"
    return await render(request, db, "public/print.html", notice=notice, region=region,
                        council_name=council.name if council else councils.default_council_name(region),
                        url=url, qr=qr_svg(url, lang.gettext("QR code of this notice: %(url)s", url=url)),
                        printed_on=clock.now())


PAGES = [region_page, region_flowchart, submit_page, submit_topic, find_topic, track_page, notice_page,
         object_to_notice, notice_print]
