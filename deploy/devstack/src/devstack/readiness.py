"""Waiting until a service is ready: HTTP /readyz, or a NATS micro service's PING."""

import asyncio
import time
from collections.abc import Mapping

import httpx
import nats

from messaging.connection import Credentials


async def http_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=1.0) as client:
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} not ready after {timeout}s")
            await asyncio.sleep(0.1)


async def _quiet(_: Exception) -> None:
    """Refused connections are expected while NATS starts."""


async def nats_service_ready(
    nats_url: str, service: str, timeout: float, login: Mapping[str, str] | None = None
) -> None:
    """`login`: NATS_USER and NATS_PASSWORD of the probe's user, when NATS has users."""
    deadline = time.monotonic() + timeout
    credentials = Credentials(login["NATS_USER"], login["NATS_PASSWORD"]).options() if login else {}
    while True:
        try:
            nc = await nats.connect(
                nats_url,
                connect_timeout=1,
                max_reconnect_attempts=0,
                allow_reconnect=False,
                error_cb=_quiet,
                **credentials,
            )
            try:
                await nc.request(f"$SRV.PING.{service}", b"", timeout=1.0)
                return
            finally:
                await nc.close()
        except Exception:
            if time.monotonic() > deadline:
                raise TimeoutError(f"service {service} not ready after {timeout}s") from None
            await asyncio.sleep(0.1)
