"""Password hashing with argon2id.

The cost of a new hash is a setting (``YISHI_PASSWORD_HASH_TIME_COST``,
``_MEMORY_KIB``, ``_PARALLELISM`` in :class:`core.config.Config`); our default
is argon2-cffi's, the RFC 9106 low-memory profile. Each hash records the
parameters it was made with and is verified under those, so hashes made
before the setting changed keep working.
"""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.config import Config


def hasher_for(config: Config) -> PasswordHasher:
    time_cost, memory_kib, parallelism = (config.password_hash_time_cost, config.password_hash_memory_kib,
                                          config.password_hash_parallelism)
    # argon2 itself would only refuse these at the first hash, with a message naming no setting.
    if time_cost < 1 or parallelism < 1 or memory_kib < 8 * parallelism:
        raise ValueError("YISHI_PASSWORD_HASH_*: time cost and parallelism must be at least 1, "
                         f"memory at least 8 KiB per lane; got t={time_cost} m={memory_kib} p={parallelism}")
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


@cache
def _hasher() -> PasswordHasher:
    # Read from the environment once per process: hashes are made where no
    # runtime is at hand, one of them when core.auth.service is imported.
    return hasher_for(Config.from_env())


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
