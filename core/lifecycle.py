"""App start and stop: what a running process must bring up and wind down."""
from __future__ import annotations

import logging

from litestar import Litestar

log = logging.getLogger("yishi")

# Set on app.state when on_startup made the job runtime, so shutdown stops
# only what startup started (a test may hand the app a runtime of its own).
_OWNS_JOBS = "yishi_owns_jobs"


async def on_startup(app: Litestar) -> None:
    from core.authz.enforcer import get_authorizer
    from core.jobs.runtime import JobRuntime

    runtime = app.state.runtime
    # Load the policy now, not inside the first request's transaction.
    await get_authorizer(runtime)
    if runtime.extras.get("jobs") is None:
        # extras["jobs_options"] lets a test or an embedding program tune the
        # runtime (Redis namespace, worker threads) without new config knobs.
        jobs = JobRuntime.for_app(runtime, **runtime.extras.get("jobs_options", {}))
        await jobs.start()
        runtime.extras["jobs"] = jobs
        app.state[_OWNS_JOBS] = True
    log.info("议事 Yishi ready: %s", startup_summary(runtime))


def startup_summary(runtime) -> str:
    """What an operator needs to see at start: where the data is, how jobs run, which plugins are in."""
    from sqlalchemy.engine import make_url

    config = runtime.config
    database = make_url(config.database_url).render_as_string(hide_password=True)
    broker = "embedded (in-process worker and scheduler)" if config.embedded_broker \
        else make_url(config.broker_url).render_as_string(hide_password=True)
    manifests = runtime.plugins.manifests().values()
    regional = sorted(m.name for m in manifests if not m.builtin)
    return (f"database {database}; broker {broker}; regional plugins {', '.join(regional) or 'none'} "
            f"(+{sum(1 for m in manifests if m.builtin)} built-in); data {config.data_dir}")


async def on_shutdown(app: Litestar) -> None:
    runtime = app.state.runtime
    try:
        if app.state.get(_OWNS_JOBS):
            jobs = runtime.extras.pop("jobs", None)
            app.state[_OWNS_JOBS] = False
            if jobs is not None:
                await jobs.stop()
    finally:
        await runtime.close()
