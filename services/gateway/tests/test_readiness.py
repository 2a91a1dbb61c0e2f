"""The gateway's /readyz follows the bus: 503 while NATS is away, 200 once it is back."""

import asyncio
from pathlib import Path

import httpx

from testkit.nats_server import NatsServer
from testkit.waiting import eventually

from .conftest import running_gateway


async def test_readyz_is_503_while_nats_is_away_and_200_when_it_returns(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    async with running_gateway(nats_server.url, database_url, seed_demo_users=False) as (
        _,
        settings,
    ):
        ops = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}")

        async def status_is(expected: int) -> bool:
            return (await ops.get("/readyz")).status_code == expected

        assert await status_is(200)
        await asyncio.to_thread(nats_server.stop)
        await eventually(lambda: status_is(503), timeout=5)
        assert (await ops.get("/healthz")).status_code == 200
        await asyncio.to_thread(nats_server.start)
        await eventually(lambda: status_is(200), timeout=10)
        await ops.aclose()
