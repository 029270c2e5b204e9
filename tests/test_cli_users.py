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
        (("create", "--username", "x", "--password", "short"), "at least 8"),
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
