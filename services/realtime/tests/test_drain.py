"""Graceful drain: the edge stops accepting at once and hands its clients over to another
instance, closing them with 4200 spread evenly over the window rather than all at once."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from realtime.pusher import App, AppRegistry, Hub, Publication, start_server
from testkit.echo import EchoClient, matching
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.tcp_proxy import FlakyNetwork
from testkit.waiting import eventually

APP = App("1001", "drain-key", "drain-secret")
RAW_CLIENTS = 20
WINDOW = 2.0


class RawClient:
    """A bare WebSocket client: when its connection closed, and with which code."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.closed_at: float | None = None
        self.code: int | None = None
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/app/{APP.key}?protocol=7")
        assert "connection_established" in str(await ws.recv())
        return cls(ws)

    async def _read(self) -> None:
        try:
            while True:
                await self.ws.recv()
        except ConnectionClosed:
            self.closed_at = asyncio.get_running_loop().time()
            self.code = self.ws.close_code


@pytest.fixture
async def pusher_js() -> AsyncIterator[EchoClient]:
    client = await EchoClient.start("moving")
    yield client
    await client.close()


async def test_drain_refuses_new_connections_and_spreads_4200_closes_over_the_window(
    pusher_js: EchoClient,
) -> None:
    first = await start_server(Hub(AppRegistry([APP])))
    second_hub = Hub(AppRegistry([APP]))
    second = await start_server(second_hub)
    # The load balancer in front of both: it sends new connections to `first` until the drain.
    balancer = await FlakyNetwork(first.port).start()
    raw: list[RawClient] = []
    try:
        raw = [await RawClient.connect(first.port) for _ in range(RAW_CLIENTS)]
        first_socket = await pusher_js.connect(balancer.port, APP.key)
        await pusher_js.subscribe("channel", "news", events=["Headline"])
        await pusher_js.wait_for(matching(type="subscribed"))
        assert first.connection_count == RAW_CLIENTS + 1
        probe = httpx.AsyncClient(base_url=f"http://127.0.0.1:{first.port}")  # keep-alive
        assert (await probe.get("/readyz")).status_code == 200

        balancer.target_port = second.port  # the balancer saw /readyz go 503
        loop = asyncio.get_running_loop()
        started = loop.time()
        draining = asyncio.create_task(first.drain(WINDOW))
        await asyncio.sleep(0.01)

        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", first.port)
        during = await probe.get("/readyz")
        assert (during.status_code, during.json()) == (503, {"ready": False})
        await probe.aclose()

        await asyncio.wait_for(draining, WINDOW + 1.0)
        took = loop.time() - started
        await asyncio.gather(*(client.task for client in raw))
    finally:
        for client in raw:
            await client.ws.close()
        await first.close()

    try:
        assert WINDOW <= took < WINDOW + 0.5
        assert [client.code for client in raw] == [4200] * RAW_CLIENTS
        closes = sorted(client.closed_at - started for client in raw if client.closed_at)
        assert closes[-1] - closes[0] >= 0.75 * WINDOW
        # Ten equal parts of the window: each closes about a tenth of the connections.
        per_part = [sum(1 for t in closes if k <= t * 10 / WINDOW < k + 1) for k in range(10)]
        assert max(per_part) <= math.ceil((RAW_CLIENTS + 1) / 10) + 2, per_part

        # pusher-js heard 4200 ("reconnect now") and reconnected at once, to the other instance.
        told = await pusher_js.wait_for(matching(type="error"))
        assert told["error"]["data"] == {"code": 4200, "message": "Server draining"}
        second_socket = (await pusher_js.wait_for(matching(type="connected"), timeout=5))[
            "socket_id"
        ]
        assert second_socket != first_socket

        async def resubscribed() -> bool:
            return second_hub.is_subscribed(APP.id, "news", second_socket)

        await eventually(resubscribed)
        second_hub.deliver_local(Publication(APP.id, "news", "Headline", '{"n":1}'))
        assert (await pusher_js.wait_for(matching(type="event")))["data"] == {"n": 1}
    finally:
        await balancer.close()
        await second.close()


async def test_a_drain_with_no_connections_ends_at_once() -> None:
    server = await start_server(Hub(AppRegistry([APP])))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await server.drain(10.0)
    assert loop.time() - started < 0.5
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", server.port)


async def test_sigterm_drains_the_realtime_service_then_it_exits(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """The real process: SIGTERM → /readyz 503 and new connections refused at once, the open
    connection closed with 4200 within the window, and a clean exit."""
    port = free_port()
    env = {
        **os.environ,
        "NATS_URL": nats_server.url,
        "REALTIME_PORT": str(port),
        "REALTIME_APPS": f'[{{"id":"{APP.id}","key":"{APP.key}","secret":"{APP.secret}"}}]',
        "REALTIME_LIVE_APP_ID": APP.id,
        "REALTIME_DRAIN_SECONDS": "3",
    }
    log = (tmp_path / "realtime.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "runtime", "realtime", env=env, stdout=log, stderr=log
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe:

            async def ready() -> bool:
                return (await probe.get("/readyz")).status_code == 200

            await eventually(ready, timeout=30)
            clients = [await RawClient.connect(port) for _ in range(2)]
            loop = asyncio.get_running_loop()
            started = loop.time()
            process.send_signal(signal.SIGTERM)

            async def unready() -> bool:
                return (await probe.get("/readyz")).status_code == 503

            await eventually(unready, timeout=2)
            with pytest.raises(ConnectionRefusedError):
                await asyncio.open_connection("127.0.0.1", port)
            await asyncio.wait_for(asyncio.gather(*(c.task for c in clients)), 5)
            assert [c.code for c in clients] == [4200, 4200]
            # Two connections over 3 s: one at once, one half-way.
            closes = sorted(c.closed_at - started for c in clients if c.closed_at)
            assert closes[1] - closes[0] > 1.0
            assert await asyncio.wait_for(process.wait(), 15) == 0
            assert loop.time() - started >= 3.0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()
        print((tmp_path / "realtime.log").read_text()[-5000:])  # shown when the test fails
