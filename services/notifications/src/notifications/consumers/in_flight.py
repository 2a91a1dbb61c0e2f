"""Handlers that finish their transaction when the service stops.

`DurableConsumer` is cancelled on stop; a cancellation landing inside a database transaction
(asyncpg mid-query) can leave the stop waiting on that connection. Each handling runs as its
own task behind `asyncio.shield`: the consumer stops at once, the handling commits or rolls
back, and `wait` (a closer run before the engine is disposed) lets it end. Its message was not
acknowledged, so it is redelivered, and the inbox makes that a no-op.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from contracts.envelope import Event

Handler = Callable[[Event], Awaitable[None]]


class InFlight:
    def __init__(self, grace_seconds: float = 10.0) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._grace = grace_seconds

    def shielded(self, handler: Handler) -> Handler:
        """`handler`, run so that cancelling its caller does not cut it."""

        async def handle(event: Event) -> None:
            task = asyncio.ensure_future(handler(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            await asyncio.shield(task)

        return handle

    async def wait(self) -> None:
        """Let the handlings under way end (at most the grace period)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self._grace)
