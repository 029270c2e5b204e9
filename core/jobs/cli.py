"""``yishi worker`` and ``yishi scheduler``: long-running job processes.

Both build their own runtime, start a :class:`JobRuntime` with the parts
they own, and stop cleanly on SIGINT or SIGTERM (jobs in progress finish).
"""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable

import click

from core.config import Config

log = logging.getLogger(__name__)


async def _run_until_signal(make_jobs: Callable) -> None:
    from core.runtime import Runtime

    runtime = Runtime.build(Config.from_env())
    jobs = make_jobs(runtime)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await jobs.start()
        runtime.extras["jobs"] = jobs
        await stop.wait()
        log.info("signal received, stopping")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await jobs.stop()
        await runtime.close()


@click.command()
@click.option("--threads", default=4, show_default=True, help="Worker threads.")
@click.option("--namespace", default="yishi", show_default=True, help="Redis key prefix (same as the app's).")
def worker(threads: int, namespace: str) -> None:
    """Run background jobs from Redis (needs YISHI_BROKER_URL)."""
    from core.jobs.runtime import JobRuntime

    config = Config.from_env()
    if config.embedded_broker:
        raise click.UsageError(
            "yishi worker needs a broker: set YISHI_BROKER_URL=redis://host:6379/0. "
            "Without one, `yishi serve` already runs every job in-process."
        )
    click.echo(f"worker: {threads} threads, broker {config.broker_url.split('@')[-1]}, "
               f"outbox lease {config.outbox_lease_seconds}s (YISHI_OUTBOX_LEASE_SECONDS)")
    asyncio.run(_run_until_signal(
        lambda runtime: JobRuntime(runtime, worker=True, scheduler=False, dispatch=True,
                                   namespace=namespace, worker_threads=threads)
    ))


@click.command()
@click.option("--interval", default=20.0, show_default=True, help="Seconds between ticks.")
@click.option("--namespace", default="yishi", show_default=True, help="Redis key prefix (same as the app's).")
def scheduler(interval: float, namespace: str) -> None:
    """Fire periodic jobs declared by plugins (one fire per slot, even with several schedulers)."""
    from core.jobs.runtime import JobRuntime

    config = Config.from_env()
    if config.embedded_broker:
        # An in-memory broker here would have no worker behind it: leave the
        # fired rows pending for the serving process to pick up on its sweep.
        click.echo("scheduler: no YISHI_BROKER_URL; `yishi serve` schedules by itself, "
                   "fired jobs wait in the outbox for it")
    asyncio.run(_run_until_signal(
        lambda runtime: JobRuntime(runtime, worker=False, scheduler=True, dispatch=not config.embedded_broker,
                                   namespace=namespace, scheduler_interval=interval)
    ))


@click.group()
def jobs() -> None:
    """Scheduled jobs: when each fires, and firing one now 定时任务."""


def _local(moment) -> str:
    from core.clock import CHINA_TZ

    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if moment else "—"


@jobs.command("list")
def list_jobs() -> None:
    """Each scheduled job: its cron (UTC), last fire and how it ended, next fire (China time)."""
    from core.jobs.operations import schedules
    from core.runtime import Runtime

    async def run():
        runtime = Runtime.build(Config.from_env())
        try:
            return await schedules(runtime)
        finally:
            await runtime.close()

    found = asyncio.run(run())
    click.echo(f"{'job 任务':<36} {'cron (UTC)':<14} {'last fire 上次':<18} {'status':<10} next fire 下次")
    for item in found:
        click.echo(f"{item.name:<36} {item.cron:<14} {_local(item.last_fire_at):<18} "
                   f"{item.last_status or '—':<10} {_local(item.next_fire_at)}")


@jobs.command("run")
@click.argument("name")
@click.option("--no-wait", is_flag=True, help="Hand the job over and return (a `yishi worker` runs it).")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait for the job to end.")
def run_job(name: str, no_wait: bool, timeout: float) -> None:
    """Fire job NAME now through the outbox, as the scheduler does; exit 1 if it failed."""
    from core.jobs.operations import UnknownJob, fire_now
    from core.runtime import Runtime

    async def run():
        runtime = Runtime.build(Config.from_env())
        try:
            return await fire_now(runtime, name, wait=None if no_wait else timeout)
        finally:
            await runtime.close()

    try:
        result = asyncio.run(run())
    except UnknownJob:
        raise click.UsageError(f"没有名为 {name} 的任务 / no job named {name!r}; see `yishi jobs list`") from None
    click.echo(f"{result.job}: outbox #{result.outbox_id} {result.status}")
    if result.status == "failed":
        click.echo(result.error or "", err=True)
        sys.exit(1)
    if result.status != "done" and not no_wait:
        click.echo(f"not finished within {timeout:g} s 超时未完成", err=True)
        sys.exit(1)
