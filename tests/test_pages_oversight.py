"""The upper levels' pages: the region tree with search and paging and its parent chain, a
street's communities at a glance, the escalation inbox, and the upward reports received
(accepted and answered from the page); another street's office gets the 404 page."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core import clock
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions
from tests.page_helpers import page_form, page_login, post_form

pytestmark = pytest.mark.asyncio

COMMUNITY = "330203001001"   # 青石社区
SIBLING = "330203001002"     # 天一社区
STREET = "330203001"         # 月湖街道
OTHER_STREET = "330203002"   # 鼓楼街道
DISTRICT = "330203"


@pytest.fixture
async def client(db, runtime):
    clock.set_now(datetime(2024, 5, 6, 2, 0, tzinfo=timezone.utc))
    await add_regions(db, *SMALL_TREE)
    for name, grants in (("chair", [("council_chair", COMMUNITY)]), ("street", [("street_staff", STREET)]),
                         ("other_street", [("street_staff", OTHER_STREET)]),
                         ("district", [("district_admin", DISTRICT)])):
        await make_user(db, name, *grants)
    async with app_client(runtime) as test_client:
        test_client.follow_redirects = False
        yield test_client


async def api(client, who: str, method: str, path: str, body=None):
    headers = bearer(await login(client, who))
    return await client.request(method, f"/api/v1{path}", json=body, headers=headers)


async def escalated_topic(client) -> int:
    created = await api(client, "chair", "POST", f"/regions/{COMMUNITY}/topics", {
        "title": "两个社区共用的停车场", "channel": "member", "category": "generic.yi.6",
        "affected_regions": [COMMUNITY, SIBLING]})
    assert created.status_code == 201, created.text
    admitted = await api(client, "chair", "POST", f"/topics/{created.json()['id']}/actions/admit")
    assert admitted.json()["region_code"] == STREET
    return created.json()["id"]


async def test_the_street_office_reads_its_inbox_and_its_communities_at_a_glance(client):
    topic_id = await escalated_topic(client)
    await page_login(client, "street")
    inbox = await client.get(f"/r/{STREET}/escalations")
    assert inbox.status_code == 200, inbox.text
    html = inbox.text
    assert "上移议题收件箱" in html and "两个社区共用的停车场" in html and f'href="/topics/{topic_id}"' in html
    assert "受理时上移" in html and "青石社区" in html and "天一社区" in html and "确定议题" in html
    closed_only = await client.get(f"/r/{STREET}/escalations?status=closed")
    assert "两个社区共用的停车场" not in closed_only.text

    glance = (await client.get(f"/r/{STREET}/communities")).text
    assert "各社区一览" in glance and 'href="/r/330203001001/topics">青石社区</a>' in glance
    assert 'href="/r/330203001002/topics">天一社区</a>' in glance and "本季度协商次数" in glance

    # Another street's office reaches none of it.
    await page_login(client, "other_street")
    for path in ("escalations", "communities", "regions", "reports"):
        assert (await client.get(f"/r/{STREET}/{path}")).status_code == 404


async def test_the_region_tree_pages_searches_below_and_names_the_parents(client):
    await page_login(client, "district")
    page = await client.get(f"/r/{DISTRICT}/regions")
    assert page.status_code == 200, page.text
    assert "直属下级 2 个" in page.text and 'href="/r/330203001/regions">月湖街道</a>' in page.text
    street = (await client.get(f"/r/{STREET}/regions")).text
    # The parent chain by name, and the street's two communities.
    assert 'href="/r/3302/regions">宁波市</a>' in street or "宁波市" in street
    assert 'href="/r/330203/regions">海曙区</a>' in street and "直属下级 2 个" in street
    found = (await client.get(f"/r/{DISTRICT}/regions?q=天一")).text
    assert "与“天一”相符的区划 1 个" in found and "天一社区" in found and "月湖街道" in found
    by_code = (await client.get(f"/r/{DISTRICT}/regions?q=330203002")).text
    assert "鼓楼街道" in by_code and "中山社区" in by_code and "月湖街道</a>" not in by_code
    refused = await client.get(f"/r/{DISTRICT}/regions?q=x")
    assert refused.status_code == 400 and "搜索词须为" in refused.text


async def test_an_upward_report_is_accepted_and_answered_from_the_page(client):
    created = await api(client, "chair", "POST", f"/regions/{COMMUNITY}/topics", {
        "title": "老旧小区加装电梯", "channel": "member", "category": "generic.yi.6"})
    topic_id = created.json()["id"]
    filed = await api(client, "chair", "POST", f"/topics/{topic_id}/upward-reports",
                      {"kind": "special_report", "title": "加装电梯资金缺口", "body": "建议街道统筹资金"})
    assert filed.status_code == 201, filed.text
    report_id = filed.json()["id"]

    await page_login(client, "street")
    html, once = await page_form(client, f"/r/{STREET}/reports")
    assert "加装电梯资金缺口" in html and "专题报告" in html and "来自青石社区" in html and "已报送" in html
    accepted = await post_form(client, f"/r/{STREET}/reports/{report_id}", {"do": "accept"}, once=once)
    assert accepted.status_code == 303, accepted.text
    html, once = await page_form(client, f"/r/{STREET}/reports")
    assert "已受理" in html
    empty = await post_form(client, f"/r/{STREET}/reports/{report_id}", {"do": "answer", "answer": " "}, once=once)
    assert empty.status_code == 400 and "请填写答复" in empty.text
    answered = await post_form(client, f"/r/{STREET}/reports/{report_id}",
                               {"do": "answer", "answer": "已纳入街道年度民生实事项目"}, once=once)
    assert answered.status_code == 303, answered.text
    shown = await api(client, "chair", "GET", f"/upward-reports/{report_id}")
    assert shown.json()["status"] == "answered" and shown.json()["answer"] == "已纳入街道年度民生实事项目"


async def test_the_region_pages_offer_the_ledger_and_the_browser_downloads_it(client):
    await page_login(client, "street")
    board = (await client.get(f"/r/{STREET}/topics")).text
    assert f'action="/api/v1/regions/{STREET}/ledger.xlsx"' in board and "下载 Excel 台账" in board
    # The form as a browser sends it with both dates left empty: the current quarter.
    answer = await client.get(f"/api/v1/regions/{STREET}/ledger.xlsx?from=&to=")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert answer.content[:2] == b"PK"
