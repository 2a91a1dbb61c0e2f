"""Connecting to NATS the way every service does: forever reconnecting, named, logged."""

import logging

import nats
from nats.aio.client import Client

log = logging.getLogger(__name__)


async def connect(url: str, name: str) -> Client:
    async def disconnected() -> None:
        log.warning("nats disconnected", extra={"service": name})

    async def reconnected() -> None:
        log.info("nats reconnected", extra={"service": name})

    async def error(exc: Exception) -> None:
        log.debug("nats error: %s", exc)

    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        allow_reconnect=True,
        disconnected_cb=disconnected,
        reconnected_cb=reconnected,
        error_cb=error,
    )
