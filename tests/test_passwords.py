"""The password policy, wherever a password is set: creating a user, a tenant
file, changing one's own password."""
import pytest
from sqlalchemy import func, select

from core.auth.passwords import verify_password
from core.auth.policy import common_passwords, password_problems
from core.auth.users import create_user
from core.errors import ApiError
from core.models import AuditEntry, User
from core.plugins import make_plugin_manager
from core.tenants.loader import demo_tenant_files, load_tenants, read_tenant
from tests.auth_helpers import PASSWORD, app_client, bearer, login, make_user
from tests.test_tenants import CITY, tenant_file

WEAK = ["12345678", "password", " " * 8, " " * 12, "1234567890", "Password123", "QWERTYUIOP"]


@pytest.fixture
async def client(runtime):
    async with app_client(runtime) as test_client:
        yield test_client


def test_the_common_list_is_a_real_list():
    listed = common_passwords()
    assert 100 <= len(listed) <= 250
    assert {"password", "12345678", "qwertyuiop", "1234567890"} <= listed


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused(password):
    assert password_problems(password, "someone")


def test_a_password_containing_the_username_is_refused_whatever_the_case():
    assert password_problems("zhangwei", "zhangwei")
    assert password_problems("My-ZhangWei-2026", "zhangwei") == [
        ("密码不能包含用户名", "password must not contain the username")]
    assert password_problems("my-zhang-2026-ok", "zhangwei") == []


@pytest.mark.parametrize("password", [*WEAK, "alice-the-great"])
async def test_creating_a_user_with_a_weak_password_is_a_field_level_400(db, password):
    with pytest.raises(ApiError) as err:
        await create_user(db, "alice", password)
    assert err.value.status_code == 400
    fields = err.value.fields
    assert fields and {f.field for f in fields} == {"password"}
    assert all(f.message_zh and f.message_en for f in fields)
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(User)) == 0


def test_demo_tenant_passwords_pass_the_policy():
    host = make_plugin_manager()
    for path in demo_tenant_files():
        spec = read_tenant(path, host)
        assert spec.users, path
        for user in spec.users:
            assert password_problems(user.password, user.username) == [], (path.name, user.username)


@pytest.mark.parametrize("password", ["12345678", "password", "        ", "ningbo_ok-2026"])
async def test_a_tenant_file_with_a_weak_password_is_refused_on_the_field(runtime, db, tmp_path, password):
    path = tenant_file(tmp_path, CITY + f"""
        [[users]]
        username = "ningbo_ok"
        password = "{password}"
        role = "city_admin"
        region = "3302"
    """)
    with pytest.raises(ApiError) as caught:
        await load_tenants(runtime, [path])
    fields = caught.value.fields
    assert fields and {f.field for f in fields} == {"ningbo.toml users[1].password"}
    assert all(f.message_zh and f.message_en for f in fields)
    assert await db.scalar(select(func.count()).select_from(User)) == 0


async def test_change_password_keeps_this_session_and_ends_the_others(client, db):
    await make_user(db, "alice")
    current, other = await login(client, "alice"), await login(client, "alice")
    response = await client.post("/api/v1/me/password", headers=bearer(current),
                                 json={"current_password": PASSWORD, "new_password": "a-fresh-long-secret"})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "other_sessions_revoked": 1}
    assert (await client.get("/api/v1/me", headers=bearer(current))).status_code == 200
    assert (await client.get("/api/v1/me", headers=bearer(other))).status_code == 401
    refused = await client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert refused.status_code == 401
    await login(client, "alice", "a-fresh-long-secret")
    user = await db.scalar(select(User).where(User.username == "alice"))
    await db.refresh(user)
    assert verify_password(user.password_hash, "a-fresh-long-secret")
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_change"))
    assert entry.after == {"username": "alice", "sessions_revoked": 1}
    assert "a-fresh-long-secret" not in str(entry.after)


@pytest.mark.parametrize("new_password", ["12345678", "password", " " * 8, "Alice-forever-1"])
async def test_change_password_refuses_a_weak_one_on_the_field_and_changes_nothing(client, db, new_password):
    await make_user(db, "alice")
    current, other = await login(client, "alice"), await login(client, "alice")
    response = await client.post("/api/v1/me/password", headers=bearer(current),
                                 json={"current_password": PASSWORD, "new_password": new_password})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {f["field"] for f in fields} == {"new_password"}
    assert all(f["message_zh"] and f["message_en"] for f in fields)
    assert (await client.get("/api/v1/me", headers=bearer(other))).status_code == 200
    await login(client, "alice")


async def test_change_password_with_a_wrong_current_one_is_refused_on_that_field(client, db):
    await make_user(db, "alice")
    token = await login(client, "alice")
    response = await client.post("/api/v1/me/password", headers=bearer(token),
                                 json={"current_password": "not-the-password", "new_password": "a-fresh-long-secret"})
    assert response.status_code == 400
    field = response.json()["error"]["fields"][0]
    assert field == {"field": "current_password", "message_zh": "当前密码不正确",
                     "message_en": "the current password is wrong"}
    await login(client, "alice")
    assert (await client.post("/api/v1/me/password",
                              json={"current_password": PASSWORD, "new_password": "x" * 20})).status_code == 401
