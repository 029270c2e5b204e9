"""How fast is an authorization decision, and does memory stay flat as the
number of regions grows?

Loads the national division tree (342 cities, 2,978 districts, 41,352
streets, 620,573 communities from ``divisions-2023``) and 100,000 role grants
into PostgreSQL, then measures:

* the per-request lookup that turns a token into a Principal (token row,
  user, grants: what the guard does before deciding);
* the warm decision itself (``Authorizer.allowed`` / ``visible``);
* process RSS after loading the policy and after deciding over 1k, 10k,
  100k and every distinct community.

Not a test: run it by hand::

    .venv/bin/python benchmarks/authz_bench.py            # makes database yishi_bench
    .venv/bin/python benchmarks/authz_bench.py --database-url postgresql+asyncpg://...
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import gzip
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402

from core.auth import service  # noqa: E402
from core.auth.tokens import hash_token  # noqa: E402
from core.authz.enforcer import Authorizer  # noqa: E402
from core.authz.principal import Principal  # noqa: E402
from core.authz.roles import Role  # noqa: E402
from core.db import make_engine, make_sessionmaker  # noqa: E402
from core.migrate import upgrade  # noqa: E402

DEFAULT_DATA = Path("/work/shared/data/divisions-2023")
DEFAULT_SERVER = "postgres@127.0.0.1:5432"
ACTIONS = ("region.read", "region.manage", "user.manage", "settings.read", "settings.manage")


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def read_csv(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def region_rows(data_dir: Path) -> list[list[tuple]]:
    """Region rows level by level (parents first, for the foreign key)."""
    now = datetime.now(timezone.utc)
    levels = [("cities", "city", None), ("areas", "district", "cityCode"),
              ("streets", "street", "areaCode"), ("villages", "community", "streetCode")]
    known: set[str] = set()
    out: list[list[tuple]] = []
    for file, level, parent_key in levels:
        rows = []
        for row in read_csv(data_dir / f"{file}.csv.gz"):
            code = row["code"]
            parent = row[parent_key] if parent_key else None
            if parent is not None and (parent not in known or not code.startswith(parent)):
                continue  # an orphan would break the tree's prefix rule
            known.add(code)
            rows.append((code, row["name"][:100], level, parent, code[:4], True, now, now))
        out.append(rows)
    return out


async def prepare_database(url: str, fresh: bool) -> None:
    if fresh:
        name = url.rsplit("/", 1)[-1]
        admin = await asyncpg.connect(f"postgresql://{DEFAULT_SERVER}/postgres")
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
    await asyncio.to_thread(upgrade, url)


async def load_data(url: str, data_dir: Path, n_grants: int, n_tokens: int, seed: int) -> dict:
    rng = random.Random(seed)
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    try:
        if await conn.fetchval("SELECT count(*) FROM regions") > 0:
            raise SystemExit("database already holds regions; use a fresh one (omit --database-url)")
        started = time.perf_counter()
        levels = await asyncio.to_thread(region_rows, data_dir)
        columns = ["code", "name", "level", "parent_code", "city_code", "active", "created_at", "updated_at"]
        for rows in levels:
            await conn.copy_records_to_table("regions", records=rows, columns=columns)
        regions_seconds = time.perf_counter() - started
        cities, districts, streets, communities = ([r[0] for r in rows] for rows in levels)

        # Roughly how a national deployment's grants would spread: few admins,
        # many street staff, most grants on community councils.
        mix = [(Role.city_admin, cities, 0.005), (Role.district_admin, districts, 0.03),
               (Role.street_staff, streets, 0.2), (Role.council_chair, streets, 0.05),
               (Role.council_member, communities, 0.5), (Role.resident, communities, 0.165),
               (Role.supervisor, communities, 0.05)]
        n_users = n_grants // 2
        grants: set[tuple[int, str, str]] = set()
        while len(grants) < n_grants:
            r = rng.random()
            for role, pool, share in mix:
                r -= share
                if r <= 0:
                    break
            grants.add((rng.randint(1, n_users), role.value, rng.choice(pool)))
        now = datetime.now(timezone.utc)
        fake_hash = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"  # never logged in with
        await conn.copy_records_to_table(
            "users", records=[(i, f"user{i}", f"User {i}", fake_hash, True, now) for i in range(1, n_users + 1)],
            columns=["id", "username", "display_name", "password_hash", "is_active", "created_at"])
        await conn.copy_records_to_table(
            "role_grants", records=[(u, role, code, now) for u, role, code in grants],
            columns=["user_id", "role", "region_code", "created_at"])
        await conn.execute("SELECT setval('users_id_seq', $1)", n_users)
        token_users = rng.sample(range(1, n_users + 1), n_tokens)
        tokens = [f"bench-token-{u}-{rng.getrandbits(64):x}" for u in token_users]
        await conn.copy_records_to_table(
            "auth_tokens", records=[(hash_token(t), u, now, now + timedelta(days=1))
                                    for t, u in zip(tokens, token_users)],
            columns=["token_hash", "user_id", "created_at", "expires_at"])
        await conn.execute("ANALYZE")
        return {"regions": [len(rows) for rows in levels], "regions_seconds": regions_seconds,
                "users": n_users, "grants": len(grants), "tokens": tokens, "communities": communities,
                "streets": streets}
    finally:
        await conn.close()


def median_us(samples_ns: list[int]) -> float:
    return statistics.median(samples_ns) / 1000


async def measure(url: str, loaded: dict, seed: int) -> None:
    rng = random.Random(seed + 1)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    tokens = loaded["tokens"]
    communities = loaded["communities"]
    print(f"regions loaded: cities {loaded['regions'][0]:,}, districts {loaded['regions'][1]:,}, "
          f"streets {loaded['regions'][2]:,}, communities {loaded['regions'][3]:,} "
          f"in {loaded['regions_seconds']:.1f} s")
    print(f"users {loaded['users']:,}, grants {loaded['grants']:,}, tokens {len(tokens):,}")

    # 1. token -> Principal: what every authenticated request pays first.
    principals = []
    async with sessions() as session:
        for token in tokens[:200]:  # warm the pool, the plan cache and PostgreSQL's buffers
            await service.resolve_token(session, token)
        lookup_ns = []
        for token in tokens:
            started = time.perf_counter_ns()
            principal = await service.resolve_token(session, token)
            lookup_ns.append(time.perf_counter_ns() - started)
            principals.append(principal)
        await session.rollback()
    print(f"token -> principal (1 indexed query over asyncpg): median {median_us(lookup_ns):.0f} µs, "
          f"p95 {statistics.quantiles(lookup_ns, n=20)[-1] / 1000:.0f} µs over {len(lookup_ns):,} tokens")

    # 2. The decision. RSS is read before the authorizer exists, after it
    # loads, and after deciding over ever more distinct regions.
    # Half the decisions come from random users (mostly out of reach), half
    # from the region's own city admin, so casbin is really consulted for
    # every city and action and the memo reaches its ceiling.
    principals = [p for p in principals if p.grants]
    city_admins = {city: Principal(0, f"admin{city}", city, ((Role.city_admin, city),))
                   for city in {code[:4] for code in communities}}
    shuffled = communities[:]
    rng.shuffle(shuffled)
    gc.collect()
    rss_start = rss_mib()
    authorizer = Authorizer()
    async with sessions() as session:
        await authorizer.load(session)
    gc.collect()
    rss_loaded = rss_mib()
    print(f"RSS before authorizer {rss_start:.1f} MiB, after loading policy {rss_loaded:.1f} MiB")

    pairs_done = 0
    for target in (1_000, 10_000, 100_000, len(shuffled)):
        while pairs_done < target:  # indexes, not slices: a copied slice would itself move RSS
            code = shuffled[pairs_done]
            if pairs_done % 2:
                principal = principals[pairs_done % len(principals)]
            else:
                principal = city_admins[code[:4]]
            authorizer.allowed(principal, ACTIONS[pairs_done % len(ACTIONS)], code)
            pairs_done += 1
        gc.collect()
        print(f"  after deciding for {target:>7,} distinct regions: RSS {rss_mib():.1f} MiB "
              f"({rss_mib() - rss_loaded:+.1f}), "
              f"memoised decisions {len(authorizer._memo):,}")

    # Warm decisions: a mix that mostly falls inside the caller's reach (what
    # real requests do: the UI only links to reachable regions) plus misses.
    def reachable(principal) -> str:
        role, where = rng.choice(principal.grants)
        if where is None:
            return rng.choice(communities)
        if len(where) == 12:
            return where
        inside = [c for c in (where + "001001", where + "001", where + "001001001") if len(c) == 12]
        return inside[0] if inside else where

    cases = []
    for i in range(100_000):
        principal = principals[i % len(principals)]
        code = reachable(principal) if i % 4 else rng.choice(communities)
        cases.append((principal, ACTIONS[i % 2], code))
    for principal, action, code in cases:  # warm the memo
        authorizer.allowed(principal, action, code)
    allowed_ns, visible_ns = [], []
    granted = 0
    for principal, action, code in cases:
        started = time.perf_counter_ns()
        ok = authorizer.allowed(principal, action, code)
        allowed_ns.append(time.perf_counter_ns() - started)
        granted += ok
        started = time.perf_counter_ns()
        authorizer.visible(principal, code)
        visible_ns.append(time.perf_counter_ns() - started)
    batch_started = time.perf_counter_ns()
    for principal, action, code in cases:
        authorizer.allowed(principal, action, code)
    batch_us = (time.perf_counter_ns() - batch_started) / len(cases) / 1000
    grants_per = statistics.mean(len(p.grants) for p in principals)
    print(f"warm Authorizer.allowed: median {median_us(allowed_ns):.2f} µs "
          f"(p99 {statistics.quantiles(allowed_ns, n=100)[-1] / 1000:.2f} µs, "
          f"batch mean {batch_us:.2f} µs) over {len(cases):,} decisions, {granted:,} allowed, "
          f"{grants_per:.1f} grants per principal")
    print(f"warm Authorizer.visible: median {median_us(visible_ns):.2f} µs")
    target = 100.0
    total = median_us(lookup_ns) + median_us(allowed_ns)
    verdict = "within" if median_us(allowed_ns) < target else "OVER"
    print(f"decision {verdict} the {target:.0f} µs target; lookup + decision per request ≈ {total:.0f} µs")
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty, migratable PostgreSQL database "
                                               "(default: recreate yishi_bench on the local server)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--grants", type=int, default=100_000)
    parser.add_argument("--tokens", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20231)
    args = parser.parse_args()
    url = args.database_url or f"postgresql+asyncpg://{DEFAULT_SERVER}/yishi_bench"
    await prepare_database(url, fresh=args.database_url is None)
    loaded = await load_data(url, args.data_dir, args.grants, args.tokens, args.seed)
    await measure(url, loaded, args.seed)


if __name__ == "__main__":
    asyncio.run(main())
