"""Tests that ask for ``ningbo`` start from the shipped tenant file already loaded:
their database is a copy of a template written once per backend (tests/conftest.py)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from core import clock
from tests.conftest import Seed
from tests.plugins.ningbo.helpers import fixed_now, load_ningbo


async def _write_ningbo(runtime) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        await load_ningbo(runtime, Path(scratch))


NINGBO = Seed("ningbo", fixed_now(), _write_ningbo)


@pytest.fixture
def database_seed(request) -> Seed | None:
    # Only for tests that ask for the city: a few arrange a small tree of their own.
    return NINGBO if "ningbo" in request.fixturenames else None


@pytest.fixture
def ningbo(runtime, db) -> None:
    """``tenants/ningbo.toml`` less its demo, loaded at fixed_now(); the clock stays there."""
    clock.set_now(fixed_now())
