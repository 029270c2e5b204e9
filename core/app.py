"""The Litestar application factory."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from litestar import Litestar, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.types import Scope
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import read_only
from core.errors import EXCEPTION_HANDLERS
from core.security.headers import add_security_headers
from core.security.middleware import security_middleware
from core.runtime import Runtime

API_PREFIX = "/api/v1"
log = logging.getLogger("yishi.health")


# Methods that change nothing: their transaction need not hold SQLite's write lock.
READING_METHODS = frozenset({"GET", "HEAD"})


async def provide_db_session(state: State, scope: Scope) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back if it raises."""
    runtime: Runtime = state.runtime
    sessions = runtime.read_sessions if scope.get("method") in READING_METHODS else runtime.sessions
    async with sessions() as session:
        async with session.begin():
            yield session


def provide_runtime(state: State) -> Runtime:
    return state.runtime


@get("/healthz", opt={"public": True}, summary="Health of the database and the broker")
async def healthz(state: State) -> dict:
    # The answer names the failing part only: a driver's message can carry host names,
    # paths or user names, so it goes to the server log instead.
    runtime: Runtime = state.runtime
    report: dict = {"status": "ok"}
    try:
        # Read-only: on SQLite the check must not queue behind writers for the write lock.
        async with read_only(runtime.engine).connect() as conn:
            await conn.execute(text("SELECT 1"))
        report["database"] = {"status": "ok", "backend": runtime.engine.dialect.name}
    except Exception as exc:  # a down database is what this endpoint reports
        log.error("health check: database failed: %s", exc)
        report["database"] = {"status": "error", "backend": runtime.engine.dialect.name,
                              "detail": "database check failed"}
    jobs = runtime.extras.get("jobs")
    if jobs is not None:
        broker = await jobs.health()
        if broker["status"] != "ok":
            log.error("health check: broker failed: %s", broker.get("detail"))
            broker = {"status": "error", "backend": broker.get("backend"), "detail": "broker check failed"}
        report["broker"] = broker
    else:
        report["broker"] = {"status": "ok", "backend": "none"}
    failed = [part for part in ("database", "broker") if report[part]["status"] != "ok"]
    if failed:
        report["status"] = "error"
        report["failed"] = failed
    from litestar import Response

    return Response(report, status_code=200 if report["status"] == "ok" else 503)


def api_route_handlers(runtime: Runtime) -> list:
    from core.attachments.routes import ROUTES as ATTACHMENT_ROUTES
    from core.catalogue.routes import ROUTES as CATALOGUE_ROUTES
    from core.compliance.routes import ROUTES as COMPLIANCE_ROUTES
    from core.auth.routes import ROUTES as AUTH_ROUTES
    from core.consultation.routes import ROUTES as MEETING_ROUTES
    from core.councils.routes import ROUTES as COUNCIL_ROUTES
    from core.implementation.routes import ROUTES as IMPLEMENTATION_ROUTES
    from core.notices.public_routes import ROUTES as NOTICE_ROUTES
    from core.escalation.routes import ROUTES as ESCALATION_ROUTES
    from core.exports.routes import ROUTES as EXPORT_ROUTES
    from core.procedures.routes import ROUTES as PROCEDURE_ROUTES
    from core.public.routes import ROUTES as PUBLIC_ROUTES
    from core.regions.routes import ROUTES as REGION_ROUTES
    from core.stats.routes import ROUTES as STATS_ROUTES
    from core.topics.routes import ROUTES as TOPIC_ROUTES

    return [*AUTH_ROUTES, *REGION_ROUTES, *COUNCIL_ROUTES, *TOPIC_ROUTES, *PUBLIC_ROUTES, *ATTACHMENT_ROUTES,
            *MEETING_ROUTES, *STATS_ROUTES, *ESCALATION_ROUTES, *NOTICE_ROUTES, *IMPLEMENTATION_ROUTES,
            *COMPLIANCE_ROUTES, *PROCEDURE_ROUTES, *CATALOGUE_ROUTES, *EXPORT_ROUTES]


def plugin_routers(runtime: Runtime) -> list[Router]:
    routers = []
    for plugin in runtime.plugins.pm.get_plugins():
        impl = getattr(plugin, "yishi_routes", None)
        manifest_impl = getattr(plugin, "yishi_manifest", None)
        if impl is None or manifest_impl is None:
            continue
        handlers = impl() or []
        if handlers:
            routers.append(Router(path=f"{API_PREFIX}/plugins/{manifest_impl().name}", route_handlers=handlers))
    return routers


def create_app(runtime: Runtime | None = None) -> Litestar:
    runtime = runtime or Runtime.build()
    from core.procedures.registry import procedure_registry

    # A malformed plugin procedure stops the app here, not at the first topic request.
    procedure_registry(runtime.plugins)
    from core.auth.guard import (authorization_guard, check_every_route_declares_access, provide_principal,
                                 provide_region_scope)
    from core.lifecycle import on_shutdown, on_startup
    from admin_ui import template_config, ui_route_handlers

    api = Router(path=API_PREFIX, route_handlers=api_route_handlers(runtime))
    app = Litestar(
        route_handlers=[healthz, api, *plugin_routers(runtime), *ui_route_handlers()],
        dependencies={"db": Provide(provide_db_session), "runtime": Provide(provide_runtime, sync_to_thread=False),
                      "principal": Provide(provide_principal, sync_to_thread=False),
                      "region_scope": Provide(provide_region_scope)},
        guards=[authorization_guard],
        # Origin/CSRF and content-type checks on unsafe requests; headers on every answer.
        middleware=[security_middleware],
        before_send=[add_security_headers],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=template_config(),
        state=State({"runtime": runtime}),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        openapi_config=OpenAPIConfig(
            title="Yishi 议事 API",
            version="1",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        debug=False,
    )
    check_every_route_declares_access(app)
    return app
