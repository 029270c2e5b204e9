"""The council pages: the roster by "1+7+X" category in Chinese, the composition rules' remarks
with their numbers, and the forms that seat, correct, replace and release members, start terms,
name the council and file its documents."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone

import pytest
import pytest_asyncio
from PIL import Image
from sqlalchemy import func, select

from core import clock
from core.councils import service
from core.councils.service import MemberData
from core.models import Council, CouncilDocument, CouncilMember, CouncilTerm, RegionPlugin
from core.region_context import region_context
from tests.auth_helpers import app_client, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.page_helpers import once_token, page_form, page_login, post_form

pytestmark = pytest.mark.asyncio

COMMUNITY = "620502001001"  # 进步巷社区, Tianshui: its rules are on
NINGBO_COMMUNITY = "330203001001"
PAGE = f"/r/{COMMUNITY}/council"


@pytest.fixture(autouse=True)
def _fixed_today():
    # 2024-06-01 10:00 in Beijing.
    clock.set_now(datetime(2024, 6, 1, 2, 0, tzinfo=timezone.utc))


@pytest_asyncio.fixture
async def seated(db, runtime):
    """进步巷社区's council with its party secretary and one residents' representative, and its chair's account."""
    await add_regions(db, *SMALL_TREE)
    db.add(RegionPlugin(region_code="6205", plugin="tianshui", enabled=True))
    await db.commit()
    context = await region_context(db, runtime.plugins, COMMUNITY)
    council = await service.ensure_council(db, COMMUNITY, actor="cli")
    await service.start_term(db, council, date(2024, 1, 1), date(2028, 12, 31), context=context)
    secretary = (await service.add_member(db, council, MemberData(
        name="张书记", category="party_secretary", role_in_council="chair", is_cadre=True,
        joined_on=date(2024, 1, 1)), context=context)).member
    resident = (await service.add_member(db, council, MemberData(
        name="刘大姐", category="resident", grid="第二网格", joined_on=date(2024, 3, 1)), context=context)).member
    await db.commit()
    await make_user(db, "jinbu_chair", ("council_chair", COMMUNITY))
    return {"council": council.id, "secretary": secretary.id, "resident": resident.id}


@pytest_asyncio.fixture
async def client(runtime, seated):
    async with app_client(runtime) as c:
        browse(c)
        await page_login(c, "jinbu_chair")
        yield c


def browse(client) -> None:
    # Each answer as the browser gets it: a 303 is looked at, not followed.
    client.follow_redirects = False


async def members(db) -> dict[str, CouncilMember]:
    await db.rollback()  # see what the app committed
    return {m.name: m for m in await db.scalars(select(CouncilMember).order_by(CouncilMember.id))}


def error_beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', html)
    assert found, f"no error beside {field}"
    return found.group(1)


async def test_the_page_shows_the_roster_by_category_and_the_rules_in_chinese(client):
    answer = await client.get(PAGE)
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert "进步巷社区协商议事会" in html and "第 1 届：2024-01-01 至 2028-12-31" in html
    # "1" before "7" before any "X", each category under its Chinese name.
    assert html.index("“1”：党组织书记") < html.index("张书记") < html.index("“7”：七类固定成员") < html.index("刘大姐")
    assert "德高望重、公道正派的居民代表" in html and "第二网格" in html and "召集人" in html
    assert "在任" in html and "社区干部" in html
    # The rules of the built-in 1+7+X check and Tianshui's, with their numbers, unmet.
    assert "议事会组成（1+7+X）" in html and "天水市的组成规定" in html
    assert "固定成员 2 人，少于 20 人" in html
    assert "七类固定成员缺少 6 类" in html
    assert 'class="badge err">不符合' in html
    # No category, role or enum key shows.
    for raw in ("party_secretary", "resident<", "chair<", "council_rules", "tianshui."):
        assert raw not in html


async def test_adding_a_member_seats_them_and_the_composition_line_changes(client, db):
    html, once = await page_form(client, f"{PAGE}/members/new")
    assert "议事会职务" in html and "<optgroup" in html
    answer = await post_form(client, f"{PAGE}/members/new", {
        "name": "王律师", "category": "legal_worker", "role_in_council": "member", "joined_on": "2024-06-01",
        "flags": "is_cppcc"}, once=once)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == PAGE
    seated = (await members(db))["王律师"]
    assert (seated.category, seated.joined_on, seated.is_cppcc, seated.is_cadre) == (
        "legal_worker", date(2024, 6, 1), True, False)
    page = (await client.get(PAGE)).text
    assert "成员已加入议事会。" in page
    assert "固定成员 3 人，少于 20 人" in page and "固定成员 2 人" not in page
    assert "七类固定成员缺少 5 类" in page
    assert "王律师 加入（法律工作者）。" in page


async def test_a_bad_field_is_shown_beside_it_and_nothing_is_stored(client, db):
    _html, once = await page_form(client, f"{PAGE}/members/new")
    answer = await post_form(client, f"{PAGE}/members/new", {"name": "", "category": "legal_worker"}, once=once)
    assert answer.status_code == 400
    assert error_beside(answer.text, "name") == "请填写姓名"
    assert 'value="legal_worker" selected' in answer.text  # what was chosen stays
    answer = await post_form(client, f"{PAGE}/members/new", {"name": "某人", "category": "mayor"}, once=once)
    assert answer.status_code == 400
    assert error_beside(answer.text, "category") == "请从列表中选择成员类别。"
    assert 'value="某人"' in answer.text and "party_secretary" not in answer.text.replace('value="party_secretary"', "")
    answer = await post_form(client, f"{PAGE}/members/new", {"name": "某人", "category": "resident",
                                                              "joined_on": "2023-01-01"}, once=once)
    assert answer.status_code == 400 and "早于第一届任期" in error_beside(answer.text, "joined_on")
    assert sorted(await members(db)) == ["刘大姐", "张书记"]


async def test_a_double_submit_seats_one_member(client, db):
    _html, once = await page_form(client, f"{PAGE}/members/new")
    fields = {"name": "陈代表", "category": "deputies", "flags": "is_cppcc"}
    first = await post_form(client, f"{PAGE}/members/new", fields, once=once)
    second = await post_form(client, f"{PAGE}/members/new", fields, once=once)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"] == PAGE
    assert list(await members(db)).count("陈代表") == 1


async def test_a_form_posted_from_another_site_or_without_the_token_changes_nothing(client, db):
    """The chair's cookie goes with any post to our host; only our own page's token and origin act."""
    _html, once = await page_form(client, f"{PAGE}/members/new")
    fields = {"name": "冒名者", "category": "resident", "_once": once}
    # Another site's page: its own origin, and it cannot read the CSRF cookie to echo it.
    foreign = await client.post(f"{PAGE}/members/new", data=fields, headers={"Origin": "http://evil.example"},
                                follow_redirects=False)
    assert foreign.status_code == 403
    # Our origin but no token (e.g. a form injected into a page of ours without it).
    tokenless = await post_form(client, f"{PAGE}/members/new", {"name": "冒名者", "category": "resident"},
                                once=once, csrf=False)
    assert tokenless.status_code == 403
    assert "冒名者" not in await members(db)
    # The same form with the page's token goes through: the refusals were about the sender.
    accepted = await post_form(client, f"{PAGE}/members/new", {"name": "冒名者", "category": "resident"}, once=once)
    assert accepted.status_code == 303 and "冒名者" in await members(db)


async def test_leaving_records_the_date_and_the_member_shows_as_left(client, db, seated):
    url = f"{PAGE}/members/{seated['resident']}/leave"
    html, once = await page_form(client, url)
    assert "刘大姐 退出议事会" in html
    refused = await post_form(client, url, {"left_on": "2024-02-01"}, once=once)
    assert refused.status_code == 400 and error_beside(refused.text, "left_on") == "退出日期不能早于加入日期"
    answer = await post_form(client, url, {"left_on": "2024-05-20", "notes": "搬离本社区"}, once=once)
    assert answer.status_code == 303, answer.text
    left = (await members(db))["刘大姐"]
    assert left.left_on == date(2024, 5, 20) and "搬离本社区" in left.notes
    page = (await client.get(PAGE)).text
    assert "已于 2024-05-20 退出" in page and "刘大姐 退出（德高望重、公道正派的居民代表）。" in page
    # A member who left can no longer be corrected or released again from the page.
    assert f"/members/{seated['resident']}/edit" not in page


async def test_replacing_records_the_leaving_and_seats_the_successor(client, db, seated):
    html, once = await page_form(client, f"{PAGE}/members/new?replaces={seated['resident']}")
    assert "替换 刘大姐" in html and 'value="resident" selected' in html and 'value="第二网格"' in html
    answer = await post_form(client, f"{PAGE}/members/new", {
        "replaces": str(seated["resident"]), "name": "赵大爷", "category": "resident", "grid": "第二网格",
        "role_in_council": "member", "joined_on": "2024-06-01", "leave_reason": "身体原因"}, once=once)
    assert answer.status_code == 303, answer.text
    now = await members(db)
    assert now["刘大姐"].left_on == date(2024, 6, 1) and "身体原因" in now["刘大姐"].notes
    assert now["赵大爷"].left_on is None and now["赵大爷"].joined_on == date(2024, 6, 1)
    page = (await client.get(PAGE)).text
    assert "赵大爷 接替 刘大姐（德高望重、公道正派的居民代表）。" in page


async def test_correcting_a_member_keeps_their_dates(client, db, seated):
    url = f"{PAGE}/members/{seated['resident']}/edit"
    html, once = await page_form(client, url)
    assert 'value="刘大姐"' in html and "加入日期" not in html.split("<form", 1)[1]
    answer = await post_form(client, url, {"name": "刘大姐", "category": "resident", "grid": "第三网格",
                                           "role_in_council": "member"}, once=once)
    assert answer.status_code == 303, answer.text
    fixed = (await members(db))["刘大姐"]
    assert fixed.grid == "第三网格" and fixed.joined_on == date(2024, 3, 1)


async def test_a_new_term_and_the_council_name_and_venue(client, db):
    html, once = await page_form(client, f"{PAGE}/terms/new")
    refused = await post_form(client, f"{PAGE}/terms", {"starts_on": "2029-01-01", "ends_on": "2028-12-01"},
                              once=once)
    assert refused.status_code == 400 and error_beside(refused.text, "ends_on") == "任期结束日期须晚于开始日期"
    answer = await post_form(client, f"{PAGE}/terms", {"starts_on": "2024-06-01", "ends_on": "2029-05-31"},
                             once=once)
    assert answer.status_code == 303, answer.text
    await db.rollback()
    terms = (await db.scalars(select(CouncilTerm).order_by(CouncilTerm.number))).all()
    assert [(t.number, t.ends_on) for t in terms] == [(1, date(2024, 5, 31)), (2, date(2029, 5, 31))]
    page = (await client.get(PAGE)).text
    assert "第 2 届任期开始。 2 名成员留任。" in page

    html, once = await page_form(client, f"{PAGE}/edit")
    refused = await post_form(client, f"{PAGE}/edit", {"name": "", "venue": "社区二楼"}, once=once)
    assert refused.status_code == 400 and error_beside(refused.text, "name") == "请填写议事会名称"
    answer = await post_form(client, f"{PAGE}/edit", {"name": "进步巷社区议事会", "venue": "社区二楼议事厅"},
                             once=once)
    assert answer.status_code == 303
    await db.rollback()
    council = await db.scalar(select(Council).where(Council.region_code == COMMUNITY))
    assert (council.name, council.venue) == ("进步巷社区议事会", "社区二楼议事厅")
    assert "议事场所：社区二楼议事厅" in (await client.get(PAGE)).text


async def test_a_document_is_filed_listed_and_withdrawn(client, db):
    html, once = await page_form(client, f"{PAGE}/documents/new")
    refused = await post_form(client, f"{PAGE}/documents", {"kind": "rules"}, once=once)
    assert refused.status_code == 400 and error_beside(refused.text, "file") == "请选择要上传的文件"
    picture = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(picture, format="PNG")
    answer = await post_form(client, f"{PAGE}/documents", {"kind": "signage", "title": "议事厅门牌"}, once=once,
                             files={"file": ("sign.png", picture.getvalue(), "image/png")})
    assert answer.status_code == 303, answer.text
    page = (await client.get(PAGE)).text
    assert "议事厅门牌" in page and "标识（照片）" in page
    withdraw = re.search(r'action="(/r/\d+/council/documents/\d+/withdraw)"', page)
    assert withdraw, "no withdraw form"
    answer = await post_form(client, withdraw.group(1), {}, once=once_token(page[withdraw.start():]))
    assert answer.status_code == 303
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(CouncilDocument)
                           .where(CouncilDocument.withdrawn_at.is_(None))) == 0
    assert "议事厅门牌" not in (await client.get(PAGE)).text


async def test_a_user_of_another_region_gets_the_404_page(runtime, db, seated):
    await make_user(db, "ningbo_chair_x", ("council_chair", NINGBO_COMMUNITY))
    async with app_client(runtime) as other:
        browse(other)
        await page_login(other, "ningbo_chair_x")
        answer = await other.get(PAGE)
        assert answer.status_code == 404 and "<html" in answer.text and "区划" in answer.text
        answer = await other.get(f"{PAGE}/members/{seated['resident']}/leave")
        assert answer.status_code == 404
        answer = await post_form(other, f"{PAGE}/members/{seated['resident']}/leave", {"left_on": "2024-06-01"})
        assert answer.status_code == 404
        # Their own council, not yet created, shows what it would be; another council's member ids are not found there.
        own = await other.get(f"/r/{NINGBO_COMMUNITY}/council")
        assert own.status_code == 200 and "青石社区协商议事会" in own.text and "议事会尚无成员。" in own.text
        answer = await other.get(f"/r/{NINGBO_COMMUNITY}/council/members/{seated['resident']}/edit")
        assert answer.status_code == 404
    assert (await members(db))["刘大姐"].left_on is None


async def test_a_member_of_the_council_reads_it_without_the_forms(runtime, db, seated):
    await make_user(db, "jinbu_member", ("council_member", COMMUNITY))
    async with app_client(runtime) as reader:
        browse(reader)
        await page_login(reader, "jinbu_member")
        page = await reader.get(PAGE)
        assert page.status_code == 200 and "张书记" in page.text
        assert "/members/new" not in page.text and "/leave" not in page.text
        assert (await reader.get(f"{PAGE}/members/new")).status_code == 403


async def test_the_list_is_shown_unconfirmed_until_the_party_organisation_confirms_it(client, db, seated):
    page = (await client.get(PAGE)).text
    assert "名单待确认" in page and "2 名固定成员待党组织确认。" in page
    assert "登记党组织确认" in page and "固定成员名单未经党组织确认" in page

    html, once = await page_form(client, f"{PAGE}/confirm")
    assert 'value="进步巷社区党委"' in html and "刘大姐" in html
    # 刘大姐's nomination is not on record: the list cannot be confirmed yet.
    answer = await post_form(client, f"{PAGE}/confirm", {"confirmed_by": "进步巷社区党委",
                                                         "confirmed_on": "2024-06-01"}, once=once)
    assert answer.status_code == 409 and "刘大姐" in answer.text
    assert all(m.confirmed_on is None for m in (await members(db)).values())

    html, once = await page_form(client, f"{PAGE}/members/{seated['resident']}/edit")
    assert "网格推荐" in html
    answer = await post_form(client, f"{PAGE}/members/{seated['resident']}/edit", {
        "name": "刘大姐", "category": "resident", "role_in_council": "member", "grid": "第二网格",
        "nominated_by": "grid"}, once=once)
    assert answer.status_code == 303, answer.text
    _html, once = await page_form(client, f"{PAGE}/confirm")
    answer = await post_form(client, f"{PAGE}/confirm", {"confirmed_by": "进步巷社区党委",
                                                         "confirmed_on": "2024-06-01"}, once=once)
    assert answer.status_code == 303, answer.text
    confirmed = await members(db)
    assert {(m.confirmed_on, m.confirmed_by) for m in confirmed.values()} == {(date(2024, 6, 1), "进步巷社区党委")}
    page = (await client.get(PAGE)).text
    assert "名单已确认" in page and "进步巷社区党委已于 2024-06-01 确认名单。" in page
    assert "固定成员名单未经党组织确认" not in page
