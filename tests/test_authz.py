import pytest
from sqlalchemy import delete, select

from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role
from core.authz.scope import RegionScope
from core.models import AuthzPolicy, Region
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

NINGBO = {code for code, _ in SMALL_TREE if code.startswith("3302")}


@pytest.fixture
async def tree(db):
    await add_regions(db, *SMALL_TREE)


@pytest.fixture
async def client(runtime, tree):
    async with app_client(runtime) as test_client:
        yield test_client


async def _codes(client, token, path, **params) -> list[str]:
    response = await client.get(path, headers=bearer(token), params=params)
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


async def test_city_admin_cannot_see_another_city_and_nothing_tells_it_exists(client, db):
    await make_user(db, "ningbo", ("city_admin", "3302"))
    token = await login(client, "ningbo")
    assert (await client.get("/api/v1/regions/3302", headers=bearer(token))).status_code == 200
    answers = [await client.get(f"/api/v1/regions/{code}", headers=bearer(token))
               for code in ("6205", "620502001001", "6299", "330299", "330203009009")]
    assert {r.status_code for r in answers} == {404}
    # Another city's region and a region that does not exist read the same.
    assert len({r.text for r in answers}) == 1
    assert (await client.get("/api/v1/regions/6205/children", headers=bearer(token))).status_code == 404
    for q in ("天水", "6205", "62", "秦州", "社区", "街道", "33"):
        codes = await _codes(client, token, "/api/v1/regions", q=q)
        assert all(code.startswith("3302") for code in codes), (q, codes)
    assert set(await _codes(client, token, "/api/v1/regions", q="社区")) == {
        "330203001001", "330203001002", "330203002001", "330205001001"}


async def test_malformed_codes_are_400_field_errors(client, db):
    await make_user(db, "ningbo", ("city_admin", "3302"))
    token = await login(client, "ningbo")
    for code in ("33020", "abcd", "3302x1", "1234567890123", "%E4%B8%AD"):
        response = await client.get(f"/api/v1/regions/{code}", headers=bearer(token))
        assert response.status_code == 400, code
        assert response.json()["error"]["fields"][0]["field"] == "code"


async def test_street_staff_reads_its_communities_and_nothing_beside_or_above(client, db):
    await make_user(db, "yuehu", ("street_staff", "330203001"))
    token = await login(client, "yuehu")
    children = await _codes(client, token, "/api/v1/regions/330203001/children")
    assert children == ["330203001001", "330203001002"]
    for code in children:
        response = await client.get(f"/api/v1/regions/{code}", headers=bearer(token))
        assert response.status_code == 200
        assert response.json()["parent_code"] == "330203001"
    detail = (await client.get("/api/v1/regions/330203001", headers=bearer(token))).json()
    assert detail["children_count"] == 2 and detail["city_code"] == "3302" and detail["level"] == "street"
    for code in ("330203002001", "330203002", "330203", "3302", "330205001001"):
        assert (await client.get(f"/api/v1/regions/{code}", headers=bearer(token))).status_code == 404, code
    assert set(await _codes(client, token, "/api/v1/regions", q="社区")) == {"330203001001", "330203001002"}


async def test_council_member_sees_only_its_own_community(client, db):
    await make_user(db, "member", ("council_member", "330203001001"))
    token = await login(client, "member")
    assert (await client.get("/api/v1/regions/330203001001", headers=bearer(token))).status_code == 200
    assert (await client.get("/api/v1/regions/330203001002", headers=bearer(token))).status_code == 404
    assert (await client.get("/api/v1/regions/330203001/children", headers=bearer(token))).status_code == 404
    assert await _codes(client, token, "/api/v1/regions", q="3302") == ["330203001001"]


async def test_council_role_at_a_street_does_not_reach_its_communities(client, db):
    await make_user(db, "chair", ("council_chair", "330203001"))
    token = await login(client, "chair")
    detail = await client.get("/api/v1/regions/330203001", headers=bearer(token))
    assert detail.status_code == 200 and detail.json()["children_count"] == 0
    assert await _codes(client, token, "/api/v1/regions/330203001/children") == []
    assert (await client.get("/api/v1/regions/330203001001", headers=bearer(token))).status_code == 404


async def test_district_admin_lists_children_with_paging(client, db):
    await make_user(db, "haishu", ("district_admin", "330203"))
    token = await login(client, "haishu")
    assert await _codes(client, token, "/api/v1/regions/330203/children") == ["330203001", "330203002"]
    page = await client.get("/api/v1/regions/330203/children", headers=bearer(token),
                            params={"page": 2, "page_size": 1})
    assert page.json() == {"items": [page.json()["items"][0]], "total": 2, "page": 2, "page_size": 1}
    assert page.json()["items"][0]["code"] == "330203002"
    for params in ({"page": 0}, {"page_size": 501}, {"page_size": 0}, {"page": "x"}):
        response = await client.get("/api/v1/regions/330203/children", headers=bearer(token), params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["fields"], params
    assert (await client.get("/api/v1/regions/330205/children", headers=bearer(token))).status_code == 404


async def test_search_needs_a_query_of_two_characters(client, db):
    await make_user(db, "ningbo", ("city_admin", "3302"))
    token = await login(client, "ningbo")
    for params in ({}, {"q": ""}, {"q": " 宁 "}, {"q": "x" * 51}):
        response = await client.get("/api/v1/regions", headers=bearer(token), params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["fields"][0]["field"] == "q"
    # LIKE wildcards are matched literally, not as patterns.
    assert await _codes(client, token, "/api/v1/regions", q="%%") == []


async def test_platform_admin_sees_every_city(client, db):
    await make_user(db, "root", ("platform_admin", None))
    token = await login(client, "root")
    assert (await client.get("/api/v1/regions/6205", headers=bearer(token))).status_code == 200
    assert len(await _codes(client, token, "/api/v1/regions", q="社区")) == 5


async def test_removing_a_policy_row_and_reloading_changes_the_decision(client, db):
    await make_user(db, "haishu", ("district_admin", "330203"))
    token = await login(client, "haishu")
    assert (await client.get("/api/v1/regions/330203", headers=bearer(token))).status_code == 200
    await db.execute(delete(AuthzPolicy).where(AuthzPolicy.v0 == "district_admin",
                                               AuthzPolicy.v2 == "region.read"))
    await db.commit()
    authorizer: Authorizer = client.app.state.runtime.extras["authz"]
    await authorizer.reload(db)
    # Still visible (the grant reaches it), no longer permitted: 403, not 404.
    denied = await client.get("/api/v1/regions/330203", headers=bearer(token))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forbidden"
    # Lists narrow to grants whose role may do the route's action: nothing left.
    assert await _codes(client, token, "/api/v1/regions", q="社区") == []


async def test_city_specific_policy_rows_apply_only_in_that_city(db, tree):
    authorizer = Authorizer()
    await authorizer.load(db)
    staff = Principal(1, "s", "s", ((Role.street_staff, "330203001"), (Role.street_staff, "620502001")))
    assert not authorizer.allowed(staff, "settings.manage", "330203001001")
    db.add(AuthzPolicy(ptype="p", v0="street_staff", v1="3302", v2="settings.manage"))
    await db.commit()
    assert not authorizer.allowed(staff, "settings.manage", "330203001001")  # memoised until reload
    await authorizer.reload(db)
    assert authorizer.allowed(staff, "settings.manage", "330203001001")
    assert not authorizer.allowed(staff, "settings.manage", "620502001001")
    assert authorizer.scope(staff, "settings.manage").prefixes == ("330203001",)
    assert authorizer.scope(staff).prefixes == ("330203001", "620502001")


async def test_decisions_do_not_grow_with_the_number_of_regions(db, tree):
    authorizer = Authorizer()
    await authorizer.load(db)
    admin = Principal(1, "a", "a", ((Role.city_admin, "3302"),))
    for n in range(5000):
        assert authorizer.allowed(admin, "region.read", f"330203{n:06d}")
    assert not authorizer.allowed(admin, "region.read", "620502001001")
    assert len(authorizer._memo) == 1


async def test_scope_where_matches_python_containment(db, tree):
    authorizer = Authorizer()
    await authorizer.load(db)
    mixed = Principal(1, "m", "m", ((Role.district_admin, "330205"), (Role.street_staff, "330205001"),
                                    (Role.council_member, "330203001002"), (Role.resident, "330205001001")))
    scope = authorizer.scope(mixed)
    assert scope.prefixes == ("330205",) and scope.codes == ("330203001002",)
    in_sql = set(await db.scalars(select(Region.code).where(scope.where(Region.code))))
    assert in_sql == {code for code in NINGBO if scope.contains(code)}
    assert in_sql == {"330205", "330205001", "330205001001", "330203001002"}
    nobody = authorizer.scope(Principal(2, "n", "n", ()))
    assert nobody.is_empty
    assert list(await db.scalars(select(Region.code).where(nobody.where(Region.code)))) == []


def test_a_scope_cannot_be_made_outside_the_authorizer():
    with pytest.raises(TypeError):
        RegionScope(issuer=object(), everything=True)
