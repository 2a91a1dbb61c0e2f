"""What every service process shares: background tasks, orderly stop, and the main loop."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from runtime.logs import configure_logging
from runtime.telemetry import setup_tracing

log = logging.getLogger(__name__)
# How long a start interrupted by a signal may go on to finish before it is cancelled.
START_GRACE_S = 2.0


@dataclass
class Running:
    """A started service: its background tasks and what to close, in order, on stop."""

    name: str
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    # Tasks that finish their current step when asked, rather than being cancelled mid-way.
    graceful: dict[asyncio.Task[Any], Callable[[], None]] = field(default_factory=dict)
    grace_seconds: float = 10.0
    # Jobs that end by themselves (a start-up chore); their end does not stop the service.
    jobs: list[asyncio.Task[Any]] = field(default_factory=list)
    # Run first on stop, while everything else still works, each with its own time limit.
    drains: list[tuple[Callable[[], Awaitable[Any]], float]] = field(default_factory=list)

    def spawn(
        self,
        coroutine: Coroutine[Any, Any, Any],
        name: str,
        stop: Callable[[], None] | None = None,
    ) -> None:
        """Run `coroutine` until stop; with `stop`, it is asked to finish rather than cancelled
        (a task in the middle of a database transaction must not be cut)."""
        task = asyncio.create_task(coroutine, name=f"{self.name}:{name}")
        self.tasks.append(task)
        if stop is not None:
            self.graceful[task] = stop

    def run_once(self, coroutine: Coroutine[Any, Any, Any], name: str) -> None:
        """Run `coroutine` in the background to its end; a failure is logged, and stop cancels
        it if it is still running. Unlike `spawn`, its end leaves the service running."""
        task = asyncio.create_task(coroutine, name=f"{self.name}:{name}")
        task.add_done_callback(_log_failure)
        self.jobs.append(task)

    def drain_first(self, drain: Callable[[], Awaitable[Any]], seconds: float) -> None:
        """Run `drain` at the start of stop, before any task is stopped or anything closed (a
        server handing its clients over to other instances). It may take `seconds`, and is
        given `grace_seconds` more before it is given up on."""
        self.drains.append((drain, seconds + self.grace_seconds))

    async def stop(self) -> None:
        drains, self.drains = self.drains, []
        await asyncio.gather(*(self._drain(drain, limit) for drain, limit in drains))
        for job in self.jobs:
            job.cancel()
        for task in self.tasks:
            if task in self.graceful:
                self.graceful[task]()
            else:
                task.cancel()
        if self.graceful:
            _, late = await asyncio.wait(self.graceful, timeout=self.grace_seconds)
            for task in late:
                log.warning("%s did not finish in time; cancelling it", task.get_name())
                task.cancel()
        await asyncio.gather(*self.jobs, *self.tasks, return_exceptions=True)
        for close in reversed(self.closers):
            try:
                # A stop must end: a close that hangs (a broken connection) is given up on.
                await asyncio.wait_for(close(), self.grace_seconds)
            except Exception:
                log.exception("error while stopping %s", self.name)

    async def _drain(self, drain: Callable[[], Awaitable[Any]], limit: float) -> None:
        try:
            await asyncio.wait_for(drain(), limit)
        except Exception:
            log.exception("error while draining %s", self.name)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s failed", task.get_name(), exc_info=task.exception())


def run_service(name: str, start: Callable[[], Awaitable[Running]]) -> None:
    """Start a service, run until SIGINT or SIGTERM, then stop it cleanly."""
    configure_logging(name)
    provider = setup_tracing(name)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        stopped = asyncio.ensure_future(stop.wait())
        starting = asyncio.ensure_future(start())
        # A start can wait a long time (NATS not there yet); a signal must still end it. One
        # that is about to finish does, and is then stopped in order.
        await asyncio.wait([stopped, starting], return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            await asyncio.wait([starting], timeout=START_GRACE_S)
        if not starting.done():
            log.info("%s stopped before it was ready", name)
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            return
        running = starting.result()
        log.info("%s ready", running.name)
        failed = [stopped, *running.tasks]
        done, _ = await asyncio.wait(failed, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not failed[0] and task.exception():
                log.error("%s: background task failed", running.name, exc_info=task.exception())
        await running.stop()

    try:
        asyncio.run(main())
    finally:
        provider.shutdown()  # the last batch of spans goes out
