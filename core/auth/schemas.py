"""Request bodies of the login and password routes. A field these forms do not
have is refused by name, so a misspelt ``passwd`` is not taken for a missing one."""
from __future__ import annotations

import msgspec


class LoginInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: str
    password: str


class PasswordChangeInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    current_password: str
    new_password: str
