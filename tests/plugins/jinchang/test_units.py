"""Councils of enterprises and institutions under a street (002 "逐步向企事业单位延伸"):
attached by the street office, with their own roster, topics and 六有 standard, scoped
under their street and nowhere else, and left alone by a division import."""
from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select

from core.models import Region
from core.tenants.loader import load_tenants
from tests.plugins.jinchang.conftest import BAOYUNLI, GUANGZHOU_ROAD, six_haves, submit, tenant_without_demo


async def attach(client, headers, street: str, **body):
    return await client.post(f"/api/v1/regions/{street}/units", headers=headers, json=body)


async def test_an_enterprise_council_under_a_jinchang_street_is_scoped_to_it(db, jinchang, client, people):
    street = await people("street")
    answer = await attach(client, street, GUANGZHOU_ROAD, name="金川集团公司", kind="enterprise")
    assert answer.status_code == 201, answer.text
    unit = answer.json()
    # A code no division uses (village-level parts run 001–599), under the street's nine digits.
    assert (unit["code"], unit["street_code"], unit["kind_zh"]) == ("620302006901", GUANGZHOU_ROAD, "企业")
    second = await attach(client, street, GUANGZHOU_ROAD, name="广州路街道社区卫生服务中心", kind="institution")
    assert second.json()["code"] == "620302006902"
    listed = (await client.get(f"/api/v1/regions/{GUANGZHOU_ROAD}/units", headers=street)).json()
    assert [u["name"] for u in listed["items"]] == ["金川集团公司", "广州路街道社区卫生服务中心"]

    code = unit["code"]
    seated = await client.post(f"/api/v1/regions/{code}/council/members", headers=street, json={
        "name": "王主席", "category": "party_secretary", "role_in_council": "chair"})
    assert seated.status_code == 201, seated.text
    assert seated.json()["council"]["name"] == "金川集团公司协商议事会"
    topic = await submit(client, street, code, "职工食堂就餐高峰排队", channel="assigned")

    # The street, its district and the city reach it; another street does not.
    mine = (await client.get(f"/api/v1/regions/{GUANGZHOU_ROAD}/topics", headers=street)).json()
    assert topic["id"] in [t["id"] for t in mine["items"]]
    district = await people("jinchuan")
    assert (await client.get(f"/api/v1/topics/{topic['id']}", headers=district)).status_code == 200
    elsewhere = await people("yc_street")
    assert (await client.get(f"/api/v1/regions/{code}/council", headers=elsewhere)).status_code == 404
    assert (await client.get(f"/api/v1/topics/{topic['id']}", headers=elsewhere)).status_code == 404
    assert (await attach(client, elsewhere, GUANGZHOU_ROAD, name="某厂", kind="enterprise")).status_code == 404
    # A community's chair is not the street office.
    chair = await people("chair")
    assert (await client.get(f"/api/v1/topics/{topic['id']}", headers=chair)).status_code == 404

    # Its own standard: the 六有 of the region applies to the unit's council.
    shown = await six_haves(client, street, code)
    assert shown["result"]["total"] == 6 and shown["venue"]["met"] is False

    # A division import keeps the unit: it is the platform's, not the data's.
    with tempfile.TemporaryDirectory() as scratch:
        await load_tenants(jinchang, [tenant_without_demo(Path(scratch))])
    await db.rollback()
    assert (await db.get(Region, code)).active is True


async def test_bad_input_is_refused_field_by_field_and_nothing_is_written(db, jinchang, client, people):
    street = await people("street")
    for body, field in (({"name": " ", "kind": "enterprise"}, "name"),
                        ({"name": "某厂", "kind": "factory"}, "kind")):
        answer = await attach(client, street, GUANGZHOU_ROAD, **body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["fields"][0]["field"] == field
    under_community = await attach(client, await people("chair"), BAOYUNLI, name="某厂", kind="enterprise")
    assert under_community.status_code in (400, 403)
    await attach(client, street, GUANGZHOU_ROAD, name="某厂", kind="enterprise")
    again = await attach(client, street, GUANGZHOU_ROAD, name="某厂", kind="enterprise")
    assert again.status_code == 400 and "已有" in again.json()["error"]["fields"][0]["message_zh"]
    await db.rollback()
    units = (await db.scalars(select(Region.code).where(Region.unit_kind != ""))).all()
    assert units == ["620302006901"]



async def test_the_street_office_attaches_a_units_council_from_its_council_page(db, jinchang, client, people):
    from tests.page_helpers import page_form, page_login, post_form

    await people("street")  # the account
    client.follow_redirects = False
    await page_login(client, "street")
    page = (await client.get(f"/r/{GUANGZHOU_ROAD}/council")).text
    assert "企事业单位协商议事会" in page and "本街道下尚未设立企事业单位协商议事会。" in page
    html, once = await page_form(client, f"/r/{GUANGZHOU_ROAD}/units/new")
    assert "企事业单位名称" in html and "事业单位" in html
    refused = await post_form(client, f"/r/{GUANGZHOU_ROAD}/units/new", {"name": "", "kind": "enterprise"}, once=once)
    assert refused.status_code == 400 and "请填写单位名称" in refused.text
    answer = await post_form(client, f"/r/{GUANGZHOU_ROAD}/units/new", {"name": "金川集团公司", "kind": "enterprise"},
                             once=once)
    assert answer.status_code == 303 and answer.headers["location"] == "/r/620302006901/council"
    unit_page = (await client.get("/r/620302006901/council")).text
    assert "金川集团公司协商议事会" in unit_page
    street_page = (await client.get(f"/r/{GUANGZHOU_ROAD}/council")).text
    assert 'href="/r/620302006901/council">金川集团公司</a>' in street_page
