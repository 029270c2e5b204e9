"""The district and city report of 五个有 and 001's two milestones (§一), and
demonstration points (示范观察点), over HTTP on both backends with the shipped
tenant file; the report's queries do not grow with Ningbo's 3,042 communities."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, func, select

from core import clock
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role
from core.models import AuditEntry, RegionPlugin
from core.regions.queries import Paging
from plugins.ningbo.models import DemonstrationPoint
from plugins.ningbo.report import five_haves_report
from tests.helpers import add_regions
from tests.plugins.ningbo.helpers import (BEILUN, CHENGLANG, CITY, HAISHU, HAIWAN, JIANGBEI, LIUJIN, NANMEN, api_for,
                                          fixed_now, grants_at)

REPORT = "/plugins/ningbo/regions/{code}/five-haves"
POINTS = "/plugins/ningbo/regions/{code}/demonstration-points"


async def complete(api, code: str, *, rules: bool = True, who: str = "street") -> None:
    """All five of 五个有 (or all but the rules) at ``code``, arranged by ``who``."""
    await api.seat(who, code)
    await api.meeting(who, code, clock.now() - timedelta(days=7))
    await api.ok(await api.put(who, f"/regions/{code}/council", {"venue": "社区协商议事厅"}))
    await api.file_document(who, code, "catalogue")
    if rules:
        await api.file_document(who, code, "rules")


def district_row(report: dict, code: str) -> dict:
    return next(d for d in report["districts"] if d["code"] == code)


async def test_a_districts_report_counts_communities_points_and_milestones(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await complete(api, CHENGLANG)
        await complete(api, LIUJIN, rules=False)
        point = await api.ok(await api.post("district", POINTS.format(code=HAISHU),
                                            {"community": CHENGLANG, "designated_on": "2017-12-20"}), 201)
        assert point == {"region_code": CHENGLANG, "name": "澄浪社区", "designated_on": "2017-12-20",
                         "designated_by_user_id": await api.user_id("district")}

        report = await api.ok(await api.get("district", REPORT.format(code=HAISHU), page_size=2))
        [row] = report["districts"]
        assert (row["code"], row["name"], row["communities"], row["complete"]) == (HAISHU, "海曙区", 280, 1)
        assert row["demonstration_points"] == [{"region_code": CHENGLANG, "name": "澄浪社区",
                                                "designated_on": "2017-12-20", "met": 5, "complete": True}]
        milestones = row["milestones"]
        assert (milestones["demonstration_point"]["status"], milestones["demonstration_point"]["deadline"]) == \
            ("met", "2017-12-31")
        assert (milestones["five_haves_everywhere"]["status"], milestones["five_haves_everywhere"]["deadline"]) == \
            ("overdue", "2018-12-31")
        page = report["communities"]
        assert (page["total"], page["page"], page["page_size"]) == (280, 1, 2)
        assert [(c["code"], c["met"], c["complete"], c["missing"]) for c in page["items"]] == [
            (CHENGLANG, 5, True, []), (LIUJIN, 4, False, ["rules"])]
        assert report["totals"] == {"communities": 280, "complete": 1, "districts": 1, "districts_with_point": 1}

        incomplete = await api.ok(await api.get("district", REPORT.format(code=HAISHU), incomplete_only="true",
                                                page_size=1))
        assert incomplete["communities"]["total"] == 279
        assert incomplete["communities"]["items"][0]["code"] == LIUJIN
        second = await api.ok(await api.get("district", REPORT.format(code=HAISHU), page=2, page_size=1))
        assert [c["code"] for c in second["communities"]["items"]] == [LIUJIN]

        # A demonstration point counts when designated, whether or not it has all five.
        await api.ok(await api.delete("district", f"{POINTS.format(code=HAISHU)}/{CHENGLANG}"))
        await api.ok(await api.post("district", POINTS.format(code=HAISHU),
                                    {"community": LIUJIN, "designated_on": "2017-12-31"}), 201)
        row = district_row(await api.ok(await api.get("district", REPORT.format(code=HAISHU))), HAISHU)
        assert row["milestones"]["demonstration_point"]["status"] == "met"
        assert row["demonstration_points"][0]["complete"] is False and row["demonstration_points"][0]["met"] == 4


async def test_milestones_met_late_pending_and_overdue(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.ok(await api.post("city", POINTS.format(code=BEILUN),
                                    {"community": HAIWAN, "designated_on": "2018-01-01"}), 201)
        report = await api.ok(await api.get("city", REPORT.format(code=CITY), page_size=1))
        assert len(report["districts"]) == 10 and report["totals"]["communities"] == 3042
        assert report["totals"]["districts_with_point"] == 1
        beilun = district_row(report, BEILUN)["milestones"]["demonstration_point"]
        assert (beilun["status"], beilun["achieved_on"], beilun["status_zh"]) == ("met_late", "2018-01-01", "逾期达成")
        assert district_row(report, HAISHU)["milestones"]["demonstration_point"]["status"] == "overdue"
        # Looked at in mid-2017, before the deadline and before the designation.
        back_then = await api.ok(await api.get("city", REPORT.format(code=CITY), on="2017-06-30", page_size=1))
        assert district_row(back_then, BEILUN)["demonstration_points"] == []
        assert district_row(back_then, BEILUN)["milestones"]["demonstration_point"]["status"] == "pending"
        assert district_row(back_then, BEILUN)["milestones"]["five_haves_everywhere"]["status"] == "pending"


async def test_the_report_is_for_a_district_or_the_city_and_stays_in_reach(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        for code in (NANMEN, CHENGLANG):
            refused = await api.get("city", REPORT.format(code=code))
            assert refused.status_code == 400 and refused.json()["error"]["fields"][0]["field"] == "code"
        assert (await api.get("jiangbei", REPORT.format(code=HAISHU))).status_code == 404
        assert (await api.get("district", REPORT.format(code=CITY))).status_code == 404
        assert (await api.get("resident", REPORT.format(code=HAISHU))).status_code == 404
        bad = await api.get("district", REPORT.format(code=HAISHU), page_size=0)
        assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "page_size"


async def test_designating_checks_the_district_and_the_community(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        path = POINTS.format(code=HAISHU)

        async def refused(body, field, status=400, who="district"):
            response = await api.post(who, path, body)
            assert response.status_code == status, response.text
            if field:
                fields = response.json()["error"]["fields"]
                assert [f["field"] for f in fields] == [field], fields
                assert all(f["message_zh"] and f["message_en"] for f in fields)
            return response.json()["error"]

        outside = await refused({"community": "330205001001"}, "community")
        assert "不在本区县" in outside["fields"][0]["message_zh"]
        await refused({"community": NANMEN}, "community")
        await refused({"community": "330203999999"}, "community")
        await refused({}, "community")
        await refused({"community": CHENGLANG, "designated_on": "2099-01-01"}, "designated_on")
        await refused({"community": CHENGLANG, "designated_on": "去年"}, "designated_on")
        street_level = await api.post("city", POINTS.format(code=NANMEN), {"community": CHENGLANG})
        assert street_level.status_code == 400 and street_level.json()["error"]["fields"][0]["field"] == "code"
        for outsider in ("chair", "street", "jiangbei", "resident"):
            assert (await api.post(outsider, path, {"community": CHENGLANG})).status_code == 404, outsider
        assert await db.scalar(select(func.count()).select_from(DemonstrationPoint)) == 0

        made = await api.ok(await api.post("district", path, {"community": CHENGLANG}), 201)
        assert made["designated_on"] == "2024-06-03"  # today in Beijing
        await refused({"community": CHENGLANG}, None, status=409)
        listed = await api.ok(await api.get("district", path))
        assert [p["region_code"] for p in listed["items"]] == [CHENGLANG]

        assert (await api.delete("jiangbei", f"{path}/{CHENGLANG}")).status_code == 404
        removed = await api.ok(await api.delete("district", f"{path}/{CHENGLANG}"))
        assert removed["region_code"] == CHENGLANG
        assert (await api.delete("district", f"{path}/{CHENGLANG}")).status_code == 404
    actions = (await db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("ningbo.%"))
                                .order_by(AuditEntry.id))).all()
    assert actions == ["ningbo.demonstration_point.designate", "ningbo.demonstration_point.undesignate"]


async def test_every_community_with_all_five_meets_the_2018_milestone(runtime, db):
    """A small slice of the real tree, so that a whole district can be complete."""
    clock.set_now(fixed_now())
    await add_regions(db, (CITY, "宁波市"), (HAISHU, "海曙区"), (NANMEN, "南门街道"), (CHENGLANG, "澄浪社区"),
                      (LIUJIN, "柳锦社区"), (JIANGBEI, "江北区"))
    db.add(RegionPlugin(region_code=CITY, plugin="ningbo", enabled=True))
    await db.commit()
    async with api_for(runtime, db, grants_at()) as api:
        await complete(api, CHENGLANG)
        await complete(api, LIUJIN, rules=False)
        report = await api.ok(await api.get("district", REPORT.format(code=HAISHU)))
        assert district_row(report, HAISHU)["milestones"]["five_haves_everywhere"]["status"] == "overdue"
        await api.file_document("street", LIUJIN, "rules")
        report = await api.ok(await api.get("district", REPORT.format(code=HAISHU)))
        row = district_row(report, HAISHU)
        assert (row["communities"], row["complete"]) == (2, 2)
        assert row["milestones"]["five_haves_everywhere"]["status"] == "met"
        assert row["milestones"]["five_haves_everywhere"]["judged_on"] == "2024-06-03"


async def test_the_reports_queries_do_not_grow_with_the_communities(runtime, db, ningbo):
    scope = Authorizer().scope(Principal(user_id=0, username="x", display_name="", grants=((Role.city_admin, CITY),)),
                               None)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.bind.sync_engine if hasattr(db.bind, "sync_engine") else db.bind

    async def queries(code: str) -> tuple[int, dict]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            report = await five_haves_report(db, runtime.plugins, scope, code, fixed_now().date(), Paging(1, 50))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements), report

    async with api_for(runtime, db) as api:
        await complete(api, CHENGLANG)
        await complete(api, LIUJIN, rules=False)
        await api.ok(await api.post("district", POINTS.format(code=HAISHU), {"community": CHENGLANG}), 201)
        at_city, city = await queries(CITY)
        at_district, district = await queries(HAISHU)
        assert city["totals"]["communities"] == 3042 and district["totals"]["communities"] == 280
        assert city["totals"]["complete"] == district["totals"]["complete"] == 1
        # A fixed handful: two per region that configures plugins or settings (the
        # city and two districts in the tenant file), none per community.
        assert at_city <= 16 and at_district <= 12, (at_city, at_district)

        # More communities with councils, meetings, documents and points: the same queries.
        await complete(api, HAIWAN, who="city")
        await complete(api, "330205001001", who="city")
        await api.ok(await api.post("city", POINTS.format(code=BEILUN), {"community": HAIWAN}), 201)
        again, city = await queries(CITY)
        assert city["totals"]["complete"] == 3 and city["totals"]["districts_with_point"] == 2
        assert again == at_city


async def test_the_demo_designates_one_point_per_seeded_district(runtime, db, ningbo):
    from core.region_context import region_context
    from plugins.ningbo.manifest import PLUGIN

    seeded = [NANMEN, CHENGLANG, LIUJIN, "330206001", HAIWAN]
    await PLUGIN.yishi_demo_seeded(session=db, context=await region_context(db, runtime.plugins, CITY),
                                   city_code=CITY, council_regions=seeded, seed=3302)
    await db.commit()
    async with api_for(runtime, db) as api:
        report = await api.ok(await api.get("city", REPORT.format(code=CITY), page_size=1))
    points = {d["code"]: [p["region_code"] for p in d["demonstration_points"]] for d in report["districts"]}
    assert points[HAISHU] == [CHENGLANG] and points[BEILUN] == [HAIWAN] and points[JIANGBEI] == []
    assert district_row(report, HAISHU)["milestones"]["demonstration_point"]["status"] == "met"
