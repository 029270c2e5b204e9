"""What a password must be before it is stored: the one check, used wherever a
password is set (user creation, the CLI, tenant files, a password change).

The minimum length is our default (YISHI_PASSWORD_MIN_LENGTH, 10), read at
call time so an operator's setting applies without a code change.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from core.errors import FieldError, validation_failed

DEFAULT_MIN_LENGTH = 10
_COMMON_FILE = Path(__file__).with_name("common_passwords.csv")


def min_length() -> int:
    return int(os.environ.get("YISHI_PASSWORD_MIN_LENGTH", str(DEFAULT_MIN_LENGTH)))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: object, username: str | None = None) -> list[tuple[str, str]]:
    """Every reason (zh, en) ``password`` may not be used by ``username``; empty when it may."""
    if not isinstance(password, str):
        return [("密码须为文本", "password must be text")]
    problems = []
    least = min_length()
    if len(password) < least:
        problems.append((f"密码至少 {least} 位", f"password must have at least {least} characters"))
    if not password.strip():
        problems.append(("密码不能全是空白字符", "password must not be only whitespace"))
    elif password.strip().lower() in common_passwords():
        problems.append(("密码过于常见，容易被猜中，请换一个", "password is too common and easily guessed; choose another"))
    if username and username.lower() in password.lower():
        problems.append(("密码不能包含用户名", "password must not contain the username"))
    return problems


def check_password(password: object, username: str | None = None, *, field: str = "password") -> None:
    """Raise a field-level 400 naming ``field`` if ``password`` breaks the policy."""
    problems = password_problems(password, username)
    if problems:
        raise validation_failed(*(FieldError(field, zh, en) for zh, en in problems))
