"""Login tokens: random, shown to the client once, stored only as a digest.

A leaked database copy then holds no usable session; SHA-256 (not a slow
password hash) is enough because the token carries 256 bits of randomness.
"""
from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
# Longer than any token we issue; anything past this is not worth hashing.
MAX_TOKEN_LENGTH = 256


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value or None
