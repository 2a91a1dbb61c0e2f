"""A consumer loop that stops for sure.

One cancellation of a `DurableConsumer` can be lost: on Python 3.11 `asyncio.wait_for` (inside
nats-py's `fetch`) returns a result that completed as it was cancelled and drops the
cancellation, and the loop fetches on. Seen as `Running.stop()` waiting forever on a task
"cancelling" in `fetch`. This runs the loop as an inner task and cancels it until it ends.
"""

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class Stoppable:
    def __init__(self, loop: Coroutine[Any, Any, None], retry_seconds: float = 0.1) -> None:
        self._loop = loop
        self._retry = retry_seconds
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        task = asyncio.ensure_future(self._loop)
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=self._retry)
        with contextlib.suppress(asyncio.CancelledError):
            task.result()
