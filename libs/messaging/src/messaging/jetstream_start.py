"""JetStream asked at start may not answer yet: a cluster still electing its meta leader, a node
busy catching up, a machine under load. A service waits for it, as it waits for NATS itself
(`messaging.connection`), rather than crash at start."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from nats.errors import NoRespondersError
from nats.js.errors import ServiceUnavailableError

log = logging.getLogger(__name__)

T = TypeVar("T")

# What a JetStream API call raises while JetStream cannot answer yet (nats-py's TimeoutError is
# a TimeoutError too).
NOT_YET = (TimeoutError, ServiceUnavailableError, NoRespondersError)


async def patiently(call: Callable[[], Awaitable[T]], what: str, deadline: float = 60.0) -> T:
    """`call()` again, with jittered backoff, while JetStream does not answer; the last error
    once `deadline` seconds have passed."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    delay = 0.2
    while True:
        try:
            return await call()
        except NOT_YET as exc:
            if loop.time() + delay > give_up:
                raise
            log.warning("%s: JetStream does not answer yet (%r); retrying", what, exc)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, 5.0)
