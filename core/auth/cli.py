"""``yishi users``: accounts and role grants from the command line.

Thin: each command opens a runtime, runs one service call in a transaction,
and prints the outcome. A client error prints its Chinese and English
message and exits with status 2, without a traceback.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import throttle
from core.auth.users import create_user, get_user, grant_role, parse_role, revoke_role, set_password
from core.config import Config
from core.db import transaction
from core.errors import ApiError
from core.models import User
from core.runtime import Runtime

T = TypeVar("T")


def _fail(err: ApiError) -> None:
    click.echo(f"错误：{err.message_zh}", err=True)
    click.echo(f"error: {err.message_en}", err=True)
    for field in err.fields:
        click.echo(f"  {field.field}: {field.message_zh} / {field.message_en}", err=True)
    raise click.exceptions.Exit(2)


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        runtime = Runtime.build(Config.from_env())
        try:
            async with transaction(runtime.sessions) as session:
                return await work(session)
        finally:
            await runtime.close()

    try:
        return asyncio.run(main())
    except ApiError as err:
        _fail(err)
        raise  # unreachable: _fail exits


def _grant_label(role: str, code: str | None) -> str:
    return f"{role}@{code}" if code else role


@click.group()
def users() -> None:
    """Users and their roles (用户与角色)."""


@users.command("create")
@click.option("--username", required=True, help="Login name: 3–64 letters, digits, '_', '.' or '-'.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="See the password policy in README (asked for when omitted).")
@click.option("--display-name", default="", help="Name shown in the interface (defaults to the username).")
@click.option("--role", default=None, help="A role to grant straight away, e.g. city_admin.")
@click.option("--region", default=None, help="Division code the role is granted at.")
def create_command(username: str, password: str, display_name: str, role: str | None, region: str | None) -> None:
    """Create a user, optionally granting one role."""
    if region is not None and role is None:
        _fail(ApiError(400, "validation_failed", "指定 --region 时须同时指定 --role",
                       "--region needs --role"))

    async def work(session: AsyncSession) -> User:
        user = await create_user(session, username, password, display_name)
        if role is not None:
            await grant_role(session, user, role, region, actor="cli")
        return user

    user = _run(work)
    granted = f" with {_grant_label(role, region)}" if role else ""
    click.echo(f"created user {user.username} (id {user.id}){granted}")


@users.command("grant")
@click.argument("username")
@click.argument("role")
@click.argument("region", required=False)
def grant_command(username: str, role: str, region: str | None) -> None:
    """Grant ROLE at REGION (a division code; omitted for platform_admin)."""

    async def work(session: AsyncSession) -> None:
        await grant_role(session, await get_user(session, username), role, region, actor="cli")

    _run(work)
    click.echo(f"granted {_grant_label(role, region)} to {username}")


@users.command("revoke")
@click.argument("username")
@click.argument("role")
@click.argument("region", required=False)
def revoke_command(username: str, role: str, region: str | None) -> None:
    """Take ROLE at REGION away from a user."""

    async def work(session: AsyncSession) -> None:
        user = await get_user(session, username)
        if not await revoke_role(session, user, parse_role(role), region, actor="cli"):
            raise ApiError(404, "not_found", f"用户“{username}”没有角色 {_grant_label(role, region)}",
                           f"user '{username}' does not hold {_grant_label(role, region)}")

    _run(work)
    click.echo(f"revoked {_grant_label(role, region)} from {username}")


@users.command("list")
def list_command() -> None:
    """Every user with their roles."""

    async def work(session: AsyncSession) -> list[User]:
        return list(await session.scalars(select(User).order_by(User.username)))

    for user in _run(work):
        grants = ", ".join(sorted(_grant_label(g.role, g.region_code) for g in user.grants)) or "-"
        state = "" if user.is_active else " [inactive]"
        click.echo(f"{user.username}\t{user.display_name}{state}\t{grants}")


@users.command("unlock")
@click.argument("username")
def unlock_command(username: str) -> None:
    """Lift the login delay or lock of USERNAME's account (解锁账号)."""

    async def work(session: AsyncSession) -> bool:
        await get_user(session, username)
        return await throttle.unlock(session, username, actor="cli")

    was_locked = _run(work)
    click.echo(f"unlocked {username}" if was_locked else f"{username} was not locked")


@users.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The new password (asked for when omitted).")
def set_password_command(username: str, password: str) -> None:
    """Reset USERNAME's password and end all their sessions (重置密码)."""

    async def work(session: AsyncSession) -> int:
        return await set_password(session, await get_user(session, username), password, actor="cli")

    revoked = _run(work)
    click.echo(f"password of {username} set; {revoked} session(s) ended")
