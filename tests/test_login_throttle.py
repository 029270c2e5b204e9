"""Login throttling: growing delays, then a lock, per account name and per
client address; unlocking by an administrator; the clock is moved, never slept."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core import clock
from core.auth.throttle import ThrottleSettings
from core.models import AuditEntry
from tests.auth_helpers import PASSWORD, app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

DEFAULTS = ThrottleSettings()
LOGIN = "/api/v1/auth/login"


@pytest.fixture(autouse=True)
def frozen_clock():
    # Hashing a password takes a noticeable moment; a delay of one second must not run out on its own.
    clock.set_now(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
async def client(runtime):
    async with app_client(runtime) as test_client:
        yield test_client


async def attempt(client, username, password="wrong-password-1"):
    return await client.post(LOGIN, json={"username": username, "password": password})


async def fail_until_locked(client, username) -> list[int]:
    """Wrong passwords until the account locks; the delays met on the way (waited out by moving the clock)."""
    delays, failures = [], 0
    while True:
        response = await attempt(client, username)
        if response.status_code == 423:
            return delays
        if response.status_code == 429:
            delays.append(int(response.headers["retry-after"]))
            clock.advance(timedelta(seconds=delays[-1]))
        else:
            assert response.status_code == 401, response.text
            failures += 1
            assert failures <= DEFAULTS.max_failures


async def test_failures_bring_doubling_delays_then_a_lock_that_refuses_the_right_password(client, db):
    await make_user(db, "alice")
    for _ in range(DEFAULTS.free_failures):
        assert (await attempt(client, "alice")).status_code == 401
    # The free failures leave no delay behind: another try is judged on its password.
    assert (await attempt(client, "alice")).status_code == 401
    throttled = await attempt(client, "alice", PASSWORD)
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "1"
    error = throttled.json()["error"]
    assert error["code"] == "login_throttled"
    assert "秒后再试" in error["message_zh"] and "try again in 1 seconds" in error["message_en"]
    clock.advance(timedelta(seconds=1))

    delays = [1, *await fail_until_locked(client, "alice")]
    assert delays == [1, 2, 4, 8, 16, 32]

    locked = await attempt(client, "alice", PASSWORD)
    assert locked.status_code == 423
    assert int(locked.headers["retry-after"]) == DEFAULTS.lock_minutes * 60
    error = locked.json()["error"]
    assert error["code"] == "account_locked"
    assert "锁定" in error["message_zh"] and "locked" in error["message_en"]

    clock.advance(timedelta(minutes=DEFAULTS.lock_minutes) - timedelta(seconds=1))
    assert (await attempt(client, "alice", PASSWORD)).status_code == 423
    clock.advance(timedelta(seconds=1))
    assert (await attempt(client, "alice", PASSWORD)).status_code == 200


async def test_a_success_resets_the_account_count(client, db):
    await make_user(db, "alice")
    for _ in range(DEFAULTS.free_failures):
        assert (await attempt(client, "alice")).status_code == 401
    assert (await attempt(client, "alice", PASSWORD)).status_code == 200
    # Counting from zero again: as many free failures as the first time.
    for _ in range(DEFAULTS.free_failures):
        assert (await attempt(client, "alice")).status_code == 401
    assert (await attempt(client, "alice", PASSWORD)).status_code == 200


async def test_an_unknown_name_is_throttled_and_locked_exactly_like_a_real_one(client, db, monkeypatch):
    # Both sequences come from one address; keep its own counter out of the comparison.
    monkeypatch.setenv("YISHI_LOGIN_ADDRESS_FREE_FAILURES", "1000")
    await make_user(db, "alice")

    async def observe(username):
        seen = []
        while not seen or seen[-1][0] != 423:
            response = await attempt(client, username)
            seen.append((response.status_code, response.headers.get("retry-after"), response.json()["error"]))
            if response.status_code == 429:
                clock.advance(timedelta(seconds=int(response.headers["retry-after"])))
            assert len(seen) < 30
        return seen

    real, made_up = await observe("alice"), await observe("no_such_user")
    assert real == made_up
    assert real[-1][0] == 423


async def test_spraying_one_address_across_names_is_throttled(client, db):
    await make_user(db, "alice")
    for n in range(DEFAULTS.address_free_failures):
        assert (await attempt(client, f"user{n:02d}")).status_code == 401
    # Each name failed once, far from its own limit; the address is over its free failures now.
    assert (await attempt(client, "user99")).status_code == 401
    refused = await attempt(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    clock.advance(timedelta(seconds=1))
    assert (await attempt(client, "alice", PASSWORD)).status_code == 200
    # A success from the address does not wipe its count: the next failure is delayed longer.
    assert (await attempt(client, "user98")).status_code == 401
    assert (await attempt(client, "user97")).headers["retry-after"] == "2"


async def test_platform_admin_unlocks_over_the_api_and_it_is_audited(client, db):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "alice", ("council_member", "330203001001"))
    await make_user(db, "root", ("platform_admin", None))
    await fail_until_locked(client, "alice")
    assert (await attempt(client, "alice", PASSWORD)).status_code == 423

    token = await login(client, "root")
    response = await client.post("/api/v1/users/alice/unlock", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"username": "alice", "was_locked": True}
    assert (await attempt(client, "alice", PASSWORD)).status_code == 200
    again = await client.post("/api/v1/users/alice/unlock", headers=bearer(token))
    assert again.json()["was_locked"] is False
    assert (await client.post("/api/v1/users/nobody/unlock", headers=bearer(token))).status_code == 404

    rows = (await db.scalars(select(AuditEntry).where(AuditEntry.action.like("login.%"))
                             .order_by(AuditEntry.id))).all()
    actions = [row.action for row in rows]
    assert actions.count("login.throttle") == 6
    assert actions[-2:] == ["login.lock", "login.unlock"]
    lock, unlock = rows[-2], rows[-1]
    assert lock.after["username"] == "alice" and lock.after["failures"] == DEFAULTS.max_failures
    assert unlock.actor_label == "root 显示名 (root)"
    assert unlock.before["username"] == "alice"


async def test_a_city_admin_unlocks_only_within_their_city(client, db, monkeypatch):
    # Two accounts are failed from the one test address; keep the address counter out of it.
    monkeypatch.setenv("YISHI_LOGIN_ADDRESS_FREE_FAILURES", "1000")
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "alice", ("council_member", "330203001001"))
    await make_user(db, "tianshui_user", ("council_member", "620502001001"))
    await make_user(db, "ningbo_admin", ("city_admin", "3302"))
    await make_user(db, "street", ("street_staff", "330203001"))
    await fail_until_locked(client, "alice")
    await fail_until_locked(client, "tianshui_user")

    street = await login(client, "street")
    # Street staff hold no unlock permission: the same 404 as for a name out of reach.
    assert (await client.post("/api/v1/users/alice/unlock", headers=bearer(street))).status_code == 404
    admin = await login(client, "ningbo_admin")
    assert (await client.post("/api/v1/users/tianshui_user/unlock", headers=bearer(admin))).status_code == 404
    assert (await attempt(client, "tianshui_user", PASSWORD)).status_code == 423
    assert (await client.post("/api/v1/users/alice/unlock", headers=bearer(admin))).status_code == 200
    assert (await attempt(client, "alice", PASSWORD)).status_code == 200


async def test_a_wrong_current_password_counts_as_a_failed_login(client, db):
    await make_user(db, "alice")
    token = await login(client, "alice")
    body = {"current_password": "not-my-password", "new_password": "a-new-long-secret"}
    for _ in range(DEFAULTS.free_failures + 1):
        response = await client.post("/api/v1/me/password", json=body, headers=bearer(token))
        assert response.status_code == 400
        assert response.json()["error"]["fields"][0]["field"] == "current_password"
    refused = await client.post("/api/v1/me/password", json={**body, "current_password": PASSWORD},
                                headers=bearer(token))
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert (await attempt(client, "alice", PASSWORD)).status_code == 429
