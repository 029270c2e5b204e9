"""Council documents on file and the regional-standard checks that read them,
over HTTP on both backends."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.compliance import ComplianceItem, ComplianceResult
from core.councils import service as councils
from core.models import AuditEntry, CouncilDocument, RegionPlugin
from core.plugins import PluginManifest, hookimpl
from core.builtin import make_plugin_manager
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

pytestmark = pytest.mark.asyncio

COMMUNITY = "330203001001"
SIBLING = "330203001002"
STREET = "330203001"
OTHER_CITY_COMMUNITY = "620502001001"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))


class RulesOnFile:
    """A standard of one requirement: the council has its rules on file."""

    @hookimpl
    def yishi_manifest(self):
        return PluginManifest(name="rules_standard", title_zh="有制度", title_en="rules on file")

    @hookimpl
    async def yishi_compliance_checks(self, session, region_code, level, on_date):
        if level != "community":
            return []
        council = await councils.get_council(session, region_code)
        rules = await councils.documents_on_file(session, council, "rules") if council else []
        item = ComplianceItem("rules", "有制度", "rules on file", bool(rules),
                              f"已存档 {len(rules)} 份", f"{len(rules)} on file")
        return [ComplianceResult("rules_standard.rules", "制度存档", "rules on file", region_code, (item,))]


@pytest.fixture
def plugin_host():
    return make_plugin_manager(extra_plugins=[RulesOnFile()])


@pytest.fixture
async def client(runtime, db):
    await add_regions(db, *SMALL_TREE)
    db.add(RegionPlugin(region_code="3302", plugin="rules_standard", enabled=True))
    await make_user(db, "secretary", ("council_secretary", COMMUNITY))
    await make_user(db, "neighbour", ("council_secretary", SIBLING))
    await make_user(db, "member", ("council_member", COMMUNITY))
    await make_user(db, "tianshui", ("council_secretary", OTHER_CITY_COMMUNITY))
    async with app_client(runtime) as test_client:
        yield test_client


async def _upload(client, headers, region=COMMUNITY) -> int:
    response = await client.post(f"/api/v1/regions/{region}/attachments", headers=headers,
                                 files={"file": ("议事规则.png", PNG, "image/png")})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_a_filed_rules_document_meets_the_standard_and_withdrawing_it_unmeets_it(db, client):
    secretary = bearer(await login(client, "secretary"))
    url = f"/api/v1/regions/{COMMUNITY}/compliance"
    before = await client.get(url, headers=secretary)
    assert before.status_code == 200, before.text
    [result] = before.json()["items"]
    assert (result["standard"], result["met"], result["total"], result["complete"]) == (
        "rules_standard.rules", 0, 1, False)

    attachment = await _upload(client, secretary)
    filed = await client.post(f"/api/v1/regions/{COMMUNITY}/council/documents", headers=secretary,
                              json={"kind": "rules", "attachment_id": attachment, "title": "社区协商议事规则"})
    assert filed.status_code == 201, filed.text
    assert (filed.json()["kind_zh"], filed.json()["title"]) == ("议事规则（制度）", "社区协商议事规则")
    [after] = (await client.get(url, headers=secretary)).json()["items"]
    assert after["complete"] and after["items"][0]["detail_en"] == "1 on file"

    withdrawn = await client.post(
        f"/api/v1/regions/{COMMUNITY}/council/documents/{filed.json()['id']}/withdraw", headers=secretary)
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    [again] = (await client.get(url, headers=secretary)).json()["items"]
    assert again["met"] == 0
    listed = await client.get(f"/api/v1/regions/{COMMUNITY}/council/documents?history=true", headers=secretary)
    assert [d["withdrawn_at"] is not None for d in listed.json()["items"]] == [True]
    assert (await client.get(f"/api/v1/regions/{COMMUNITY}/council/documents",
                             headers=secretary)).json()["items"] == []
    actions = set(await db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("council.document.%"))))
    assert actions == {"council.document.file", "council.document.withdraw"}


async def test_bad_documents_are_refused_field_by_field_and_nothing_is_filed(db, client):
    secretary = bearer(await login(client, "secretary"))
    neighbour = bearer(await login(client, "neighbour"))
    url = f"/api/v1/regions/{COMMUNITY}/council/documents"
    theirs = await _upload(client, neighbour, SIBLING)

    unknown_kind = await client.post(url, headers=secretary, json={"kind": "poster", "attachment_id": theirs})
    assert unknown_kind.status_code == 400
    assert unknown_kind.json()["error"]["fields"][0]["field"] == "kind"
    # Another council's attachment is not this council's to file.
    foreign = await client.post(url, headers=secretary, json={"kind": "rules", "attachment_id": theirs})
    assert foreign.status_code == 400
    assert foreign.json()["error"]["fields"][0]["field"] == "attachment_id"
    missing = await client.post(url, headers=secretary, json={"kind": "rules"})
    assert missing.status_code == 400
    assert await db.scalar(select(func.count()).select_from(CouncilDocument)) == 0


async def test_documents_and_compliance_follow_the_council_roles_and_city_walls(client):
    member = bearer(await login(client, "member"))
    outsider = bearer(await login(client, "tianshui"))
    attachment = await _upload(client, member)
    # A plain member reads but does not file.
    assert (await client.get(f"/api/v1/regions/{COMMUNITY}/compliance", headers=member)).status_code == 200
    refused = await client.post(f"/api/v1/regions/{COMMUNITY}/council/documents", headers=member,
                                json={"kind": "rules", "attachment_id": attachment})
    assert refused.status_code == 403
    for path in ("compliance", "council/documents"):
        assert (await client.get(f"/api/v1/regions/{COMMUNITY}/{path}", headers=outsider)).status_code == 404


async def test_a_region_where_the_plugin_is_off_gets_no_result(client):
    outsider = bearer(await login(client, "tianshui"))
    shown = await client.get(f"/api/v1/regions/{OTHER_CITY_COMMUNITY}/compliance", headers=outsider)
    assert shown.status_code == 200 and shown.json()["items"] == []
