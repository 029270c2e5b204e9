from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.auth import service
from core.auth.tokens import hash_token
from core.auth.users import create_user
from core.errors import ApiError
from core.models import AuthToken
from tests.auth_helpers import PASSWORD, app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions


@pytest.fixture
async def client(runtime):
    async with app_client(runtime) as test_client:
        yield test_client


async def test_login_returns_token_and_sets_cookie_storing_only_a_digest(client, db):
    await make_user(db, "alice")
    response = await client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == "alice"
    assert body["expires_at"]
    set_cookie = response.headers["set-cookie"]
    assert "yishi_session=" in set_cookie
    assert "HttpOnly" in set_cookie
    assert "SameSite=lax" in set_cookie or "samesite=lax" in set_cookie.lower()
    stored = (await db.scalars(select(AuthToken.token_hash))).all()
    assert stored == [hash_token(body["token"])]
    assert body["token"] not in stored


@pytest.mark.parametrize("username,password", [("alice", "wrong-password"), ("nobody", PASSWORD)])
async def test_wrong_password_and_unknown_user_get_the_same_bilingual_401(client, db, username, password):
    await make_user(db, "alice")
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["message_zh"] == "用户名或密码错误"
    assert error["message_en"] == "wrong username or password"
    english = await client.post("/api/v1/auth/login", json={"username": username, "password": password},
                                headers={"Accept-Language": "en-US,en"})
    assert english.json()["error"]["message"] == "wrong username or password"


async def test_login_with_malformed_body_is_400_not_500(client):
    for body in ({}, {"username": 1, "password": []}, {"username": "x"}):
        response = await client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["fields"]
    response = await client.post("/api/v1/auth/login", content=b"not json",
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    long = await client.post("/api/v1/auth/login", json={"username": "u" * 5000, "password": "p"})
    assert long.status_code == 401


async def test_inactive_user_is_refused(client, db):
    user = await make_user(db, "retired")
    user.is_active = False
    await db.commit()
    response = await client.post("/api/v1/auth/login", json={"username": "retired", "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["error"]["message_en"] == "this account is disabled"


async def test_me_with_bearer_and_with_cookie(client, db):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "ningbo", ("city_admin", "3302"), ("council_member", "330203001001"))
    token = await login(client, "ningbo")

    by_header = await client.get("/api/v1/me", headers=bearer(token))
    assert by_header.status_code == 200
    body = by_header.json()
    assert body["user"]["username"] == "ningbo"
    roles = {(r["role"], r["region_code"]): r for r in body["roles"]}
    assert roles[("city_admin", "3302")]["region_name"] == "宁波市"
    assert roles[("city_admin", "3302")]["label_zh"] == "市级管理员"
    assert roles[("council_member", "330203001001")]["label_en"] == "council member"
    assert roles[("council_member", "330203001001")]["region_name"] == "青石社区"

    assert (await client.get("/api/v1/me")).status_code == 401
    client.cookies.set("yishi_session", token)
    by_cookie = await client.get("/api/v1/me")
    assert by_cookie.status_code == 200
    assert by_cookie.json() == body


async def test_garbage_credentials_are_401(client):
    for header in ("Bearer", "Bearer nonsense", "Basic abc", "Bearer " + "x" * 10000, "Bearer \u4e2d\u6587".encode()):
        response = await client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers.get("www-authenticate") == "Bearer"


async def test_logout_revokes_the_token(client, db):
    await make_user(db, "alice")
    token = await login(client, "alice")
    other = await login(client, "alice")
    response = await client.post("/api/v1/auth/logout", headers=bearer(token))
    assert response.status_code == 200
    refused = await client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["error"]["message_zh"].startswith("登录已过期")
    assert refused.json()["error"]["message_en"].startswith("session expired")
    # Logging out one session leaves the user's other sessions alone.
    assert (await client.get("/api/v1/me", headers=bearer(other))).status_code == 200


async def test_token_expires_when_the_clock_passes_its_ttl(client, db, config):
    await make_user(db, "alice")
    token = await login(client, "alice")
    clock.advance(timedelta(hours=config.token_ttl_hours) - timedelta(minutes=1))
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 200
    clock.advance(timedelta(minutes=2))
    response = await client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["message_en"].startswith("session expired")


async def test_deactivating_a_user_ends_their_sessions(client, db):
    user = await make_user(db, "alice")
    token = await login(client, "alice")
    user.is_active = False
    await db.commit()
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401


async def test_service_resolves_tokens_to_frozen_principals(db, config):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "street", ("street_staff", "330203001"))
    result = await service.login(db, config, "street", PASSWORD)
    await db.commit()
    principal = await service.resolve_token(db, result.token)
    assert principal.username == "street"
    assert [(r.value, c) for r, c in principal.grants] == [("street_staff", "330203001")]
    with pytest.raises(AttributeError):
        principal.grants = ()  # type: ignore[misc]
    assert await service.logout(db, result.token)
    assert not await service.logout(db, result.token)


async def test_duplicate_username_is_refused(db):
    await create_user(db, "alice", PASSWORD)
    await db.commit()
    with pytest.raises(ApiError) as err:
        await create_user(db, "alice", PASSWORD)
    assert err.value.status_code == 400
    assert err.value.fields[0].field == "username"


async def test_malformed_login_body_names_the_field_in_both_languages(runtime):
    from tests.auth_helpers import app_client

    async with app_client(runtime) as client:
        missing = await client.post("/api/v1/auth/login", json={"username": "someone"})
        assert missing.status_code == 400
        field = missing.json()["error"]["fields"][0]
        assert field["field"] == "password"
        assert field["message_zh"] == "缺少必填字段“password”"
        wrong = await client.post("/api/v1/auth/login", json={"username": 5, "password": "x"},
                                  headers={"Accept-Language": "en"})
        assert wrong.status_code == 400
        body = wrong.json()["error"]
        assert body["message"] == body["message_en"]
        assert body["fields"][0]["field"] == "username"
        assert "must be str" in body["fields"][0]["message_en"]
