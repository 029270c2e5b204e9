"""The password policy, wherever a password is set: creating a user, a tenant
file, changing one's own password."""
import argon2
import pytest
from sqlalchemy import func, select

from core.auth import passwords
from core.auth.passwords import hash_password, hasher_for, verify_password
from core.auth.policy import common_passwords, password_problems
from core.auth.users import create_user
from core.config import Config
from core.errors import ApiError
from core.models import AuditEntry, User
from core.builtin import make_plugin_manager
from core.tenants.loader import demo_tenant_files, load_tenants, read_tenant
from tests.auth_helpers import PASSWORD, app_client, bearer, login, make_user
from tests.test_tenants import CITY, tenant_file

HASH_SETTINGS = ("YISHI_PASSWORD_HASH_TIME_COST", "YISHI_PASSWORD_HASH_MEMORY_KIB", "YISHI_PASSWORD_HASH_PARALLELISM")
WEAK = ["12345678", "password", " " * 8, " " * 12, "1234567890", "Password123", "QWERTYUIOP"]


@pytest.fixture
async def client(runtime):
    async with app_client(runtime) as test_client:
        yield test_client


def production_config(monkeypatch) -> Config:
    # The suite runs with a cheap hash (tests/conftest.py); unset, the setting takes our default.
    for name in HASH_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return Config.from_env()


def test_the_default_hash_cost_is_the_rfc_9106_low_memory_profile(monkeypatch):
    production_config(monkeypatch)
    # hash_password reads the setting once per process; made again here from the unset environment.
    passwords._hasher.cache_clear()
    try:
        hashed = hash_password("correct-horse-42")
    finally:
        passwords._hasher.cache_clear()  # the next hash reads this suite's setting again
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert argon2.extract_parameters(hashed) == argon2.profiles.RFC_9106_LOW_MEMORY


def test_the_hash_cost_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("YISHI_PASSWORD_HASH_TIME_COST", "2")
    monkeypatch.setenv("YISHI_PASSWORD_HASH_MEMORY_KIB", "64")
    monkeypatch.setenv("YISHI_PASSWORD_HASH_PARALLELISM", "2")
    parameters = argon2.extract_parameters(hasher_for(Config.from_env()).hash("correct-horse-42"))
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (2, 64, 2)
    monkeypatch.setenv("YISHI_PASSWORD_HASH_MEMORY_KIB", "8")
    with pytest.raises(ValueError, match="YISHI_PASSWORD_HASH_"):
        hasher_for(Config.from_env())


def test_a_hash_made_under_one_cost_verifies_under_another(monkeypatch):
    production = hasher_for(production_config(monkeypatch))
    cheap = hasher_for(Config.from_env(password_hash_time_cost=1, password_hash_memory_kib=8,
                                       password_hash_parallelism=1))
    made_in_production, made_cheaply = production.hash("correct-horse-42"), cheap.hash("correct-horse-42")
    assert production.verify(made_cheaply, "correct-horse-42")
    assert cheap.verify(made_in_production, "correct-horse-42")
    # verify_password, whatever cost this process hashes at.
    for hashed in (made_in_production, made_cheaply, hash_password("correct-horse-42")):
        assert verify_password(hashed, "correct-horse-42")
        assert not verify_password(hashed, "correct-horse-43")


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
