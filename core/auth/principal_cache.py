"""A short memory of who a session token stands for, so that an authenticated request needs no
round trip to the database before its handler's own.

Resolving the token is one query, but it ran on a session of its own ahead of the handler's,
and was a fifth of a topic list's cost. An entry lives ``YISHI_PRINCIPAL_CACHE_SECONDS`` (our
default 5; 0 turns the cache off) and never past its token's expiry. In this process, logging
out, a password change or reset and a role granted or revoked forget the user at once; another
process notices within the lifetime of its entries.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from core import clock
from core.authz.principal import Principal

# Bounded: beyond this many live sessions in one process the oldest entries go first.
MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    expires_at: datetime
    resolved_at: float


class PrincipalCache:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        # user id / token hash → when it was last forgotten: a lookup that began before then is stale.
        self._forgotten_users: dict[int, float] = {}
        self._forgotten_tokens: dict[str, float] = {}

    @staticmethod
    def started() -> float:
        """Take this before reading the token from the database; pass it to :meth:`put`."""
        return time.monotonic()

    def get(self, token_hash: str, ttl_seconds: float) -> Principal | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if (time.monotonic() - entry.resolved_at > ttl_seconds or entry.expires_at <= clock.now()
                or self._stale(token_hash, entry.principal.user_id, entry.resolved_at)):
            self._entries.pop(token_hash, None)
            return None
        return entry.principal

    def put(self, token_hash: str, principal: Principal, expires_at: datetime, started: float) -> None:
        if self._stale(token_hash, principal.user_id, started):
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        self._entries[token_hash] = _Entry(principal, expires_at, started)

    def forget_user(self, user_id: int) -> None:
        self._forgotten_users[user_id] = time.monotonic()
        for token_hash in [h for h, e in self._entries.items() if e.principal.user_id == user_id]:
            self._entries.pop(token_hash, None)

    def forget_token(self, token_hash: str) -> None:
        self._forgotten_tokens[token_hash] = time.monotonic()
        self._entries.pop(token_hash, None)
        if len(self._forgotten_tokens) > MAX_ENTRIES:
            self._forgotten_tokens.pop(next(iter(self._forgotten_tokens)))

    def _stale(self, token_hash: str, user_id: int, since: float) -> bool:
        return (since <= self._forgotten_users.get(user_id, float("-inf"))
                or since <= self._forgotten_tokens.get(token_hash, float("-inf")))


PRINCIPALS = PrincipalCache()
