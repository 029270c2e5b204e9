"""SQL statements per request: the product built in-process (``core.app.create_app``) on the
bench database, each endpoint called through Litestar's test client, every statement the
request sends counted with a SQLAlchemy ``before_cursor_execute`` listener on the
runtime's engine (and every connection it checks out of the pool).

Only statements made while a request is being served count: the job runtime's
scheduler and sweep run as tasks of their own and are left out. Each endpoint is
called once to warm up (policy, procedures, statement caches), then once counted.
``--show`` prints the statements themselves.
"""
from __future__ import annotations

import asyncio
import contextvars
import sys
from dataclasses import dataclass, field

from bench.dataset import Meta, runtime_for
from bench.endpoints import Endpoint, endpoints

_measuring: contextvars.ContextVar[list | None] = contextvars.ContextVar("bench_measuring", default=None)


@dataclass
class Count:
    status: int
    statements: int
    checkouts: int
    sql: list[str] = field(default_factory=list)


async def count_all(meta: Meta, wanted: list[Endpoint] | None = None) -> dict[str, Count]:
    from litestar.testing import AsyncTestClient
    from sqlalchemy import event

    from core.app import create_app

    runtime = runtime_for(meta.database)
    engine = runtime.engine.sync_engine
    checkouts: list[int] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany):
        sink = _measuring.get()
        if sink is not None:
            sink.append(statement)

    @event.listens_for(engine.pool, "checkout")
    def _checkout(dbapi_conn, record, proxy):
        if _measuring.get() is not None:
            checkouts.append(1)

    app = create_app(runtime)
    import logging

    # The test client's requests need no log line each.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    results: dict[str, Count] = {}
    async with AsyncTestClient(app) as client:
        tokens = {}
        for who, (username, password) in (("reader", meta.reader), ("writer", meta.writer)):
            answer = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
            if answer.status_code != 200:
                raise SystemExit(f"!! login of {username} failed: {answer.status_code} {answer.text[:300]}")
            tokens[who] = answer.json()["token"]
        for endpoint in wanted or endpoints(meta):
            if not endpoint.product:
                continue
            headers = {"Authorization": f"Bearer {tokens[endpoint.who]}"} if endpoint.who in tokens else {}
            status = 0
            sink: list[str] = []
            for attempt in range(2):
                path = endpoint.paths[attempt % len(endpoint.paths)]
                sink = []
                checkouts.clear()
                token = _measuring.set(sink)
                try:
                    if endpoint.method == "GET":
                        answer = await client.get(path, headers=headers)
                    else:
                        answer = await client.post(path, headers=headers, json=endpoint.body)
                finally:
                    _measuring.reset(token)
                status = answer.status_code
                if status >= 400:
                    raise SystemExit(f"!! {endpoint.method} {path} answered {status}: {answer.text[:500]}")
            results[endpoint.key] = Count(status, len(sink), len(checkouts), sink)
    await runtime.close()
    return results


if __name__ == "__main__":  # python -m bench.sqlcount DATABASE [--show]
    meta = Meta.load(sys.argv[1])
    counted = asyncio.run(count_all(meta))
    for key, count in counted.items():
        print(f"{key:<28} {count.statements:>3} statements, {count.checkouts} connection checkout(s)")
        if "--show" in sys.argv:
            for statement in count.sql:
                print("      " + " ".join(statement.split())[:400])
