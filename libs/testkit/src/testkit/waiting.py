"""Waiting on a condition with a deadline, never a fixed sleep."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]], timeout: float = 10.0, interval: float = 0.05
) -> T:
    """Call `probe` until it returns a truthy value or stops raising; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            result = await probe()
            if result:
                return result
        except Exception as exc:
            last = exc
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s") from last
        await asyncio.sleep(interval)
