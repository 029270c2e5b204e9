"""六有 over a district or the city (``GET /api/v1/plugins/jinchang/regions/{code}/six-haves``):
per district, councils and how many meet all six; a page of councils with
their met count; only within the caller's reach; a constant number of SQL
statements whatever the size of the subtree."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, func, select

from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role
from core.models import Region, RegionPlugin, RegionSetting
from core.regions.queries import Paging
from plugins.jinchang.report import six_haves_report
from tests.plugins.jinchang.conftest import (BAOYUNLI, CITY, GUANGZHOU_ROAD, HEXIBAO, HUANGJIAQUAN, JINCHUAN, T0,
                                             YONGCHANG, file_document, furnish, hold_meeting, seat_fixed, six_haves)

REPORT = "/api/v1/plugins/jinchang/regions/{code}/six-haves"


async def councils_in(db, code: str) -> int:
    """Streets and communities of the subtree, from the division data itself."""
    return await db.scalar(select(func.count()).select_from(Region).where(
        Region.code.startswith(code), Region.level.in_(("street", "community")), Region.active.is_(True)))


async def arranged(db, runtime, client, people):
    """黄家泉村 and 河西堡镇 meet all six; 宝运里社区 has its venue, its rules and three fixed members."""
    yc = await people("yongchang")
    await furnish(client, yc, db, runtime, HUANGJIAQUAN, fixed=20)
    await furnish(client, yc, db, runtime, HEXIBAO, fixed=1)
    jc = await people("jinchuan")
    await client.put(f"/api/v1/regions/{BAOYUNLI}/council", headers=jc, json={"venue": "宝运里社区议事厅"})
    await file_document(client, jc, BAOYUNLI, "rules")


async def report(client, headers, code: str, **query) -> dict:
    response = await client.get(REPORT.format(code=code), headers=headers, params=query)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_city_report_by_district_and_a_page_of_councils(db, jinchang, client, people):
    await arranged(db, jinchang, client, people)
    city = await people("city")
    shown = await report(client, city, CITY, page_size=500)
    assert shown["councils"] == await councils_in(db, CITY) and shown["complete"] == 2
    assert shown["districts"] == [
        {"code": JINCHUAN, "name": "金川区", "councils": await councils_in(db, JINCHUAN), "complete": 0},
        {"code": YONGCHANG, "name": "永昌县", "councils": await councils_in(db, YONGCHANG), "complete": 2}]
    assert shown["total"] == shown["councils"] == len(shown["items"])
    codes = [i["region_code"] for i in shown["items"]]
    assert codes == sorted(codes)
    by_code = {i["region_code"]: i for i in shown["items"]}
    assert by_code[HUANGJIAQUAN]["met"] == by_code[HEXIBAO]["met"] == 6
    # Each council's line agrees with its own compliance answer.
    own = await six_haves(client, city, BAOYUNLI)
    assert by_code[BAOYUNLI]["met"] == own["result"]["met"] == 2
    assert by_code[BAOYUNLI]["missing"] == [i["key"] for i in own["result"]["items"] if not i["met"]]
    assert by_code[GUANGZHOU_ROAD]["council_id"] is None and by_code[GUANGZHOU_ROAD]["met"] == 0

    complete = await report(client, city, CITY, complete="true")
    assert [i["region_code"] for i in complete["items"]] == [HEXIBAO, HUANGJIAQUAN] and complete["total"] == 2
    page = await report(client, city, CITY, complete="false", page=2, page_size=5)
    assert page["total"] == shown["councils"] - 2
    assert [i["region_code"] for i in page["items"]] == [c for c in codes if c not in (HEXIBAO, HUANGJIAQUAN)][5:10]


async def test_a_district_sees_its_own_report_and_not_the_others(db, jinchang, client, people):
    await arranged(db, jinchang, client, people)
    yc = await people("yongchang")
    shown = await report(client, yc, YONGCHANG)
    assert [(d["code"], d["complete"]) for d in shown["districts"]] == [(YONGCHANG, 2)]
    assert all(i["region_code"].startswith(YONGCHANG) for i in shown["items"])
    for elsewhere in (JINCHUAN, CITY):
        assert (await client.get(REPORT.format(code=elsewhere), headers=yc)).status_code == 404
    # A community council's own people read no report.
    assert (await client.get(REPORT.format(code=YONGCHANG), headers=await people("yc_chair"))).status_code == 404


async def test_the_day_is_chosen_and_bad_paging_is_refused_field_by_field(db, jinchang, client, people):
    await arranged(db, jinchang, client, people)
    yc = await people("yongchang")
    before = await report(client, yc, YONGCHANG, on=(T0 - timedelta(days=1)).date().isoformat())
    # The day before, nothing had been filed and the fixed members of today had not joined.
    assert before["complete"] == 0 and before["on"] == "2030-05-05"
    refused = await client.get(REPORT.format(code=YONGCHANG), headers=yc, params={"page_size": 0})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"][0]["field"] == "page_size"
    bad_day = await client.get(REPORT.format(code=YONGCHANG), headers=yc, params={"on": "2030-13-01"})
    assert bad_day.status_code == 400, bad_day.text


async def test_a_district_where_the_plugin_is_off_is_left_out(db, jinchang, client, people):
    await arranged(db, jinchang, client, people)
    db.add(RegionPlugin(region_code=JINCHUAN, plugin="jinchang", enabled=False))
    await db.commit()
    city = await people("city")
    shown = await report(client, city, CITY)
    assert [d["code"] for d in shown["districts"]] == [YONGCHANG]
    assert shown["councils"] == await councils_in(db, YONGCHANG)
    refused = await client.get(REPORT.format(code=JINCHUAN), headers=city)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "standard_not_in_force"


async def test_the_statements_run_do_not_grow_with_the_subtree(db, jinchang, client, people):
    await arranged(db, jinchang, client, people)
    await hold_meeting(client, await people("jinchuan"), BAOYUNLI, T0 - timedelta(days=3))
    await seat_fixed(db, jinchang, BAOYUNLI, 17)
    authorizer = Authorizer()
    await authorizer.load(db)
    admin = Principal(user_id=0, username="city", display_name="city", grants=((Role.city_admin, CITY),))
    scope = authorizer.scope(admin, "stats.read")
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.bind.sync_engine
    sizes = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for code in (HEXIBAO, YONGCHANG, CITY):
            statements.clear()
            shown = await six_haves_report(db, jinchang.plugins, scope, code, T0.date(), Paging(1, 50))
            sizes[code] = (shown["councils"], len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sizes[HEXIBAO][0] < sizes[YONGCHANG][0] < sizes[CITY][0]
    assert len({n for _councils, n in sizes.values()}) == 1, sizes


async def test_a_number_set_inside_the_subtree_applies_to_its_councils_only(db, jinchang, client, people):
    await arranged(db, jinchang, client, people)
    db.add(RegionSetting(region_code=HEXIBAO, key="jinchang.fixed_min", value=21))
    await db.commit()
    shown = await report(client, await people("city"), CITY, complete="true")
    # The street keeps its own minimum (one); the village under it now needs 21.
    assert [i["region_code"] for i in shown["items"]] == [HEXIBAO]
    village = await report(client, await people("city"), HEXIBAO, complete="false")
    assert HUANGJIAQUAN in [i["region_code"] for i in village["items"]]
