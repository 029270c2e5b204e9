"""The CLI runs its own event loop (asyncio.run), so these tests are plain
functions; the database is arranged by an async fixture beforehand."""
import pytest
from click.testing import CliRunner

from core.auth.cli import users
from tests.helpers import SMALL_TREE, add_regions


@pytest.fixture
async def cli(runtime, db):
    await add_regions(db, *SMALL_TREE)
    env = {"YISHI_DATABASE_URL": runtime.config.database_url, "YISHI_DATA_DIR": str(runtime.config.data_dir)}
    runner = CliRunner()
    return lambda *args: runner.invoke(users, list(args), env=env)


def test_create_grant_list_revoke(cli):
    created = cli("create", "--username", "ningbo", "--password", "s3cret-pass", "--display-name", "宁波管理员",
                  "--role", "city_admin", "--region", "3302")
    assert created.exit_code == 0, created.output
    assert "created user ningbo" in created.output
    assert cli("grant", "ningbo", "council_member", "330203001001").exit_code == 0
    listed = cli("list")
    assert listed.exit_code == 0
    assert "ningbo\t宁波管理员\tcity_admin@3302, council_member@330203001001" in listed.output
    revoked = cli("revoke", "ningbo", "council_member", "330203001001")
    assert revoked.exit_code == 0, revoked.output
    assert "council_member" not in cli("list").output


def test_errors_exit_2_with_both_languages_and_no_traceback(cli):
    assert cli("create", "--username", "ningbo", "--password", "s3cret-pass").exit_code == 0
    cases = [
        (("grant", "ningbo", "city_admin", "330203"), "can only be granted at level city"),
        (("grant", "ningbo", "platform_admin", "3302"), "is global and takes no region"),
        (("grant", "ningbo", "no_such_role", "3302"), "unknown role"),
        (("grant", "nobody", "city_admin", "3302"), "user not found"),
        (("revoke", "ningbo", "city_admin", "3302"), "does not hold"),
        (("create", "--username", "ningbo", "--password", "s3cret-pass"), "already taken"),
        (("create", "--username", "x", "--password", "short"), "at least 10"),
        (("create", "--username", "weak", "--password", "password123"), "too common"),
        (("create", "--username", "other", "--password", "s3cret-pass", "--region", "3302"), "--region needs --role"),
    ]
    for args, english in cases:
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert english in result.output, (args, result.output)
        assert "错误：" in result.output
        assert "Traceback" not in result.output
    # The refused create with a bad grant left no half-made user behind.
    assert cli("create", "--username", "half", "--password", "s3cret-pass", "--role", "city_admin",
               "--region", "330203").exit_code == 2
    assert "half" not in cli("list").output


def _run_async(config, work):
    """Run ``work(runtime)`` on a runtime of its own: the CLI under test runs its own loop, so does this."""
    import asyncio

    from core.runtime import Runtime

    async def main():
        runtime = Runtime.build(config)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


async def _attempt(runtime, username, password):
    from core.auth import service
    from core.errors import ApiError

    try:
        await service.login_committed(runtime.sessions, runtime.config, username, password, "192.0.2.7")
    except ApiError as err:
        return err.status_code
    return 200


def test_unlock_lifts_a_lock_and_is_audited(cli, runtime):
    from datetime import timedelta

    from sqlalchemy import select

    from core import clock
    from core.auth.throttle import ThrottleSettings
    from core.models import AuditEntry

    assert cli("create", "--username", "alice", "--password", "s3cret-pass").exit_code == 0

    async def lock(rt):
        for _ in range(ThrottleSettings().max_failures):
            assert await _attempt(rt, "alice", "wrong-password-1") == 401
            clock.advance(timedelta(minutes=1))  # past any delay, within the failure window
        return await _attempt(rt, "alice", "s3cret-pass")

    assert _run_async(runtime.config, lock) == 423
    unlocked = cli("unlock", "alice")
    assert unlocked.exit_code == 0, unlocked.output
    assert "unlocked alice" in unlocked.output
    assert "was not locked" in cli("unlock", "alice").output
    assert cli("unlock", "nobody").exit_code == 2

    async def after(rt):
        async with rt.sessions() as session:
            entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "login.unlock"))
        return await _attempt(rt, "alice", "s3cret-pass"), entry.actor_label, entry.before["username"]

    assert _run_async(runtime.config, after) == (200, "cli", "alice")


def test_set_password_applies_the_policy_and_ends_sessions(cli, runtime):
    assert cli("create", "--username", "alice", "--password", "s3cret-pass").exit_code == 0
    for weak, english in (("12345678", "at least 10"), ("password123", "too common"),
                          ("my-alice-pass", "must not contain the username")):
        refused = cli("set-password", "alice", "--password", weak)
        assert refused.exit_code == 2, refused.output
        assert english in refused.output and "password:" in refused.output
    async def open_session(rt):
        from core.auth import service

        return (await service.login_committed(rt.sessions, rt.config, "alice", "s3cret-pass", "192.0.2.7")).token

    token = _run_async(runtime.config, open_session)
    changed = cli("set-password", "alice", "--password", "a-new-long-secret")
    assert changed.exit_code == 0, changed.output
    assert "password of alice set" in changed.output

    assert "1 session(s) ended" in changed.output

    async def logins(rt):
        from core.auth import service
        from core.errors import ApiError

        async with rt.sessions() as session:
            try:
                await service.resolve_token(session, token)
                old_session = "alive"
            except ApiError:
                old_session = "ended"
        return old_session, await _attempt(rt, "alice", "s3cret-pass"), await _attempt(rt, "alice", "a-new-long-secret")

    assert _run_async(runtime.config, logins) == ("ended", 401, 200)
