"""Logging in and out, and turning a token back into a Principal."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from core.audit.service import record
from core.auth import throttle
from core.auth.passwords import hash_password, verify_password
from core.auth.principal_cache import PRINCIPALS
from core.auth.policy import check_password
from core.auth.tokens import MAX_TOKEN_LENGTH, hash_token, new_token
from core.authz.principal import Principal
from core.authz.roles import Role
from core.config import Config
from core.db import transaction
from core.errors import ApiError, FieldError, forbidden, unauthorized, validation_failed
from core.models import AuthToken, RoleGrant, User

# Verified against when the username is unknown, so that a wrong username
# costs as much time as a wrong password and usernames cannot be probed.
_DUMMY_HASH = hash_password("not-a-real-password")


def bad_credentials() -> ApiError:
    return unauthorized("用户名或密码错误", "wrong username or password")


def session_expired() -> ApiError:
    return unauthorized("登录已过期，请重新登录", "session expired, please log in again")


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: User


async def authenticate(session: AsyncSession, username: str, password: str) -> User:
    """The active user with these credentials; one 401 message for every wrong pair."""
    user = None
    if isinstance(username, str) and 0 < len(username) <= 64:
        user = await session.scalar(select(User).where(User.username == username))
    if not isinstance(password, str):
        password = ""
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise bad_credentials()
    if not verify_password(user.password_hash, password):
        raise bad_credentials()
    if not user.is_active:
        # Only said after the password matched, so it reveals nothing to a guesser.
        raise forbidden("账号已停用", "this account is disabled")
    return user


class FailureCounted(Exception):
    """A wrong password was counted in the session: commit that, then answer with ``error``."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message_en)
        self.error = error


async def _committing_failures(sessions: async_sessionmaker[AsyncSession], work):
    # The request's own transaction rolls back on an error answer, which
    # would un-count the failure; so these run in a transaction of their own.
    async with transaction(sessions) as session:
        try:
            return await work(session)
        except FailureCounted as counted:
            failure = counted.error
    raise failure


async def login(session: AsyncSession, config: Config, username: str, password: str,
                address: str = "unknown") -> LoginResult:
    """Log in through the throttle (core.auth.throttle); a wrong pair raises :class:`FailureCounted`."""
    gate = await throttle.open_gate(session, throttle.ThrottleSettings.from_env(), username, address)
    try:
        user = await authenticate(session, username, password)
    except ApiError as err:
        if err.status_code != 401:
            raise
        await gate.failed(session)
        raise FailureCounted(err) from None
    await gate.succeeded(session)
    return await _issue_token(session, config, user)


async def login_committed(sessions: async_sessionmaker[AsyncSession], config: Config, username: str,
                          password: str, address: str) -> LoginResult:
    """:func:`login` in a transaction of its own that keeps a counted failure."""
    return await _committing_failures(sessions, lambda session: login(session, config, username, password, address))


async def _issue_token(session: AsyncSession, config: Config, user: User) -> LoginResult:
    token = new_token()
    now = clock.now()
    expires_at = now + timedelta(hours=config.token_ttl_hours)
    session.add(AuthToken(token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=expires_at))
    await session.flush()
    return LoginResult(token=token, expires_at=expires_at, user=user)


_KNOWN_ROLES = frozenset(r.value for r in Role)


def _grant_pairs(pairs) -> tuple[tuple[Role, str | None], ...]:
    # A role name no longer in the code (say, of a removed plugin) grants nothing.
    return tuple(sorted(((Role(role), code) for role, code in pairs if role in _KNOWN_ROLES),
                        key=lambda p: (p[0].value, p[1] or "")))


def principal_of(user: User) -> Principal:
    """The principal of a loaded user (grants are loaded with the user)."""
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                     grants=_grant_pairs((g.role, g.region_code) for g in user.grants))


async def resolve_token(session: AsyncSession, token: str, *, cache_seconds: float = 0) -> Principal:
    """The principal a token stands for; 401 if unknown, expired, revoked or the user is inactive.

    One round trip: the token, its user and the user's grants come back
    together (one row per grant), since this runs before every request; with
    ``cache_seconds`` an answer that recent is taken from memory instead
    (:mod:`core.auth.principal_cache`).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise session_expired()
    token_hash = hash_token(token)
    if cache_seconds > 0 and (known := PRINCIPALS.get(token_hash, cache_seconds)) is not None:
        return known
    started = PRINCIPALS.started()
    rows = (await session.execute(
        select(AuthToken.expires_at, AuthToken.revoked_at, User.id, User.username, User.display_name,
               User.is_active, RoleGrant.role, RoleGrant.region_code)
        .join(User, User.id == AuthToken.user_id)
        .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
        .where(AuthToken.token_hash == token_hash))).all()
    if not rows:
        raise session_expired()
    row = rows[0]
    if row.revoked_at is not None or row.expires_at <= clock.now() or not row.is_active:
        raise session_expired()
    principal = Principal(user_id=row.id, username=row.username, display_name=row.display_name,
                          grants=_grant_pairs((r.role, r.region_code) for r in rows if r.role is not None))
    if cache_seconds > 0:
        PRINCIPALS.put(token_hash, principal, row.expires_at, started)
    return principal


async def logout(session: AsyncSession, token: str) -> bool:
    """Revoke the token. Returns whether a live token was revoked."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    PRINCIPALS.forget_token(hash_token(token))
    result = await session.execute(
        update(AuthToken).where(AuthToken.token_hash == hash_token(token), AuthToken.revoked_at.is_(None))
        .values(revoked_at=clock.now()))
    return result.rowcount > 0


def wrong_current_password() -> ApiError:
    return validation_failed(FieldError("current_password", "当前密码不正确", "the current password is wrong"))


async def change_password(sessions: async_sessionmaker[AsyncSession], principal: Principal, current_token: str,
                          current_password: str, new_password: str, address: str) -> int:
    """Set a new password for the logged-in user and end their other sessions (how many is returned).

    A wrong current password counts as a failed login, so this cannot be
    used to guess around the login throttle.
    """

    async def work(session: AsyncSession) -> int:
        gate = await throttle.open_gate(session, throttle.ThrottleSettings.from_env(), principal.username, address)
        user = await session.get(User, principal.user_id)
        if user is None or not verify_password(user.password_hash, current_password):
            await gate.failed(session)
            raise FailureCounted(wrong_current_password())
        check_password(new_password, user.username, field="new_password")
        user.password_hash = hash_password(new_password)
        now = clock.now()
        revoked = await session.execute(
            update(AuthToken).where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None),
                                    AuthToken.token_hash != hash_token(current_token))
            .values(revoked_at=now))
        await gate.succeeded(session)
        PRINCIPALS.forget_user(user.id)
        await record(session, actor=principal, action="user.password_change", object_type="user",
                     object_id=user.id, after={"username": user.username, "sessions_revoked": revoked.rowcount})
        return revoked.rowcount

    return await _committing_failures(sessions, work)
