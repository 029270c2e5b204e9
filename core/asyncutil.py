"""Hooks are synchronous but may hand back a coroutine; the host awaits it."""
from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any


async def await_me_maybe(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


async def await_each(values: Iterable[Any]) -> list[Any]:
    """Await every hook answer in turn, returning the results in order.

    A hook call makes every implementation's coroutine at once; when one
    raises (a plugin refusing the change), the ones after it are closed
    rather than left un-awaited, so they neither run nor warn.
    """
    pending = list(values)
    results = []
    for index, value in enumerate(pending):
        try:
            results.append(await await_me_maybe(value))
        except BaseException:
            for rest in pending[index + 1:]:
                if inspect.iscoroutine(rest):
                    rest.close()
            raise
    return results
