"""Hooks are synchronous but may hand back a coroutine; the host awaits it."""
from __future__ import annotations

import inspect
from typing import Any


async def await_me_maybe(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value
