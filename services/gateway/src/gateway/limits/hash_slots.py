"""A bound on password hashes at once, and on the requests waiting for one.

Argon2 costs tens of milliseconds of CPU by design and runs in worker threads, whose queue has
no bound: without this, a loop of sign-ins queues work faster than the cores drain it.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HashSlotsBusy(Exception):
    """Every slot is taken and as many requests as allowed already wait for one."""


class HashSlots:
    def __init__(self, concurrency: int, max_waiting: int) -> None:
        self._free = asyncio.Semaphore(concurrency)
        self._max_waiting = max_waiting
        self._waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Raises HashSlotsBusy at once rather than joining a full queue."""
        if self._free.locked() and self._waiting >= self._max_waiting:
            raise HashSlotsBusy
        self._waiting += 1
        try:
            await self._free.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._free.release()
