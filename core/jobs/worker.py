"""Running dramatiq's worker threads inside our own process.

Used twice: by ``yishi serve`` in the embedded default (a worker beside the
web app) and by ``yishi worker`` against Redis. Either way the process
already has an asyncio loop that owns the database engine, and job
coroutines are run on *that* loop (see :class:`LoopBridge`) rather than on
dramatiq's AsyncIO middleware loop: asyncpg and aiosqlite connections
belong to the loop that opened them, and the AsyncIO middleware keeps one
process-wide loop, which several runtimes in one test process would share
and stop under each other.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import dramatiq

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often a worker thread waiting on the loop wakes up, so that dramatiq's
# asynchronous Interrupt (time limit, shutdown) can reach it.
_WAKE_SECONDS = 0.2


class LoopBridge:
    """Run coroutines on the owning loop from dramatiq's worker threads."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self._loop_thread = threading.get_ident()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.get_ident() == self._loop_thread:
            coro.close()
            # Waiting here would block the very loop that has to run the coroutine.
            raise RuntimeError("LoopBridge.run called on the loop's own thread")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            while True:
                done, _ = concurrent.futures.wait([future], timeout=_WAKE_SECONDS)
                if done:
                    return future.result()
                if self.loop.is_closed():
                    raise RuntimeError("the event loop closed while a job was running")
        except BaseException:
            # An Interrupt raised into this thread (time limit, shutdown):
            # cancel the coroutine instead of leaving it running unowned.
            if not future.done():
                self.loop.call_soon_threadsafe(future.cancel)
            raise


class InProcessWorker:
    """A dramatiq ``Worker`` started and stopped with the runtime."""

    def __init__(self, broker: dramatiq.Broker, *, threads: int = 4, timeout_ms: int = 1000):
        self._worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=timeout_ms)
        self._running = False

    def start(self) -> None:
        self._worker.start()
        self._running = True

    @property
    def running(self) -> bool:
        return self._running and all(thread.is_alive() for thread in self._worker.workers)

    async def stop(self, timeout: float = 30.0) -> None:
        """Let jobs in progress finish (up to ``timeout`` seconds), then stop.

        Joined from a separate thread: a job coroutine may still need the
        loop we are called on in order to finish.
        """
        if not self._running:
            return
        self._running = False
        await asyncio.to_thread(self._worker.stop, int(timeout * 1000))
