"""A consumer loop that drops a cancellation still stops."""

import asyncio

from notifications.consumers.stoppable import Stoppable


async def test_a_loop_that_swallows_one_cancellation_still_stops() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1  # as a wait_for that completed while cancelled

    loop = Stoppable(stubborn(), retry_seconds=0.01)
    running = asyncio.ensure_future(loop.run())
    await asyncio.sleep(0.03)
    loop.stop()
    await asyncio.wait_for(running, 2)
    assert swallowed == 1
