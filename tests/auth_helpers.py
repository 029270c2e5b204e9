"""Builders for tests that log in: users with grants, and logging in over HTTP."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from core.app import create_app
from core.runtime import Runtime

from core.auth.users import create_user, grant_role
from core.models import User

PASSWORD = "correct-horse-42"


@asynccontextmanager
async def app_client(runtime: Runtime) -> AsyncIterator[AsyncTestClient]:
    """A test client for an app on the same database as ``runtime``.

    The test client runs the app on its own event loop (in a thread), and
    asyncpg connections belong to the loop that opened them, so the app gets
    its own Runtime (engine, pool, authorizer) rather than sharing the test's.
    """
    app_runtime = Runtime.build(runtime.config, plugins=runtime.plugins)
    async with AsyncTestClient(app=create_app(app_runtime)) as client:
        yield client


async def make_user(session: AsyncSession, username: str, *grants: tuple[str, str | None],
                    password: str = PASSWORD) -> User:
    """Create a user holding ``grants`` (role, region code) and commit."""
    user = await create_user(session, username, password, display_name=f"{username} 显示名")
    for role, code in grants:
        await grant_role(session, user, role, code)
    await session.commit()
    return user


async def login(client, username: str, password: str = PASSWORD) -> str:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    # Tests authenticate by header; a stored cookie would mask a missing one.
    client.cookies.clear()
    return response.json()["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
