"""The short memory of who a token stands for: never longer than its lifetime or the token's,
and never across a logout, a password change or a role change made in this process."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core import clock
from core.auth.principal_cache import PrincipalCache
from core.authz.principal import Principal
from core.authz.roles import Role

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)
CHAIR = Principal(user_id=7, username="chair", display_name="召集人", grants=((Role.council_chair, "330203001001"),))


def _cached(cache: PrincipalCache, token_hash: str = "h1") -> None:
    cache.put(token_hash, CHAIR, NOW + timedelta(hours=12), cache.started())


def test_an_entry_is_served_until_its_lifetime_ends():
    clock.set_now(NOW)
    cache = PrincipalCache()
    _cached(cache)
    assert cache.get("h1", ttl_seconds=5) == CHAIR
    assert cache.get("h1", ttl_seconds=0) is None  # older than a lifetime of nothing


def test_an_entry_never_outlives_its_token():
    clock.set_now(NOW)
    cache = PrincipalCache()
    _cached(cache)
    clock.set_now(NOW + timedelta(hours=12))
    assert cache.get("h1", ttl_seconds=3600) is None


def test_forgetting_a_user_or_a_token_drops_it_and_refuses_a_lookup_already_under_way():
    clock.set_now(NOW)
    cache = PrincipalCache()
    _cached(cache, "h1")
    _cached(cache, "h2")
    cache.forget_token("h1")
    assert cache.get("h1", 5) is None and cache.get("h2", 5) == CHAIR
    # A lookup that read the database before the logout must not put the old answer back.
    started = cache.started()
    cache.forget_user(CHAIR.user_id)
    cache.put("h2", CHAIR, NOW + timedelta(hours=12), started)
    assert cache.get("h2", 5) is None
    # One that began afterwards is fresh.
    _cached(cache, "h2")
    assert cache.get("h2", 5) == CHAIR
