"""Creating users and granting roles: the one way, used by the API, the CLI
and tenant provisioning alike."""
from __future__ import annotations

import re

from sqlalchemy import delete, select, update
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


def may_unlock(authorizer: Authorizer, principal: Principal, user: User) -> bool:
    """Whether ``principal`` may lift ``user``'s login lock.

    A platform admin may unlock anyone. Anyone else needs ``user.unlock`` at
    every region the user holds a grant at, so a city admin reaches the
    accounts of their own city and no further; an account with no grants,
    or a platform admin's, is the platform admin's alone.
    """
    if any(role is Role.platform_admin and authorizer.role_may(role, ANY_CITY, UNLOCK_ACTION)
           for role, _ in principal.grants):
        return True
    codes = [grant.region_code for grant in user.grants]
    if not codes or any(code is None for code in codes):
        return False
    return all(authorizer.allowed(principal, UNLOCK_ACTION, code) for code in codes)


async def set_password(session: AsyncSession, user: User, password: str, *, actor: object) -> int:
    """An administrator's reset: apply the policy, store the new hash and end
    every session of the user (how many is returned). Audited, without the password."""
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    revoked = await session.execute(update(AuthToken).where(AuthToken.user_id == user.id,
                                                            AuthToken.revoked_at.is_(None))
                                    .values(revoked_at=clock.now()))
    PRINCIPALS.forget_user(user.id)
    await record(session, actor=actor, action="user.password_reset", object_type="user", object_id=user.id,
                 after={"username": user.username, "sessions_revoked": revoked.rowcount})
    return revoked.rowcount
