"""Reading what JetStream holds, for tests that count: every stored message of a subject."""

from __future__ import annotations

import contextlib
from typing import Any

import nats
from nats.aio.msg import Msg


async def stored_messages(
    nats_url: str, subject: str, idle: float = 1.0, **login: Any
) -> list[Msg]:
    """Every message the stream holds on `subject`, oldest first (read until `idle` passes
    without one). `login`: nats.connect's user and password, where the server asks for them."""
    nc = await nats.connect(nats_url, **login)
    try:
        subscription = await nc.jetstream().subscribe(subject, ordered_consumer=True)
        seen: list[Msg] = []
        with contextlib.suppress(nats.errors.TimeoutError):
            while True:
                seen.append(await subscription.next_msg(timeout=idle))
        await subscription.unsubscribe()
        return seen
    finally:
        await nc.close()
