"""Creating users and granting roles: the one way, used by the API, the CLI
and tenant provisioning alike."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.changes import record_role_grant, record_role_revoke
from core.audit.service import record
from core.auth.passwords import hash_password
from core.auth.principal_cache import PRINCIPALS
from core.auth.policy import check_password, password_problems
from core.authz.enforcer import ANY_CITY, Authorizer
from core.authz.principal import Principal
from core.authz.roles import GRANT_LEVELS, ROLE_LABELS, Role
from core.errors import FieldError, not_found, validation_failed
from core.models import AuthToken, Region, RoleGrant, User
from core.models.region import subtree_upper_bound

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise validation_failed(FieldError("role", f"未知角色“{value}”，可选：{allowed}",
                                           f"unknown role '{value}', expected one of: {allowed}")) from None


async def create_user(session: AsyncSession, username: str, password: str, display_name: str = "") -> User:
    """Create an active user. Raises a field-level validation error for a bad or taken username
    or a password the policy (core.auth.policy) refuses."""
    errors = []
    if not USERNAME_RE.match(username or ""):
        errors.append(FieldError("username", "用户名须为 3–64 位字母、数字、下划线、点或连字符",
                                 "username must be 3–64 letters, digits, '_', '.' or '-'"))
    errors.extend(FieldError("password", zh, en) for zh, en in password_problems(password, username))
    if errors:
        raise validation_failed(*errors)
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise validation_failed(FieldError("username", f"用户名“{username}”已被使用",
                                           f"username '{username}' is already taken"))
    user = User(username=username, password_hash=hash_password(password), display_name=display_name or username)
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise not_found("用户", "user")
    return user


async def _check_grant_region(session: AsyncSession, role: Role, region_code: str | None) -> None:
    allowed = GRANT_LEVELS[role]
    zh_role, en_role = ROLE_LABELS[role]
    if not allowed:
        if region_code is not None:
            raise validation_failed(FieldError("region", f"{zh_role}为全局角色，不能指定区划",
                                               f"{en_role} is global and takes no region"))
        return
    if region_code is None:
        raise validation_failed(FieldError("region", f"{zh_role}须指定区划代码", f"{en_role} needs a region code"))
    region = await session.get(Region, region_code)
    if region is None:
        raise validation_failed(FieldError("region", f"区划代码“{region_code}”不存在",
                                           f"region code '{region_code}' does not exist"))
    if region.level_enum not in allowed:
        levels_zh = "、".join(level.label_zh for level in allowed)
        levels_en = ", ".join(level.value for level in allowed)
        raise validation_failed(FieldError(
            "region", f"{zh_role}只能授予在{levels_zh}级区划，“{region.name}”是{region.level_enum.label_zh}级",
            f"{en_role} can only be granted at level {levels_en}; {region_code} is a {region.level}"))


async def grant_role(session: AsyncSession, user: User, role: str | Role, region_code: str | None,
                     *, actor: object = "system") -> RoleGrant:
    """Grant ``role`` at ``region_code``; granting what the user already has is a no-op.

    ``actor`` (a Principal, or a label such as ``"cli"``) is written to the audit trail.
    """
    role = role if isinstance(role, Role) else parse_role(role)
    await _check_grant_region(session, role, region_code)
    existing = await session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role.value,
        RoleGrant.region_code.is_(None) if region_code is None else RoleGrant.region_code == region_code))
    if existing is not None:
        return existing
    grant = RoleGrant(user_id=user.id, role=role.value, region_code=region_code)
    session.add(grant)
    await session.flush()
    PRINCIPALS.forget_user(user.id)
    await record_role_grant(session, actor=actor, user_id=user.id, username=user.username, role=role.value,
                            region_code=region_code, grant_id=grant.id)
    return grant


async def revoke_role(session: AsyncSession, user: User, role: str | Role, region_code: str | None,
                      *, actor: object = "system") -> bool:
    """Remove a grant. Returns whether there was one to remove."""
    role = role if isinstance(role, Role) else parse_role(role)
    result = await session.execute(delete(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role.value,
        RoleGrant.region_code.is_(None) if region_code is None else RoleGrant.region_code == region_code))
    if result.rowcount == 0:
        return False
    PRINCIPALS.forget_user(user.id)
    await record_role_revoke(session, actor=actor, user_id=user.id, username=user.username, role=role.value,
                             region_code=region_code)
    return True


UNLOCK_ACTION = "user.unlock"
MANAGE_ACTION = "user.manage"


def may_administer(authorizer: Authorizer, principal: Principal, user: User, action: str) -> bool:
    """Whether ``principal`` may do ``action`` to ``user``'s account.

    A platform admin may act on anyone. Anyone else needs ``action`` at every
    region the user holds a grant at, so a city admin reaches the accounts of
    their own city and no further, and a district admin cannot reset the
    password of someone who also holds a role elsewhere; an account with no
    grants, or a platform admin's, is the platform admin's alone.
    """
    if any(role is Role.platform_admin and authorizer.role_may(role, ANY_CITY, action)
           for role, _ in principal.grants):
        return True
    codes = [grant.region_code for grant in user.grants]
    if not codes or any(code is None for code in codes):
        return False
    return all(authorizer.allowed(principal, action, code) for code in codes)


def may_unlock(authorizer: Authorizer, principal: Principal, user: User) -> bool:
    """Whether ``principal`` may lift ``user``'s login lock (``user.unlock``, see :func:`may_administer`)."""
    return may_administer(authorizer, principal, user, UNLOCK_ACTION)


async def _end_sessions(session: AsyncSession, user: User) -> int:
    revoked = await session.execute(update(AuthToken).where(AuthToken.user_id == user.id,
                                                            AuthToken.revoked_at.is_(None))
                                    .values(revoked_at=clock.now()))
    PRINCIPALS.forget_user(user.id)
    return revoked.rowcount


async def set_password(session: AsyncSession, user: User, password: str, *, actor: object) -> int:
    """An administrator's reset: apply the policy, store the new hash and end
    every session of the user (how many is returned). Audited, without the password."""
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    revoked = await _end_sessions(session, user)
    await record(session, actor=actor, action="user.password_reset", object_type="user", object_id=user.id,
                 after={"username": user.username, "sessions_revoked": revoked})
    return revoked


# No 0/O, 1/l/I: the password is read out over the phone or copied from a screen by hand.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def temporary_password(username: str) -> str:
    """A random password the policy accepts for ``username``, in three groups of four (~60 bits)."""
    while True:
        groups = ("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(3))
        password = "-".join(groups)
        if not password_problems(password, username):
            return password


async def reset_password(session: AsyncSession, user: User, *, actor: object) -> str:
    """Give ``user`` a new temporary password (returned, to be shown once) and end their sessions."""
    password = temporary_password(user.username)
    await set_password(session, user, password, actor=actor)
    return password


async def set_active(session: AsyncSession, user: User, active: bool, *, actor: object) -> bool:
    """Disable (every session ends, no login) or enable an account; audited. Returns whether it changed."""
    if user.is_active == active:
        return False
    user.is_active = active
    ended = 0 if active else await _end_sessions(session, user)
    await record(session, actor=actor, action="user.enable" if active else "user.disable", object_type="user",
                 object_id=user.id, before={"is_active": not active},
                 after={"is_active": active, "username": user.username, "sessions_revoked": ended})
    return True


def _in_subtree(column, region_code: str):
    return (column >= region_code) & (column < subtree_upper_bound(region_code))


async def users_under(session: AsyncSession, region_code: str, *, offset: int,
                      limit: int) -> tuple[list[User], int]:
    """The accounts holding a role at ``region_code`` or below, by username."""
    holders = select(RoleGrant.user_id).where(_in_subtree(RoleGrant.region_code, region_code))
    total = await session.scalar(select(func.count()).select_from(User).where(User.id.in_(holders)))
    users = list(await session.scalars(select(User).where(User.id.in_(holders)).order_by(User.username)
                                       .offset(offset).limit(limit)))
    return users, total or 0


@dataclass(frozen=True)
class HeldGrant:
    grant: RoleGrant
    user: User
    region_name: str


async def grants_under(session: AsyncSession, region_code: str, *, offset: int,
                       limit: int) -> tuple[list[HeldGrant], int]:
    """Who holds which role at ``region_code`` or below, broadest region first."""
    where = _in_subtree(RoleGrant.region_code, region_code)
    total = await session.scalar(select(func.count()).select_from(RoleGrant).where(where))
    rows = await session.execute(
        select(RoleGrant, User, Region.name).join(User, User.id == RoleGrant.user_id)
        .join(Region, Region.code == RoleGrant.region_code).where(where)
        .order_by(func.length(RoleGrant.region_code), RoleGrant.region_code, RoleGrant.role, User.username)
        .offset(offset).limit(limit))
    return [HeldGrant(grant, user, name) for grant, user, name in rows], total or 0
