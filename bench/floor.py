"""The floor: a bare Litestar + async SQLAlchemy app answering the bench's queries on the
product's tables with hand-written SQL, at the product's paths, with no login, no
authorization, no plugins. What the same framework, driver and database give when the
application does nothing else: the speed the product is measured against.

    python -m bench.floor --database-url postgresql+asyncpg://… --port 8100 [--workers 2]

* topic detail: the topic row and its history (2 statements);
* topic list of a region's subtree, page 1 newest first, with the total (2);
* region children of a region, page 1 with the total (2);
* public notice board of a region: its own notices and those of topics affecting it,
  open ones and those closed in the last 30 days, as a UNION of two indexed lookups
  (``?same_sql=1``: filtered ``region_code = :c OR EXISTS (…)`` as the product did
  before commit 449698c), with the page's objections (3);
* stats of a region: the eight aggregate statements ``core/stats/service.py`` ran
  before the per-region totals (issue 12: scanning topics and topic_events), for a
  caller whose scope is the whole city (8);
* write: record research: the topic's counter raised, an event and a research row,
  in one transaction (3).

Several processes (``--workers N``) each bind the port with SO_REUSEPORT and the
kernel spreads connections over them; every connection has Nagle off (asyncio's
default for TCP transports).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
from litestar import Litestar, get, post
from litestar.exceptions import NotFoundException
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

PAGE = 50
RECENT = timedelta(days=30)
SECONDS_PER_DAY = 86400.0

engine: AsyncEngine | None = None
settings: dict[str, Any] = {}

TOPIC = ("id, region_code, origin_region_code, title, category, channel, scale, proposer_name, procedure_key, "
         "procedure_version, step, status, due_at, created_at, updated_at")


def upper(code: str) -> str:
    return code[:-1] + chr(ord(code[-1]) + 1)


def rows(result) -> list[dict]:
    return [dict(r) for r in result.mappings()]


def decoded(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str) else value


@get("/api/v1/topics/{topic_id:int}")
async def topic_detail(topic_id: int) -> dict:
    async with engine.connect() as conn:
        topic = (await conn.execute(text(f"SELECT {TOPIC}, description, timers FROM topics WHERE id = :id"),
                                    {"id": topic_id})).mappings().first()
        if topic is None:
            raise NotFoundException()
        history = rows(await conn.execute(text(
            "SELECT at, actor_user_id, actor_name, action, from_step, to_step, status, note, data "
            "FROM topic_events WHERE topic_id = :id ORDER BY at, id"), {"id": topic_id}))
    view = dict(topic)
    view["timers"] = decoded(view["timers"])
    for entry in history:
        entry["data"] = decoded(entry["data"])
    view["history"] = history
    return view


@get("/api/v1/regions/{code:str}/topics")
async def topic_list(code: str, page: int = 1) -> dict:
    where = "region_code >= :lo AND region_code < :hi"
    bounds = {"lo": code, "hi": upper(code)}
    async with engine.connect() as conn:
        total = await conn.scalar(text(f"SELECT count(*) FROM topics WHERE {where}"), bounds)
        items = rows(await conn.execute(text(
            f"SELECT {TOPIC} FROM topics WHERE {where} ORDER BY id DESC LIMIT :limit OFFSET :offset"),
            {**bounds, "limit": PAGE, "offset": (page - 1) * PAGE}))
    return {"items": items, "total": total, "page": page, "page_size": PAGE}


@get("/api/v1/regions/{code:str}/children")
async def region_children(code: str, page: int = 1) -> dict:
    async with engine.connect() as conn:
        total = await conn.scalar(text("SELECT count(*) FROM regions WHERE parent_code = :code"), {"code": code})
        items = rows(await conn.execute(text(
            "SELECT code, name, level, parent_code, city_code, active FROM regions WHERE parent_code = :code "
            "ORDER BY code LIMIT :limit OFFSET :offset"), {"code": code, "limit": PAGE, "offset": (page - 1) * PAGE}))
    return {"items": items, "total": total, "page": page, "page_size": PAGE}


SHOWN = "(n.status = 'open' OR (n.status = 'closed' AND n.closed_at >= :since))"
BOARD_UNION = (f"SELECT n.id FROM notices n WHERE n.region_code = :code AND {SHOWN} UNION "
               f"SELECT n.id FROM notices n JOIN topic_regions r ON r.topic_id = n.topic_id "
               f"WHERE r.region_code = :code AND {SHOWN}")
BOARD_OR_EXISTS = (f"SELECT n.id FROM notices n WHERE (n.region_code = :code OR EXISTS (SELECT 1 FROM topic_regions r "
                   f"WHERE r.topic_id = n.topic_id AND r.region_code = :code)) AND {SHOWN}")


@get("/api/v1/public/regions/{code:str}/notices")
async def notice_board(code: str, page: int = 1, same_sql: int = 0) -> dict:
    shown = BOARD_OR_EXISTS if same_sql else BOARD_UNION
    values = {"code": code, "since": datetime.now(timezone.utc) - RECENT}
    async with engine.connect() as conn:
        head = (await conn.execute(text(
            f"SELECT EXISTS (SELECT 1 FROM regions WHERE code = :code) AS known, "
            f"(SELECT count(*) FROM ({shown}) s) AS total"), values)).mappings().first()
        if not head["known"]:
            raise NotFoundException()
        notices = rows(await conn.execute(text(
            f"SELECT id, topic_id, region_code, title, text, opens_at, closes_at, status, result, closed_at "
            f"FROM notices WHERE id IN ({shown}) "
            f"ORDER BY (status = 'open') DESC, closes_at DESC, id DESC LIMIT :limit OFFSET :offset"),
            {**values, "limit": PAGE, "offset": (page - 1) * PAGE}))
        objections: dict[int, list] = {n["id"]: [] for n in notices}
        if notices:
            for row in rows(await conn.execute(text(
                    "SELECT id, notice_id, name, contact, text, created_at, status, answer, answered_at, "
                    "answered_by_name FROM objections WHERE notice_id = ANY(:ids) ORDER BY id"),
                    {"ids": list(objections)})):
                row["contact"] = row["contact"][:3] + "****"
                objections[row.pop("notice_id")].append(row)
    for notice in notices:
        notice["objections"] = objections[notice["id"]]
    return {"items": notices, "total": head["total"], "page": page, "page_size": PAGE}


def subtree(column: str) -> str:
    # As the product wrote it: the region's range, then the caller's scope (a city admin: the city).
    return f"{column} >= :lo AND {column} < :hi AND {column} >= :scope_lo AND {column} < :scope_hi"


@get("/api/v1/regions/{code:str}/stats")
async def region_stats(code: str) -> dict:
    city = settings["city"]
    values = {"lo": code, "hi": upper(code), "scope_lo": city, "scope_hi": upper(city)}
    now = datetime.now(timezone.utc)
    actions = settings["resolution_actions"]
    topics = subtree("topics.region_code")
    async with engine.connect() as conn:
        figures: dict[str, Any] = {"region_code": code, "as_of": now.isoformat()}
        figures["topics_total"] = await conn.scalar(text(f"SELECT count(*) FROM topics WHERE {topics}"), values)
        for name, column in (("topics_by_step", "step"), ("topics_by_status", "status")):
            result = await conn.execute(text(
                f"SELECT {column}, count(*) FROM topics WHERE {topics} GROUP BY {column} ORDER BY {column}"), values)
            figures[name] = {key: count for key, count in result}
        figures["consultations_held"] = await conn.scalar(text(
            f"SELECT count(*) FROM topic_events JOIN topics ON topics.id = topic_events.topic_id "
            f"WHERE {topics} AND topic_events.action = ANY(:actions)"), {**values, "actions": actions})
        figures["topics_resolved"] = await conn.scalar(text(
            f"SELECT count(*) FROM topics WHERE {topics} AND topics.status = 'closed'"), values)
        median = await conn.scalar(text(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d.days) FROM ("
            "SELECT extract(epoch FROM c.closed_at - c.created_at) / :day AS days FROM ("
            "SELECT topics.created_at AS created_at, min(topic_events.at) AS closed_at FROM topics "
            "JOIN topic_events ON topic_events.topic_id = topics.id "
            f"WHERE {topics} AND topics.status = 'closed' AND topic_events.status = 'closed' "
            "GROUP BY topics.id, topics.created_at) c) d"), {**values, "day": SECONDS_PER_DAY})
        figures["median_days_to_resolution"] = None if median is None else round(float(median), 2)
        figures["open_notices"] = await conn.scalar(text(
            f"SELECT count(*) FROM notices WHERE {subtree('notices.region_code')} AND notices.status = 'open' "
            "AND notices.closes_at >= :now"), {**values, "now": now})
        figures["overdue_tasks"] = await conn.scalar(text(
            f"SELECT count(*) FROM tasks WHERE {subtree('tasks.region_code')} AND tasks.status = 'open' "
            "AND tasks.deadline < :now"), {**values, "now": now})
    return figures


class ResearchForm(msgspec.Struct, forbid_unknown_fields=True):
    note: str
    findings: str
    method: str | list[str] = "site_visit"
    draft_plan: str = ""


@post("/api/v1/topics/{topic_id:int}/actions/record_research", status_code=200)
async def record_research(topic_id: int, data: ResearchForm) -> dict:
    now = datetime.now(timezone.utc)
    methods = [data.method] if isinstance(data.method, str) else data.method
    async with engine.begin() as conn:
        topic = (await conn.execute(text(
            "UPDATE topics SET counters = jsonb_set(coalesce(counters::jsonb, '{}'), '{research}', "
            "to_jsonb(coalesce((counters->>'research')::int, 0) + 1))::json, updated_at = :now "
            "WHERE id = :id RETURNING step, status"), {"id": topic_id, "now": now})).mappings().first()
        if topic is None:
            raise NotFoundException()
        event_id = await conn.scalar(text(
            "INSERT INTO topic_events (topic_id, at, actor_user_id, actor_name, action, from_step, to_step, status, "
            "note, data) VALUES (:id, :now, :user, :name, 'record_research', :step, :step, :status, :note, '{}') "
            "RETURNING id"), {"id": topic_id, "now": now, "user": settings["writer_id"],
                              "name": settings["writer_name"], "step": topic["step"], "status": topic["status"],
                              "note": data.note})
        research_id = await conn.scalar(text(
            "INSERT INTO research_records (topic_id, event_id, methods, findings, draft_plan, attachments, "
            "recorded_by_user_id, recorded_by_name, recorded_at) VALUES (:id, :event, :methods, :findings, :plan, "
            "'[]', :user, :name, :now) RETURNING id"),
            {"id": topic_id, "event": event_id, "methods": json.dumps(methods), "findings": data.findings,
             "plan": data.draft_plan, "user": settings["writer_id"], "name": settings["writer_name"], "now": now})
    return {"topic_id": topic_id, "event_id": event_id, "research_id": research_id, "step": topic["step"]}


@get("/healthz")
async def healthz() -> dict:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return {"status": "ok"}


async def startup() -> None:
    global engine
    # The product's pool size; no pre-ping (a bare app would not pay for one per checkout).
    engine = create_async_engine(settings["database_url"], pool_size=10, max_overflow=10)


async def shutdown() -> None:
    await engine.dispose()


def make_app() -> Litestar:
    from litestar.logging import LoggingConfig

    # A 500 says why in the log, as the product's do.
    return Litestar(route_handlers=[topic_detail, topic_list, region_children, notice_board, region_stats,
                                    record_research, healthz],
                    on_startup=[startup], on_shutdown=[shutdown], debug=False,
                    logging_config=LoggingConfig(log_exceptions="always"))


def _serve(sock: socket.socket | None, host: str, port: int) -> None:
    import uvicorn

    config = uvicorn.Config(make_app(), host=host, port=port, log_level="info")
    server = uvicorn.Server(config)
    server.run(sockets=[sock] if sock is not None else None)


def _reuse_port_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--city", default="3302")
    parser.add_argument("--resolution-actions", default="record_resolution",
                        help="comma list: the actions the product counts as a consultation held")
    parser.add_argument("--writer-id", type=int, required=True)
    parser.add_argument("--writer-name", required=True)
    args = parser.parse_args()
    settings.update(database_url=args.database_url, city=args.city, writer_id=args.writer_id,
                    writer_name=args.writer_name, resolution_actions=args.resolution_actions.split(","))
    if args.workers <= 1:
        _serve(None, args.host, args.port)
        return
    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            _serve(_reuse_port_socket(args.host, args.port), args.host, args.port)
            os._exit(0)
        children.append(pid)
    import signal

    def stop(signum, frame):
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        try:
            os.waitpid(child, 0)
        except ChildProcessError:
            pass
    sys.exit(0)


if __name__ == "__main__":
    main()
