"""The administration pages: users (create, disable, reset), roles at a region (grant, revoke, who
holds what), plugins and settings with where each value comes from, and the division import run as
a job. Each form's success and its refusals (field by field, nothing written), and scoping: a
district admin reaches their district and below, another district is the 404 page."""
from __future__ import annotations

import asyncio
import gzip
import re
from contextlib import asynccontextmanager
from html import unescape

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from core.auth.passwords import verify_password
from core.jobs.runtime import JobRuntime
from core.models import AuditEntry, OutboxJob, Region, RegionPlugin, RegionSetting, RoleGrant, User
from core.region_context import region_context
from core.runtime import Runtime
from tests.auth_helpers import app_client, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.jobs_fixtures import FAST
from tests.page_helpers import page_form, page_login, post_form

pytestmark = pytest.mark.asyncio

CITY, HAISHU, YUEHU, QINGSHI = "3302", "330203", "330203001", "330203001001"
JIANGBEI, ZHONGMA = "330205", "330205001"


@pytest_asyncio.fixture
async def world(db):
    await add_regions(db, *SMALL_TREE)
    db.add(RegionPlugin(region_code=CITY, plugin="ningbo", enabled=True))
    db.add(RegionSetting(region_code=CITY, key="core.notice_days", value=7))
    await db.commit()
    return {
        "city_admin": await make_user(db, "nb_admin", ("city_admin", CITY)),
        "district_admin": await make_user(db, "haishu_admin", ("district_admin", HAISHU)),
        "street_staff": await make_user(db, "yuehu_staff", ("street_staff", YUEHU)),
        "chair": await make_user(db, "qingshi_chair", ("council_chair", QINGSHI)),
        "other_district": await make_user(db, "zhongma_staff", ("street_staff", ZHONGMA)),
        # Holds a role in Haishu and one in Jiangbei: only the city admin may touch the account.
        "both": await make_user(db, "two_hats", ("council_member", QINGSHI), ("council_member", "330205001001")),
    }


@asynccontextmanager
async def app_with_jobs(runtime):
    """The app, and a job worker beside it on this test's loop that picks up what the app enqueues
    (the worker inside the test client's app runs on the client's own loop thread, which PostgreSQL's
    connections of the test cannot serve; tests/test_issue3_e2e.py does the same)."""
    job_runtime = Runtime.build(runtime.config, plugins=runtime.plugins)
    jobs = JobRuntime(job_runtime, **FAST, worker=True, scheduler=False, dispatch=True, sweep_interval=0.1)
    await jobs.start()
    try:
        async with app_client(runtime) as client:
            yield client
    finally:
        await jobs.stop()
        await job_runtime.close()


@pytest_asyncio.fixture
async def as_user(runtime, world):
    opened = []

    async def open_as(username: str, *, jobs: bool = False):
        cm = app_with_jobs(runtime) if jobs else app_client(runtime)
        client = await cm.__aenter__()
        opened.append(cm)
        client.follow_redirects = False
        await page_login(client, username)
        return client

    yield open_as
    for cm in reversed(opened):
        await cm.__aexit__(None, None, None)


def error_beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', html)
    assert found, f"no error beside {field}:\n{html[:3000]}"
    return unescape(found.group(1))


def password_shown(html: str) -> str:
    found = re.search(r'<code class="temporary-password">([^<]+)</code>', html)
    assert found, html[:3000]
    return unescape(found.group(1))


async def counts(db) -> dict[str, int]:
    await db.rollback()  # see what the app committed
    return {model.__tablename__: await db.scalar(select(func.count()).select_from(model))
            for model in (User, RoleGrant, RegionSetting, Region, OutboxJob, AuditEntry)}


async def user_named(db, username: str) -> User | None:
    await db.rollback()
    # The test's session made these users: what the app changed must replace what it holds.
    return await db.scalar(select(User).where(User.username == username).execution_options(populate_existing=True))


async def grant_of(db, username: str) -> int:
    """The id of the first role grant of ``username``."""
    await db.rollback()
    return await db.scalar(select(RoleGrant.id).join(User, User.id == RoleGrant.user_id)
                           .where(User.username == username).order_by(RoleGrant.id).limit(1))


# -- users ------------------------------------------------------------------------------

async def test_the_users_page_lists_the_accounts_under_the_region(as_user):
    district = await as_user("haishu_admin")
    answer = await district.get(f"/r/{HAISHU}/admin/users")
    assert answer.status_code == 200, answer.text
    html = answer.text
    for name in ("haishu_admin", "yuehu_staff", "qingshi_chair", "two_hats"):
        assert name in html
    assert "zhongma_staff" not in html and "nb_admin" not in html
    assert "街道工作人员 · 月湖街道" in html
    # Their own account has no buttons; an account that also holds a role in Jiangbei is the city's.
    assert "您本人的账号" in html and "由上级管理" in html and "另在本区划以外担任 1 个角色" in html
    city = await as_user("nb_admin")
    html = (await city.get(f"/r/{CITY}/admin/users")).text
    assert "zhongma_staff" in html and "由上级管理" not in html


async def test_paging_the_users(as_user, db):
    for i in range(21):
        await make_user(db, f"member_{i:02d}", ("council_member", QINGSHI))
    city = await as_user("nb_admin")
    first = (await city.get(f"/r/{CITY}/admin/users")).text
    assert "第 1 页，共 2 页" in first and "member_00" in first and "zhongma_staff" not in first
    second = (await city.get(f"/r/{CITY}/admin/users?page=2")).text
    assert "zhongma_staff" in second and "member_00" not in second


async def test_creating_a_user_shows_the_temporary_password_once(as_user, runtime, db):
    city = await as_user("nb_admin")
    html, once = await page_form(city, f"/r/{CITY}/admin/users/new")
    assert 'value="3302"' in html and '<option value="330203001">月湖街道</option>' in html
    assert "街道工作人员（可授予：街道（乡镇））" in html and "平台管理员" not in html
    fields = {"username": "zhang_wei", "display_name": "张伟", "role": "street_staff", "region": "鼓楼街道"}
    answer = await post_form(city, f"/r/{CITY}/admin/users/new", fields, once=once)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    password = password_shown(answer.text)
    assert "用户已创建" in answer.text and "街道工作人员 · 鼓楼街道" in answer.text
    made = await user_named(db, "zhang_wei")
    assert made.display_name == "张伟" and verify_password(made.password_hash, password)
    assert [(g.role, g.region_code) for g in made.grants] == [("street_staff", "330203002")]
    # The same form again leads to the list: no second account, no password shown again.
    again = await post_form(city, f"/r/{CITY}/admin/users/new", fields, once=once)
    assert again.status_code == 303 and again.headers["location"] == f"/r/{CITY}/admin/users"
    assert (await counts(db))["users"] == 7
    # The new user logs in with it and sees their street.
    async with app_client(runtime) as new:
        new.follow_redirects = False
        await page_login(new, "zhang_wei", password)
        home = await new.get("/")
        assert "鼓楼街道" in home.text and "月湖街道" not in home.text


async def test_a_refused_new_user_is_shown_field_by_field_and_nothing_is_written(as_user, db):
    district = await as_user("haishu_admin")
    _html, once = await page_form(district, f"/r/{HAISHU}/admin/users/new")
    before = await counts(db)
    url = f"/r/{HAISHU}/admin/users/new"
    answer = await post_form(district, url, {"username": "", "role": "", "region": ""}, once=once)
    assert answer.status_code == 400
    assert error_beside(answer.text, "username") == "请填写用户名"
    assert error_beside(answer.text, "role") == "请选择角色"
    cases = [
        ({"username": "yuehu_staff", "role": "council_member", "region": QINGSHI}, "username", "已被使用"),
        ({"username": "x!", "role": "council_member", "region": QINGSHI}, "username", "3–64 位"),
        # Another district, named by code or by name: not a region this admin may grant at.
        ({"username": "newbie", "role": "street_staff", "region": ZHONGMA}, "region", "不是海曙区或其下级区划"),
        ({"username": "newbie", "role": "street_staff", "region": "中马街道"}, "region", "不是海曙区或其下级区划"),
        ({"username": "newbie", "role": "street_staff", "region": QINGSHI}, "region", "只能授予在街道乡镇级区划"),
        ({"username": "newbie", "role": "city_admin", "region": HAISHU}, "region", "只能授予在市级区划"),
        ({"username": "newbie", "role": "mayor", "region": HAISHU}, "role", "请从列表中选择角色。"),
    ]
    for fields, field, words in cases:
        answer = await post_form(district, url, {**fields, "display_name": "新人"}, once=once)
        assert answer.status_code == 400, (fields, answer.text[:500])
        assert words in error_beside(answer.text, field), fields
        assert 'value="新人"' in answer.text, "what was typed stays"
    assert await counts(db) == before


async def test_disabling_ends_the_sessions_and_enabling_lets_them_back(as_user, runtime, db, world):
    staff = await as_user("yuehu_staff")
    assert (await staff.get(f"/r/{YUEHU}/topics")).status_code == 200
    district = await as_user("haishu_admin")
    url = f"/r/{HAISHU}/admin/users/{world['street_staff'].id}/disable"
    assert f'href="{url}"' in (await district.get(f"/r/{HAISHU}/admin/users")).text
    # The list's link asks first, saying what follows.
    html, once = await page_form(district, url)
    assert "停用yuehu_staff 显示名的账号" in html and "角色保留" in html
    answer = await post_form(district, url, {}, once=once)
    assert answer.status_code == 303 and answer.headers["location"] == f"/r/{HAISHU}/admin/users"
    assert not (await user_named(db, "yuehu_staff")).is_active
    assert "账号已停用" in (await district.get(f"/r/{HAISHU}/admin/users")).text
    # Their session is over: the next page asks them to log in.
    assert (await staff.get(f"/r/{YUEHU}/topics")).status_code == 303
    answer = await post_form(district, f"/r/{HAISHU}/admin/users/{world['street_staff'].id}/enable", {})
    assert answer.status_code == 303 and (await user_named(db, "yuehu_staff")).is_active
    async with app_client(runtime) as back:
        back.follow_redirects = False
        await page_login(back, "yuehu_staff")


async def test_resetting_a_password_shows_the_new_one_and_the_old_one_stops_working(as_user, db, world):
    district = await as_user("haishu_admin")
    url = f"/r/{HAISHU}/admin/users/{world['chair'].id}/reset"
    html, once = await page_form(district, url)
    assert "原密码立即失效" in html and "qingshi_chair" in html
    answer = await post_form(district, url, {}, once=once)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store" and "密码已重置" in answer.text
    password = password_shown(answer.text)
    chair = await user_named(db, "qingshi_chair")
    assert verify_password(chair.password_hash, password)
    assert not verify_password(chair.password_hash, "correct-horse-42")
    # Sent again, the form shows no second password: it leads to the list.
    again = await post_form(district, url, {}, once=once)
    assert again.status_code == 303 and again.headers["location"] == f"/r/{HAISHU}/admin/users"
    assert verify_password((await user_named(db, "qingshi_chair")).password_hash, password)


async def test_a_district_admin_cannot_see_or_touch_another_district(as_user, db, world):
    district = await as_user("haishu_admin")
    for path in (f"/r/{JIANGBEI}/admin/users", f"/r/{ZHONGMA}/admin/roles", f"/r/{JIANGBEI}/admin/settings",
                 f"/r/{CITY}/admin/users", f"/r/{CITY}/admin/import"):
        answer = await district.get(path)
        assert answer.status_code == 404 and "<html" in answer.text, path
    before = await counts(db)
    for user in ("other_district", "both", "city_admin"):
        for action in ("disable", "reset"):
            answer = await post_form(district, f"/r/{HAISHU}/admin/users/{world[user].id}/{action}", {})
            assert answer.status_code == 404, (user, action)
            assert (await district.get(f"/r/{HAISHU}/admin/users/{world[user].id}/{action}")).status_code == 404
    answer = await post_form(district, f"/r/{JIANGBEI}/admin/users/{world['other_district'].id}/disable", {})
    assert answer.status_code == 404
    # Their own account is not theirs to disable here.
    answer = await post_form(district, f"/r/{HAISHU}/admin/users/{world['district_admin'].id}/disable", {})
    assert answer.status_code == 400
    assert await counts(db) == before
    # A council chair manages no accounts at all.
    chair = await as_user("qingshi_chair")
    assert (await chair.get(f"/r/{QINGSHI}/admin/users")).status_code == 403


# -- roles ------------------------------------------------------------------------------

async def test_who_holds_what_and_granting_and_revoking_a_role(as_user, db, world):
    district = await as_user("haishu_admin")
    html, once = await page_form(district, f"/r/{HAISHU}/admin/roles")
    assert "海曙区及下级的角色" in html and "议事会召集人" in html and "qingshi_chair" in html
    assert "zhongma_staff" not in html
    answer = await post_form(district, f"/r/{HAISHU}/admin/roles",
                             {"username": "yuehu_staff", "role": "council_secretary", "region": QINGSHI}, once=once)
    assert answer.status_code == 303 and answer.headers["location"] == f"/r/{HAISHU}/admin/roles"
    staff = await user_named(db, "yuehu_staff")
    assert ("council_secretary", QINGSHI) in [(g.role, g.region_code) for g in staff.grants]
    page = (await district.get(f"/r/{HAISHU}/admin/roles")).text
    assert "角色已授予。" in page and "议事会秘书" in page
    grant = next(g for g in staff.grants if g.role == "council_secretary")
    answer = await post_form(district, f"/r/{HAISHU}/admin/roles/{grant.id}/revoke", {})
    assert answer.status_code == 303
    assert ("council_secretary", QINGSHI) not in [(g.role, g.region_code)
                                                   for g in (await user_named(db, "yuehu_staff")).grants]
    assert "角色已收回。" in (await district.get(f"/r/{HAISHU}/admin/roles")).text


async def test_a_refused_grant_names_the_field_and_grants_nothing(as_user, db, world):
    district = await as_user("haishu_admin")
    _html, once = await page_form(district, f"/r/{HAISHU}/admin/roles")
    before = await counts(db)
    cases = [
        # Out of reach reads the same as no such user.
        ({"username": "zhongma_staff", "role": "council_member", "region": QINGSHI}, "username", "没有您可管理的用户"),
        ({"username": "nobody_here", "role": "council_member", "region": QINGSHI}, "username", "没有您可管理的用户"),
        ({"username": "yuehu_staff", "role": "council_member", "region": "330205001001"}, "region", "不是海曙区"),
        ({"username": "yuehu_staff", "role": "resident", "region": YUEHU}, "region", "只能授予在社区村级区划"),
        ({"username": "qingshi_chair", "role": "council_chair", "region": QINGSHI}, "role", "已在青石社区担任该角色"),
        ({"username": "", "role": "council_chair", "region": QINGSHI}, "username", "请填写用户名"),
    ]
    for fields, field, words in cases:
        answer = await post_form(district, f"/r/{HAISHU}/admin/roles", fields, once=once)
        assert answer.status_code == 400, fields
        assert words in error_beside(answer.text, field), fields
    assert await counts(db) == before
    # A grant out of reach cannot be revoked from here; one's own not at all.
    other = await grant_of(db, "zhongma_staff")
    assert (await post_form(district, f"/r/{HAISHU}/admin/roles/{other}/revoke", {})).status_code == 404
    own = await grant_of(db, "haishu_admin")
    assert (await post_form(district, f"/r/{HAISHU}/admin/roles/{own}/revoke", {})).status_code == 400
    assert await counts(db) == before


# -- settings ---------------------------------------------------------------------------

async def test_a_district_setting_shows_where_it_comes_from_up_and_down(as_user, db, runtime):
    city = await as_user("nb_admin")
    settings = (await city.get(f"/r/{HAISHU}/admin/settings")).text
    row = re.search(r'<tr id="s-core-notice_days">(.*?)</tr>', settings, re.S).group(1)
    assert "公示天数" in row and "<strong>7</strong>" in row
    assert f'href="/r/{CITY}/admin/settings#s-core-notice_days"' in row
    html, once = await page_form(city, f"/r/{HAISHU}/admin/settings/core.notice_days")
    assert 'type="number"' in html and 'min="1"' in html and 'max="60"' in html and "继承自" in html
    answer = await post_form(city, f"/r/{HAISHU}/admin/settings/core.notice_days", {"value": "9"}, once=once)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/r/{HAISHU}/admin/settings#s-core-notice_days"
    district = (await city.get(f"/r/{HAISHU}/admin/settings")).text
    row = re.search(r'<tr id="s-core-notice_days">(.*?)</tr>', district, re.S).group(1)
    assert "<strong>9</strong>" in row and "本级设置" in row and "设置已保存" in district
    community = (await city.get(f"/r/{QINGSHI}/admin/settings")).text
    row = re.search(r'<tr id="s-core-notice_days">(.*?)</tr>', community, re.S).group(1)
    assert "<strong>9</strong>" in row and "继承自" in row
    assert f'href="/r/{HAISHU}/admin/settings#s-core-notice_days"' in row
    await db.rollback()
    assert (await region_context(db, runtime.plugins, QINGSHI)).setting("core.notice_days") == 9
    # Use the inherited value again: the city's 7.
    html, _once = await page_form(city, f"/r/{HAISHU}/admin/settings/core.notice_days")
    clear_once = re.search(r'action="/r/330203/admin/settings/core.notice_days/clear">\s*<input[^>]*>\s*'
                           r'<input type="hidden" name="_once" value="([^"]+)"', html).group(1)
    answer = await post_form(city, f"/r/{HAISHU}/admin/settings/core.notice_days/clear", {}, once=clear_once)
    assert answer.status_code == 303
    row = re.search(r'<tr id="s-core-notice_days">(.*?)</tr>', (await city.get(f"/r/{HAISHU}/admin/settings")).text,
                    re.S).group(1)
    assert "<strong>7</strong>" in row and "继承自" in row


async def test_a_wrong_setting_is_refused_with_the_field_named_and_nothing_written(as_user, db, runtime):
    city = await as_user("nb_admin")
    before = await counts(db)
    url = f"/r/{HAISHU}/admin/settings/core.notice_days"
    _html, once = await page_form(city, url)
    for typed, words in (("abc", "请填写整数"), ("99", "不得大于 60"), ("0", "不得小于 1"), ("", "请填写整数")):
        answer = await post_form(city, url, {"value": typed}, once=once)
        assert answer.status_code == 400, typed
        assert words in error_beside(answer.text, "value"), typed
        assert f'value="{typed}"' in answer.text, "what was typed stays"
    url = f"/r/{CITY}/admin/settings/core.quorum_ratio"
    _html, once = await page_form(city, url)
    assert (await post_form(city, url, {"value": "half"}, once=once)).status_code == 400
    answer = await post_form(city, url, {"value": "1.5"}, once=once)
    assert "不得大于 1.0" in error_beside(answer.text, "value")
    url = f"/r/{CITY}/admin/settings/core.locale"
    html, once = await page_form(city, url)
    assert '<select id="f-value"' in html
    assert "应为以下之一" in error_beside((await post_form(city, url, {"value": "fr"}, once=once)).text, "value")
    # A table naming catalogue items: an item the catalogue in force here does not have is refused.
    url = f"/r/{CITY}/admin/settings/lianyungang.special_committees"
    html, once = await page_form(city, url)
    assert "<textarea" in html
    answer = await post_form(city, url, {"value": '{"no.such.item": "社会和法制委员会"}'}, once=once)
    assert answer.status_code == 400 and "议事目录中没有条目“no.such.item”" in error_beside(answer.text, "value")
    answer = await post_form(city, url, {"value": '["not", "a table"]'}, once=once)
    assert "JSON" in error_beside(answer.text, "value")
    assert await counts(db) == before
    # An item of the catalogue in force is accepted.
    item = (await region_context(db, runtime.plugins, CITY)).catalogue.items[0].code
    answer = await post_form(city, url, {"value": f'{{"{item}": "社会和法制委员会"}}'}, once=once)
    assert answer.status_code == 303, answer.text
    await db.rollback()
    stored = await db.scalar(select(RegionSetting.value).where(RegionSetting.region_code == CITY,
                                                               RegionSetting.key == "lianyungang.special_committees"))
    assert stored == {item: "社会和法制委员会"}


async def test_street_staff_read_the_settings_and_change_none(as_user):
    staff = await as_user("yuehu_staff")
    page = await staff.get(f"/r/{YUEHU}/admin/settings")
    assert page.status_code == 200 and "公示天数" in page.text
    assert "/admin/settings/core.notice_days" not in page.text
    assert (await staff.get(f"/r/{YUEHU}/admin/settings/core.notice_days")).status_code == 403
    # The city's value is shown, but not linked: the city's page is not theirs.
    assert f'href="/r/{CITY}/admin/settings' not in page.text and "宁波市" in page.text
    assert (await staff.get(f"/r/{HAISHU}/admin/settings/no.such_key")).status_code == 404


# -- division import ----------------------------------------------------------------------

def csv_files(*, villages: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    files = {
        "cities": "code,name,provinceCode\n3302,宁波市,33\n",
        "areas": "code,name,cityCode,provinceCode\n330203,海曙区,3302,33\n330205,江北区,3302,33\n",
        "streets": ("code,name,areaCode,provinceCode,cityCode\n330203001,月湖街道,330203,33,3302\n"
                    "330203002,鼓楼街道,330203,33,3302\n330205001,中马街道,330205,33,3302\n"),
        "villages": villages,
    }
    # One of the four compressed, as the shipped data is.
    return [(stem, (f"{stem}.csv" + (".gz" if stem == "streets" else ""),
                    gzip.compress(text.encode()) if stem == "streets" else text.encode(), "text/csv"))
            for stem, text in files.items()]


VILLAGES = ("code,name,streetCode,provinceCode,cityCode,areaCode\n"
            "330203001001,青石社区,330203001,33,3302,330203\n"
            "330203001002,天一新村,330203001,33,3302,330203\n"      # renamed
            "330203002001,中山社区,330203002,33,3302,330203\n"
            "330203002002,新建社区,330203002,33,3302,330203\n"      # created
            "330205001001,白沙社区,330205001,33,3302,330205\n")     # and no 6205: another city, untouched


async def wait_for_the_run(client, location: str) -> str:
    for _ in range(200):
        fragment = (await client.get(f"{location}/status")).text
        if "hx-get" not in fragment:
            return fragment
        await asyncio.sleep(0.05)
    raise AssertionError(f"the import did not finish:\n{fragment}")


async def test_an_uploaded_import_runs_as_a_job_with_progress_and_a_summary(as_user, db):
    city = await as_user("nb_admin", jobs=True)
    html, once = await page_form(city, f"/r/{CITY}/admin/import")
    assert 'value="shipped"' in html and 'name="villages" type="file"' in html
    answer = await post_form(city, f"/r/{CITY}/admin/import", {"source": "upload"}, once=once,
                             files=csv_files(villages=VILLAGES))
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert re.fullmatch(rf"/r/{CITY}/admin/import/[0-9a-f]{{16}}", location)
    page = (await city.get(location)).text
    assert "<progress" in page and "数据已检查无误，导入已开始。" in page
    summary = await wait_for_the_run(city, location)
    assert "<progress" in summary and 'value="100"' in summary
    assert "新建 1 个，更名 1 个，未变 9 个，停用 0 个。" in summary, summary
    await db.rollback()
    assert await db.scalar(select(Region.name).where(Region.code == "330203001002")) == "天一新村"
    assert await db.scalar(select(Region.name).where(Region.code == "330203002002")) == "新建社区"
    assert (await db.get(Region, "620502001001")).active
    # Listed on the import page; the same data again changes nothing, and a community left out is retired.
    html, once = await page_form(city, f"/r/{CITY}/admin/import")
    assert location in html and "完成" in html
    answer = await post_form(city, f"/r/{CITY}/admin/import", {"source": "upload"}, once=once,
                             files=csv_files(villages=VILLAGES.replace(
                                 "330205001001,白沙社区,330205001,33,3302,330205\n", "")))
    summary = await wait_for_the_run(city, answer.headers["location"])
    assert "新建 0 个，更名 0 个，未变 10 个，停用 1 个。" in summary, summary
    assert "已停用：数据中已没有的区划" in summary and "白沙社区" in summary
    await db.rollback()
    assert not (await db.get(Region, "330205001001")).active


async def test_an_import_with_a_malformed_line_is_refused_with_file_and_line_before_anything_changes(as_user, db):
    city = await as_user("nb_admin")
    _html, once = await page_form(city, f"/r/{CITY}/admin/import")
    before = await counts(db)
    bad = VILLAGES.replace("330203002002,新建社区", "33020300200X,新建社区")
    answer = await post_form(city, f"/r/{CITY}/admin/import", {"source": "upload"}, once=once,
                             files=csv_files(villages=bad))
    assert answer.status_code == 400
    assert "villages.csv:5" in error_beside(answer.text, "villages") and "不是数字" in answer.text
    assert "未写入任何内容" in answer.text
    # A file left out is named beside its field.
    answer = await post_form(city, f"/r/{CITY}/admin/import", {"source": "upload"}, once=once,
                             files=[f for f in csv_files(villages=VILLAGES) if f[0] != "areas"])
    assert answer.status_code == 400 and "areas.csv" in error_beside(answer.text, "areas")
    assert await counts(db) == before


async def test_the_shipped_data_of_the_city_imports_and_a_district_has_no_import_page(as_user, db):
    city = await as_user("nb_admin", jobs=True)
    _html, once = await page_form(city, f"/r/{CITY}/admin/import")
    answer = await post_form(city, f"/r/{CITY}/admin/import", {"source": "shipped"}, once=once)
    assert answer.status_code == 303, answer.text
    summary = await wait_for_the_run(city, answer.headers["location"])
    assert "结果汇总" in summary
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(Region).where(Region.city_code == CITY,
                                                                            Region.active.is_(True))) == 3215
    assert (await city.get(f"/r/{HAISHU}/admin/import")).status_code == 404
    # Another city's run is not found under this one.
    run = answer.headers["location"].rsplit("/", 1)[1]
    assert (await city.get(f"/r/6205/admin/import/{run}")).status_code == 404
