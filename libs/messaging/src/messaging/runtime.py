"""What every service process shares: background tasks, orderly stop, and the main loop."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from messaging.logs import configure_logging
from messaging.telemetry import setup_tracing

log = logging.getLogger(__name__)


@dataclass
class Running:
    """A started service: its background tasks and what to close, in order, on stop."""

    name: str
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> None:
        self.tasks.append(asyncio.create_task(coroutine, name=f"{self.name}:{name}"))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for close in reversed(self.closers):
            try:
                await close()
            except Exception:
                log.exception("error while stopping %s", self.name)


def run_service(name: str, start: Callable[[], Awaitable[Running]]) -> None:
    """Start a service, run until SIGINT or SIGTERM, then stop it cleanly."""
    configure_logging(name)
    setup_tracing(name)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        running = await start()
        log.info("%s ready", running.name)
        failed = [asyncio.ensure_future(stop.wait()), *running.tasks]
        done, _ = await asyncio.wait(failed, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not failed[0] and task.exception():
                log.error("%s: background task failed", running.name, exc_info=task.exception())
        await running.stop()

    asyncio.run(main())
