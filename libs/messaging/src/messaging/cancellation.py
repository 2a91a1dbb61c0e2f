"""Python 3.11's `asyncio.wait_for` can return a result that completed as its task was
cancelled and drop the cancellation (fixed in 3.12). A loop around such a wait (nats-py's
`fetch`, a KV watcher's `updates`, a timed event wait) would then run on forever and a stop
would wait on it: every such loop checks here after the wait."""

import asyncio

from nats.aio.client import Client


def raise_if_cancel_was_swallowed() -> None:
    """Raise `CancelledError` when the current task was asked to stop but the request was
    swallowed by the await that just returned."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def flush(nc: Client, timeout: float = 2.0) -> None:
    """`nc.flush`, safe to cancel: nats-py leaves a cancelled flush's future among those
    waiting for a PONG, and the next PONG then fails on it and ends the connection's read
    loop. Shielded, the flush finishes (or times out) on its own; the caller still stops."""
    await asyncio.shield(nc.flush(timeout=timeout))  # type: ignore[arg-type]
