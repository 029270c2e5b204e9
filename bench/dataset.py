"""The bench database: a fresh PostgreSQL database holding Ningbo at city scale.

1. ``yishi db upgrade`` on a new database (named ``yishi_bench_…``; no other database is touched);
2. ``yishi regions import --city 3302`` from the 2023 division data (3,042 communities);
3. ``yishi tenants load tenants/ningbo.toml``: plugins, settings, users and the demo
   councils and topics, written by the services;
4. a few more template states through the same services: an objection answered
   and one left open on the public board, the overdue reminders the hourly job leaves;
5. the copies (bench/clone.py): every community and street gets a council, the
   templates' topics are copied over the city until it holds ``--topics`` topics,
   with their rows and audit entries;
6. ``VACUUM (ANALYZE)``, a check of every foreign key of the copied tables, and
   ``yishi audit checkpoint``, which verifies the whole chain (copies included)
   before it writes the head down, as the hourly job would.

What the build chose (regions to measure at, topics to read and write) goes to
``bench/.state/<database>/meta.json``, next to the audit key of that database.
"""
from __future__ import annotations

import asyncio
import json
import random
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import asyncpg

from bench import clone
from bench.common import DB_PREFIX, ROOT, Timings, dsn, sqlalchemy_url, state_dir, yishi

CITY = "3302"
TENANT_FILE = "tenants/ningbo.toml"
# The account the write is measured with (a council chair may record research) and the one reads use.
WRITER = ("ningbo_chair", "yishi-demo-2026")
READER = ("ningbo_admin", "yishi-demo-2026")
# Copies of the writer's research-step topics, so that each write goes to a different topic in turn.
WRITE_POOL_PER_TEMPLATE = 100
DETAIL_SAMPLE = 400


@dataclass
class Meta:
    database: str
    city: str
    district: str = ""
    street: str = ""
    community: str = ""
    board_community: str = ""
    detail_topics: list[int] = field(default_factory=list)
    write_topics: list[int] = field(default_factory=list)
    reader: tuple[str, str] = READER
    writer: tuple[str, str] = WRITER
    built_at: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    build_seconds: dict[str, float] = field(default_factory=dict)

    def save(self) -> None:
        path = state_dir(self.database) / "meta.json"
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, database: str) -> "Meta":
        path = state_dir(database) / "meta.json"
        if not path.exists():
            raise SystemExit(f"!! {path} is missing: --reuse needs a database built by bench/run (with --keep)")
        data = json.loads(path.read_text())
        data["reader"], data["writer"] = tuple(data["reader"]), tuple(data["writer"])
        return cls(**data)


async def admin_connection() -> asyncpg.Connection:
    return await asyncpg.connect(dsn("postgres"))


async def create_database(name: str) -> None:
    if not name.startswith(DB_PREFIX):
        raise SystemExit(f"!! the bench only creates databases named {DB_PREFIX}…")
    conn = await admin_connection()
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            raise SystemExit(f"!! database {name} exists already; use --reuse {name}, or drop it")
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(name: str) -> None:
    if not name.startswith(DB_PREFIX):
        raise SystemExit(f"!! the bench only drops databases named {DB_PREFIX}…")
    conn = await admin_connection()
    try:
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()
    shutil.rmtree(state_dir(name), ignore_errors=True)


def runtime_for(database: str):
    from core.config import Config
    from core.runtime import Runtime

    data = state_dir(database)
    config = Config.from_env(database_url=sqlalchemy_url(database), data_dir=data, upload_dir=data / "uploads",
                             broker_url=None, audit_key=None)
    return Runtime.build(config)


async def enrich_templates(database: str) -> list[str]:
    """States the demo does not reach, made through the services: in each template street,
    an objection answered on the first community's notice board and one left open on the next."""
    from sqlalchemy import select

    from core.authz.enforcer import Authorizer
    from core.authz.principal import Principal
    from core.authz.roles import Role
    from core.db import transaction
    from core.implementation.reminders import remind_overdue
    from core.models import Council, Topic, User
    from core.models.notice import Notice
    from core.notices import service as notices
    from core.tenants.demo_data import seeder_username
    from core.topics import service as topics

    runtime = runtime_for(database)
    done = []
    try:
        async with transaction(runtime.sessions) as session:
            authorizer = Authorizer()
            await authorizer.load(session)
            seeder = await session.scalar(select(User).where(User.username == seeder_username(CITY)))
            streets = sorted(c for c in await session.scalars(select(Council.region_code)) if len(c) == 9)
            for street in streets:
                communities = sorted(c for c in await session.scalars(select(Council.region_code))
                                     if len(c) == 12 and c.startswith(street))
                for position, community in enumerate(communities[:2]):
                    notice = await session.scalar(
                        select(Notice).join(Topic, Topic.id == Notice.topic_id)
                        .where(Topic.region_code == community, Notice.status == "open").order_by(Notice.id).limit(1))
                    if notice is None:
                        continue
                    await notices.submit_objection(
                        session, runtime.plugins, notice.id,
                        {"name": "居民代表", "contact": f"1390000{position}{len(done):03d}",
                         "text": "公示方案中的费用分摊比例未说明依据，希望补充说明。"},
                        client=f"127.0.0.{10 + len(done)}")
                    state = "open"
                    if position == 0:
                        chair = Principal(user_id=seeder.id, username=seeder.username,
                                          display_name=seeder.display_name,
                                          grants=((Role.council_chair, community),))
                        await topics.perform_action(session, chair, notice.topic_id, "dismiss_objection",
                                                    {"note": "费用分摊依据为业主大会决议，已在公示栏补充说明。"},
                                                    plugins=runtime.plugins, authorizer=authorizer)
                        state = "answered"
                    done.append(f"objection {state} on topic {notice.topic_id} ({community})")
        async with transaction(runtime.sessions) as session:
            reminded = await remind_overdue(session)
            done.append(f"overdue reminders for {reminded} task(s)")
    finally:
        await runtime.close()
    return done


async def research_topics(database: str, community: str, topic_ids: list[int]) -> set[int]:
    """Of ``topic_ids``, the open ones standing where their procedure records research."""
    from core.builtin import make_plugin_manager
    from core.procedures.registry import procedure_registry

    registry = procedure_registry(make_plugin_manager())
    conn = await asyncpg.connect(dsn(database))
    try:
        rows = await conn.fetch("SELECT id, procedure_key, procedure_version, step FROM topics "
                                "WHERE id = ANY($1::int[]) AND region_code = $2 AND status = 'open'",
                                topic_ids, community)
    finally:
        await conn.close()
    found = set()
    for row in rows:
        step = registry.get(row["procedure_key"], row["procedure_version"]).step(row["step"])
        if any(action.kind == "research" for action in step.actions):
            found.add(row["id"])
    return found


async def district_procedures(database: str, codes: list[str]) -> dict[str, str]:
    """The procedure new topics start under at each region, as the region's settings say."""
    from core.region_context import region_context

    runtime = runtime_for(database)
    try:
        async with runtime.read_sessions() as session:
            return {code: (await region_context(session, runtime.plugins, code)).procedure_for_new_topic().key
                    for code in codes}
    finally:
        await runtime.close()


async def make_copies(database: str, topics_wanted: int, seed: int, report: list[str]) -> dict[str, int]:
    from core.audit.key import load_audit_key
    from core.audit.service import entry_mac
    from core.models.audit import KEYED_SCHEME

    runtime = runtime_for(database)
    key = load_audit_key(runtime.config)
    await runtime.close()
    now = datetime.now(timezone.utc)
    rng = random.Random(seed)
    conn = await asyncpg.connect(dsn(database))
    try:
        templates = await clone.load_templates(conn, CITY, now)
        units = []
        for street in sorted(c for c in templates.councils if len(c) == 9):
            communities = sorted(c for c in templates.councils if len(c) == 12 and c.startswith(street))
            unit_topics = [t for t in templates.topics.values() if t.region_code.startswith(street)]
            units.append(clone.Unit(street, communities, unit_topics))
        districts = sorted(code for code, (_, level, _) in templates.regions.items() if level == "district")
        procedures = await district_procedures(database, districts + [u.street for u in units])
        unit_for: dict[str, clone.Unit] = {}
        for district in districts:
            same = [u for u in units if procedures[u.street] == procedures[district]]
            if not same:
                raise SystemExit(f"!! no template street follows {procedures[district]!r}, the procedure of {district}")
            unit_for[district] = next((u for u in same if u.street.startswith(district)), same[0])
        template_communities = {c for u in units for c in u.communities}
        pairs: list[clone.Pair] = []
        for street in sorted(code for code, (_, level, _) in templates.regions.items() if level == "street"):
            unit = unit_for[street[:6]]
            communities = sorted(code for code, (_, level, parent) in templates.regions.items()
                                 if level == "community" and parent == street and code not in template_communities)
            size = len(unit.communities)
            for start in range(0, len(communities), size):
                pairs.append(clone.Pair(unit, street, communities[start:start + size]))
        regular = len(pairs)
        # The write pool: copies of the writer's own research-step topics, in the writer's community.
        writer_region = await conn.fetchval(
            "SELECT g.region_code FROM role_grants g JOIN users u ON u.id = g.user_id WHERE u.username = $1",
            WRITER[0])
        home = next(u for u in units if writer_region in u.communities)
        pairs.append(clone.Pair(home, home.street, list(home.communities)))
        pool_templates = await research_topics(database, writer_region,
                                               [t.id for t in home.topics if t.region_code == writer_region])
        extra = [(len(pairs) - 1, templates.topics[t], WRITE_POOL_PER_TEMPLATE) for t in sorted(pool_templates)]
        copies = clone.plan_copies(templates, pairs, regular, topics_wanted, extra, now, rng)
        written = await clone.write_copies(conn, templates, pairs, copies, key, entry_mac, KEYED_SCHEME)
        report.append(f"templates: {len(templates.topics)} topics in {len(units)} streets "
                      f"({', '.join(u.street for u in units)}); {len(pairs)} places; "
                      f"{written.councils} councils copied")
        left_out = [f"{name} {n}" for name, n in sorted(templates.left_out.items())]
        left_out += [f"audit entries {action} {n}" for action, n in sorted(templates.audit_left_out.items())]
        report.append("not copied (shared, or belonging to no topic or council): " + (", ".join(left_out) or "nothing"))
        if written.dropped:
            report.append("rows dropped (a reference the copy cannot follow): " + ", ".join(
                f"{name} {n}" for name, n in sorted(written.dropped.items())))
        report.append(f"rows made and sent in {written.seconds:.1f} s (COPY busy {written.copy_busy:.1f} s of it), "
                      f"secondary indexes built again in {written.index_seconds:.1f} s; "
                      f"{written.audit:,} audit entries sealed, {written.audit_checked} of them checked "
                      "against core.audit.service.entry_mac")
        write_checkpoint(database, key, *written.head)
        report.append(f"checkpoint written for the new chain head, entry {written.head[0]:,}")
        pool_ids = sorted(c.new_id for c in copies if c.pair_index == len(pairs) - 1)
        return {"write_pool": pool_ids, "written": written.rows}
    finally:
        await conn.close()


# Commands a tree may have that recount what the services keep up to date as they write
# (totals per region); run after the copies when the product's CLI has them.
DERIVED = [("stats", "rebuild")]


def derived_rebuild(database: str) -> tuple[str, ...] | None:
    import subprocess

    from bench.common import TREE, YISHI, product_env

    for group, command in DERIVED:
        done = subprocess.run([YISHI, group, "--help"], cwd=TREE, env=product_env(database), capture_output=True,
                              text=True)
        if done.returncode == 0 and command in done.stdout:
            return (group, command)
    return None


def write_checkpoint(database: str, key, entry_id: int, mac: str) -> None:
    """The chain's new head, written down as ``yishi audit checkpoint`` writes it: the copies were
    sealed here, so walking 1.6 million entries again (what the command does first) is left to
    ``--verify-audit``; without a checkpoint the product's hourly job would walk them during the bench."""
    from core.audit.checkpoint import Checkpoint, append_checkpoint, checkpoint_path, read_checkpoints

    path = checkpoint_path(state_dir(database))
    existing = read_checkpoints(path, key)
    legacy_end = existing[-1].legacy_end if existing else 0
    append_checkpoint(path, key, Checkpoint(entry_id, mac, datetime.now(timezone.utc), legacy_end, where=path.name))


async def finish(database: str, report: list[str]) -> None:
    conn = await asyncpg.connect(dsn(database), timeout=60, command_timeout=3600)
    try:
        schema = await clone.load_schema(conn)
        broken = await clone.check_foreign_keys(conn, schema, [*clone.topic_family(schema), *clone.COUNCIL_TABLES])
        if broken:
            raise SystemExit("!! foreign keys broken by the copies: " + "; ".join(broken))
        report.append("foreign keys of the copied tables: all rows point at existing rows")
    finally:
        await conn.close()


async def vacuum(database: str) -> None:
    conn = await asyncpg.connect(dsn(database), command_timeout=3600)
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def choose(meta: Meta, write_pool: list[int], seed: int) -> None:
    """Where to measure: the district with most topics, its street with most, that street's
    community with most; the board of the community with most notices on it; topics to read."""
    conn = await asyncpg.connect(dsn(meta.database))
    try:
        async def busiest(length: int, prefix: str) -> str:
            return await conn.fetchval(
                "SELECT left(region_code, $1) AS code FROM topics WHERE region_code LIKE $2 || '%' "
                "AND length(region_code) >= $1 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", length, prefix)
        meta.district = await busiest(6, meta.city)
        meta.street = await busiest(9, meta.district)
        meta.community = await busiest(12, meta.street)
        meta.board_community = await conn.fetchval(
            "SELECT region_code FROM notices WHERE region_code LIKE $1 || '%' AND length(region_code) = 12 "
            "GROUP BY 1 ORDER BY count(*) FILTER (WHERE status = 'open') DESC, count(*) DESC, 1 LIMIT 1",
            meta.street)
        pool = set(write_pool)
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM topics ORDER BY id")]
        rng = random.Random(seed)
        meta.detail_topics = sorted(rng.sample([i for i in ids if i not in pool], DETAIL_SAMPLE))
        meta.write_topics = write_pool
        for table in ("topics", "topic_events", "notices", "objections", "tasks", "task_progress", "research_records",
                      "meetings", "meeting_participants", "councils", "council_members", "notifications",
                      "topic_links", "audit_entries", "regions"):
            meta.counts[table] = await conn.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await conn.close()


def build(database: str, topics_wanted: int, divisions: Path, timings: Timings, seed: int = 3302,
          verify_audit: bool = False) -> Meta:
    state_dir(database).mkdir(parents=True, exist_ok=True)
    state_dir(database).chmod(0o700)
    meta = Meta(database=database, city=CITY)
    report: list[str] = []
    with timings.step("create database " + database):
        asyncio.run(create_database(database))
    with timings.step("yishi db upgrade"):
        yishi(database, "db", "upgrade")
    with timings.step(f"yishi regions import --city {CITY}"):
        yishi(database, "regions", "import", "--city", CITY, "--from", str(divisions))
    with timings.step(f"yishi tenants load {TENANT_FILE} (plugins, settings, users, demo councils and topics)"):
        yishi(database, "tenants", "load", TENANT_FILE)
    with timings.step("template states through the services (objections, overdue reminders)"):
        for line in asyncio.run(enrich_templates(database)):
            print("    " + line)
    with timings.step("yishi audit checkpoint (verifies the chain the services wrote)"):
        print("    " + yishi(database, "audit", "checkpoint").strip().splitlines()[0][:90] + "…")
    with timings.step(f"copies: councils for every community and street, {topics_wanted:,} topics in all"):
        made = asyncio.run(make_copies(database, topics_wanted, seed, report))
        for line in report:
            print("    " + line)
        report.clear()
    rebuild = derived_rebuild(database)
    if rebuild:
        with timings.step("yishi " + " ".join(rebuild) + " (totals the services keep, recounted for the copies)"):
            for line in yishi(database, *rebuild).strip().splitlines()[-3:]:
                print("    " + line)
    with timings.step("foreign keys of every copied row"):
        asyncio.run(finish(database, report))
    with timings.step("VACUUM (ANALYZE)"):
        asyncio.run(vacuum(database))
    if verify_audit:
        with timings.step("yishi audit verify (the whole chain, copies included)"):
            print("    " + yishi(database, "audit", "verify").strip().splitlines()[0])
    with timings.step("choose regions and topics to measure"):
        asyncio.run(choose(meta, made["write_pool"], seed))
    meta.built_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta.build_seconds = {name: round(seconds, 1) for name, seconds in timings.steps}
    meta.save()
    print("    " + ", ".join(f"{table} {n:,}" for table, n in meta.counts.items()))
    return meta


if __name__ == "__main__":  # build only, for developing the copies: python -m bench.dataset NAME [TOPICS]
    import sys

    name = sys.argv[1]
    build(name, int(sys.argv[2]) if len(sys.argv) > 2 else 100_000, ROOT.parent / "shared/data/divisions-2023",
          Timings(), verify_audit="--verify-audit" in sys.argv)
