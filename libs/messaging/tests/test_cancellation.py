"""A flush cancelled by a stop must not end the connection's read loop (nats-py would set a
result on the cancelled future when the PONG comes, and its read loop dies of it)."""

import asyncio
import contextlib

from nats.aio.client import Client

from messaging.cancellation import flush


async def test_a_cancelled_flush_leaves_the_connection_working(nc: Client) -> None:
    stopping = asyncio.create_task(flush(nc))
    await asyncio.sleep(0)  # the PING is on its way
    stopping.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stopping

    heard: asyncio.Queue[bytes] = asyncio.Queue()

    async def on_message(msg: object) -> None:
        await heard.put(getattr(msg, "data", b""))

    await nc.subscribe("cancellation.check", cb=on_message)
    await nc.flush(timeout=2)
    await nc.publish("cancellation.check", b"still reading")
    assert await asyncio.wait_for(heard.get(), 2) == b"still reading"
