"""Hook answers that are coroutines: awaited in order; after a refusal the rest never run."""
from __future__ import annotations

import gc
import warnings

import pytest

from core.asyncutil import await_each


async def test_answers_are_awaited_in_order_and_plain_values_pass_through():
    ran = []

    async def answer(n):
        ran.append(n)
        return n * 10

    assert await await_each([answer(1), 2, answer(3)]) == [10, 2, 30]
    assert ran == [1, 3]


async def test_after_a_refusal_the_later_answers_are_closed_unrun_and_silent():
    ran = []

    async def refuse():
        raise ValueError("refused")

    async def later():
        ran.append("later")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError):
            await await_each([refuse(), later()])
        gc.collect()
    assert ran == []
    assert not [w for w in caught if "never awaited" in str(w.message)]
