"""A consumer stops even when its fetch swallows the cancellation, as nats-py's does on Python
3.11 when `asyncio.wait_for` sees the fetch complete as it is cancelled."""

import asyncio
import contextlib
from typing import Any

from contracts.bookings import BOOKINGS_EVENTS
from contracts.envelope import Event
from messaging.consumer import DurableConsumer


class SwallowingFetch:
    async def fetch(self, batch: int, timeout: float) -> list[Any]:
        # Completed as it was cancelled: the cancellation is lost.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.01)
        return []

    async def unsubscribe(self) -> None:
        return None


class Consumer(DurableConsumer):
    async def _subscribe(self) -> Any:
        return SwallowingFetch()


async def handler(event: Event) -> None:
    raise AssertionError("no event is fetched here")


async def test_a_cancelled_consumer_ends_even_if_its_fetch_swallowed_the_cancel() -> None:
    consumer = Consumer(None, BOOKINGS_EVENTS, "test", handler)  # type: ignore[arg-type]
    task = asyncio.create_task(consumer.run())
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled()
