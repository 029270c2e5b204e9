"""Rate limits under real concurrency, and the client address they count by.

Concurrent requests go through httpx's ASGI transport on the test's own
event loop, so they really interleave inside the app (Litestar's test
client runs one request at a time). Its peer is 127.0.0.1: exactly the case
of a local reverse proxy passing X-Forwarded-For on.
"""
from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from contextlib import asynccontextmanager
from datetime import timedelta

import click
import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from core import clock
from core.app import create_app
from core.builtin.housekeeping import purge_rate_limit_windows
from core.cli_support import uvicorn_options
from core.config import Config
from core.clientaddr import digest, parse_trusted, resolve
from core.jobs.scheduler import collect_scheduled_jobs
from core.models import Topic, TopicEvent
from core.models.notice import Notice, Objection
from core.models.ratelimit import RateLimitWindow
from core.notices.service import OBJECTIONS_PER_HOUR
from core.public.service import PER_CLIENT, admit
from core.runtime import Runtime
from core.tenants.settings import resolve_setting
from tests.helpers import SMALL_TREE, add_regions
from tests.test_notices import COMMUNITY, PHONE, T0, world  # noqa: F401  (fixture)

PEER = "127.0.0.1"
CONCURRENT = 30


@asynccontextmanager
async def asgi_client(runtime: Runtime, *, trusted: tuple[str, ...] = (), peer: str = PEER):
    """An app of its own on the test's database, started and stopped like a served one."""
    config = dataclasses.replace(runtime.config, trusted_proxies=trusted)
    app = create_app(Runtime.build(config, plugins=runtime.plugins))
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def count(db, model, *where) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where))


def submit(client, n: int, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(f"/api/v1/public/regions/{COMMUNITY}/topics", json={"title": f"议题 {n}"}, headers=headers)


def object_to(client, notice_id: int, n: int, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(f"/api/v1/public/notices/{notice_id}/objections", headers=headers,
                       json={"name": f"居民{n}", "contact": PHONE, "text": "异议"})


@pytest.fixture
async def regions(db):
    # Frozen, so thirty requests cannot straddle two windows.
    clock.set_now(T0)
    await add_regions(db, *SMALL_TREE)
    await db.commit()


@pytest.fixture
async def notice_id(world):
    topic_id = await world.published()
    notice = await world.db.scalar(select(Notice).where(Notice.topic_id == topic_id))
    # End the read transaction: on SQLite it would keep an old snapshot for the counts below.
    await world.db.commit()
    return notice.id


# -- exact under concurrency -------------------------------------------------------------

async def test_concurrent_objections_from_one_address_get_exactly_the_limit(world, notice_id, runtime):
    limit = await objection_limit(world)
    async with asgi_client(runtime) as client:
        responses = await asyncio.gather(*(object_to(client, notice_id, n) for n in range(CONCURRENT)))
    assert Counter(r.status_code for r in responses) == {201: limit, 429: CONCURRENT - limit}, \
        [r.text for r in responses if r.status_code not in (201, 429)]
    refused = next(r for r in responses if r.status_code == 429).json()["error"]
    assert refused["code"] == "rate_limited" and f"每小时最多 {limit} 条异议" in refused["message_zh"]
    db = world.db
    assert await count(db, Objection) == limit
    assert await count(db, TopicEvent, TopicEvent.action == "object") == limit
    # The refused ones took no slot.
    assert await db.scalar(select(RateLimitWindow.count)
                           .where(RateLimitWindow.key == f"notices.objection:{digest(PEER)}")) == limit


async def test_concurrent_public_submissions_from_one_address_get_exactly_the_limit(db, regions, runtime):
    async with asgi_client(runtime) as client:
        responses = await asyncio.gather(*(submit(client, n) for n in range(CONCURRENT)))
    limit = PER_CLIENT.max_count
    assert Counter(r.status_code for r in responses) == {201: limit, 429: CONCURRENT - limit}, \
        [r.text for r in responses if r.status_code not in (201, 429)]
    assert await count(db, Topic) == limit
    windows = dict((await db.execute(select(RateLimitWindow.key, RateLimitWindow.count))).all())
    assert windows == {f"public.client:{digest(PEER)}": limit, f"public.region:{COMMUNITY}": limit}


# -- whose address counts -------------------------------------------------------------------

async def objection_limit(world) -> int:
    limit = await resolve_setting(world.db, world.plugins, COMMUNITY, OBJECTIONS_PER_HOUR)
    await world.db.commit()
    return limit


async def test_without_trusted_proxies_x_forwarded_for_is_ignored(world, notice_id, runtime):
    limit = await objection_limit(world)
    async with asgi_client(runtime) as client:
        # Every request claims another address; all come from the same peer and share its limit.
        submitted = [(await submit(client, n, f"198.51.100.{n}")).status_code for n in range(PER_CLIENT.max_count + 1)]
        objected = [(await object_to(client, notice_id, n, f"198.51.100.{n}")).status_code
                    for n in range(limit + 1)]
    assert submitted == [201] * PER_CLIENT.max_count + [429]
    assert objected == [201] * limit + [429]


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(world, notice_id, runtime):
    limit = await objection_limit(world)
    async with asgi_client(runtime, trusted=("127.0.0.0/8",)) as client:
        # Distinct clients behind the proxy each have their own limit.
        distinct = [(await submit(client, n, f"198.51.100.{n}")).status_code for n in range(PER_CLIENT.max_count + 1)]
        # What a client writes to the left of the proxy's entry is its own choice and changes nothing.
        spoofed = [(await object_to(client, notice_id, n, f"10.9.9.{n}, 203.0.113.7")).status_code
                   for n in range(limit + 1)]
    assert distinct == [201] * (PER_CLIENT.max_count + 1)
    assert spoofed == [201] * limit + [429]
    keys = set(await world.db.scalars(select(RateLimitWindow.key)))
    assert f"notices.objection:{digest('203.0.113.7')}" in keys
    assert f"public.client:{digest(PEER)}" not in keys


def test_the_right_most_untrusted_hop_is_the_client():
    trusted = parse_trusted(["10.0.0.0/8", "192.0.2.1"])
    # The peer is not trusted: its own address, whatever the header says.
    assert resolve("198.51.100.9", ["1.2.3.4"], trusted) == "198.51.100.9"
    # Trusted proxies (in a network and by address) are skipped from the right.
    assert resolve("10.0.0.5", ["1.2.3.4, 198.51.100.9, 192.0.2.1, 10.1.1.1"], trusted) == "198.51.100.9"
    # Several header lines read as one list; ports and brackets are not part of the address.
    assert resolve("10.0.0.5", ["1.2.3.4", "[2001:db8::7]:443"], trusted) == "2001:db8::7"
    assert resolve("10.0.0.5", ["198.51.100.9:5100"], trusted) == "198.51.100.9"
    # A trusted peer sending no header is the client; a dual-stack socket's mapped form is the IPv4 one.
    assert resolve("::ffff:10.0.0.5", [], trusted) == "10.0.0.5"
    # Every hop trusted: the left-most is as far back as anyone vouches.
    assert resolve("10.0.0.5", ["10.2.2.2, 10.1.1.1"], trusted) == "10.2.2.2"
    assert resolve(None, [], trusted) == "unknown"


def test_a_trusted_proxy_must_be_an_address_or_a_network():
    for bad in ("*", "proxy.local", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="YISHI_TRUSTED_PROXIES"):
            parse_trusted([bad])


# -- what yishi serve tells uvicorn ---------------------------------------------------------

async def _client_seen_by_app(options: dict, peer: str, forwarded_for: str) -> tuple[str, int]:
    """The client a request from ``peer`` reaches the app with, through uvicorn's
    own middleware stack as configured by ``options``."""
    seen = {}

    async def probe(scope, receive, send):
        seen["client"] = scope["client"]

    config = uvicorn.Config(probe, **{**options, "log_config": None})
    config.load()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/", "raw_path": b"/", "query_string": b"", "root_path": "",
             "headers": [(b"x-forwarded-for", forwarded_for.encode())], "client": (peer, 5000),
             "server": ("127.0.0.1", 8000)}
    await config.loaded_app(scope, None, None)
    return seen["client"]


def settings(*trusted: str) -> Config:
    return Config.from_env(database_url="sqlite+aiosqlite://", broker_url=None, trusted_proxies=trusted)


async def test_serve_gives_uvicorn_no_trusted_proxy_by_default():
    options = uvicorn_options(settings())
    assert options["forwarded_allow_ips"] == [] and options["proxy_headers"] is False
    # uvicorn's own default would believe 127.0.0.1; with these options it does not.
    assert (await _client_seen_by_app(options, PEER, "203.0.113.7"))[0] == PEER


async def test_serve_gives_uvicorn_the_trusted_proxies_setting():
    setting = ("127.0.0.1", "10.0.0.0/8")
    options = uvicorn_options(settings(*setting), "0.0.0.0", 9000)
    assert options["forwarded_allow_ips"] == list(setting) and options["proxy_headers"] is True
    assert (options["host"], options["port"]) == ("0.0.0.0", 9000)
    header = "1.2.3.4, 203.0.113.7, 10.1.1.1"
    seen = (await _client_seen_by_app(options, PEER, header))[0]
    # uvicorn and the app pick the same client, and an address uvicorn rewrote resolves to itself.
    assert seen == "203.0.113.7" == resolve(PEER, [header], parse_trusted(setting))
    assert resolve(seen, [header], parse_trusted(setting)) == seen


def test_serve_refuses_a_wildcard_trusted_proxy():
    with pytest.raises(click.UsageError, match="YISHI_TRUSTED_PROXIES"):
        uvicorn_options(settings("*"))


# -- housekeeping ---------------------------------------------------------------------------

async def test_the_daily_purge_deletes_ended_windows_only(db, regions, runtime):
    await admit(db, "198.51.100.1", COMMUNITY)
    await db.commit()
    clock.advance(PER_CLIENT.window)
    await admit(db, "198.51.100.2", COMMUNITY)
    await db.commit()
    # The first request's client and region windows have ended; the second's are current.
    assert await purge_rate_limit_windows(runtime) == 2
    windows = dict((await db.execute(select(RateLimitWindow.key, RateLimitWindow.count))).all())
    assert windows == {f"public.client:{digest('198.51.100.2')}": 1, f"public.region:{COMMUNITY}": 1}
    clock.advance(timedelta(seconds=1))
    assert await purge_rate_limit_windows(runtime) == 0
    scheduled = {job.name: job for job in collect_scheduled_jobs(runtime)}
    assert scheduled["core.purge_rate_limit_windows"].job == "core.purge_rate_limit_windows"
