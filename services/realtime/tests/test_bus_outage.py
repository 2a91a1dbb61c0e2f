"""NATS away for a few seconds: realtime stays up and says it is not ready, its metrics show the
outage, and when NATS returns every client subscribed before it receives again."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest
from pydantic import SecretStr

from contracts.bookings import ChildCreated
from messaging.codec import encode
from realtime.bootstrap import start
from realtime.settings import AppSettings, RealtimeSettings
from runtime.process import Running
from testkit.echo import EchoClient, matching
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.pusher_auth import AuthEndpoint
from testkit.server_sdk import npm_sdk
from testkit.waiting import eventually

APP_ID, KEY, SECRET = "1001", "outage-key", "outage-secret"
CHANNEL = "private-live-refresh.5"


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"no {name} in /metrics"
    return float(found.group(1))


@pytest.fixture
async def realtime(
    nats_server: NatsServer,
) -> AsyncIterator[tuple[Running, httpx.AsyncClient, str]]:
    port, metrics_port = free_port(), free_port()
    app = AppSettings(id=APP_ID, key=KEY, secret=SecretStr(SECRET))
    settings = RealtimeSettings(
        nats_url=nats_server.url,
        port=port,
        apps=[app],
        live_app_id=APP_ID,
        drain_seconds=0,
        metrics_port=metrics_port,
    )
    running = await start(settings)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as ops:
        # Metrics are on their own listener, never on the public port.
        yield running, ops, f"http://127.0.0.1:{metrics_port}/metrics"
    await running.stop()


@pytest.fixture
async def alice() -> AsyncIterator[EchoClient]:
    client = await EchoClient.start("alice")
    yield client
    await client.close()


async def test_realtime_rides_out_a_nats_outage_and_no_client_is_lost(
    realtime: tuple[Running, httpx.AsyncClient, str], nats_server: NatsServer, alice: EchoClient
) -> None:
    running, ops, metrics_url = realtime
    port = int(str(ops.base_url.port))
    async with AuthEndpoint(APP_ID, KEY, SECRET) as auth:
        await alice.connect(port, KEY, auth=auth, user_id="5")
        await alice.subscribe(
            "private",
            CHANNEL.removeprefix("private-"),
            events=["LiveRefreshContextsUpdated", "Announcement"],
        )
        await alice.wait_for(matching(type="subscribed", channel=CHANNEL))
    assert (await ops.get("/readyz")).status_code == 200
    assert metric((await ops.get(metrics_url)).text, "nats_connected") == 1

    await asyncio.to_thread(nats_server.stop)

    async def unready() -> bool:
        return (await ops.get("/readyz")).status_code == 503

    await eventually(unready, timeout=5)
    await asyncio.sleep(10)  # NATS away for 10 s, as issue 10 asks: no client lost, none deaf
    away = (await ops.get(metrics_url)).text
    assert metric(away, "nats_connected") == 0
    assert metric(away, "nats_disconnects_total") == 1
    assert (await ops.get("/healthz")).status_code == 200
    assert not any(task.done() for task in running.tasks)

    await asyncio.to_thread(nats_server.start)

    async def ready() -> bool:
        return (await ops.get("/readyz")).status_code == 200

    await eventually(ready, timeout=10)
    back = (await ops.get(metrics_url)).text
    assert metric(back, "nats_connected") == 1
    assert metric(back, "nats_reconnects_total") == 1

    # Through the edge's own HTTP API: published to NATS, back through the interest
    # subscription the edge held before the outage.
    answer = await npm_sdk(
        APP_ID, KEY, SECRET, port, "trigger", channels=[CHANNEL], event="Announcement", data={}
    )
    assert answer["status"] == 200
    await alice.wait_for(matching(type="event", event="Announcement"), timeout=10)

    # A domain event through JetStream and the durable router, to the same client.
    publisher = await nats.connect(nats_server.url)
    try:
        event = ChildCreated(child_id=1, parent_id=5)
        await publisher.jetstream().publish(event.subject, encode(event))
    finally:
        await publisher.drain()
    frame = await alice.wait_for(matching(type="event", event="LiveRefreshContextsUpdated"), 15)
    assert "children" in frame["data"]["contexts"]
    assert alice.seen(matching(type="state", previous="connected")) == []  # never dropped
    assert not any(task.done() for task in running.tasks)


async def test_realtime_started_before_nats_waits_for_it_and_stops_on_sigterm_meanwhile(
    tmp_path: Path,
) -> None:
    nats_port, port = free_port(), free_port()
    env = {
        **os.environ,
        "NATS_URL": f"nats://127.0.0.1:{nats_port}",
        "REALTIME_PORT": str(port),
    }
    log = (tmp_path / "realtime.log").open("wb")
    waiting = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "runtime", "realtime", env=env, stdout=log, stderr=log
    )
    server = NatsServer(tmp_path / "jetstream", port=nats_port)
    logged = tmp_path / "realtime.log"

    async def waiting_for_nats() -> bool:
        return "nats unreachable" in logged.read_text()

    try:
        await eventually(waiting_for_nats, timeout=30)
        await asyncio.sleep(2)  # attempt after attempt
        assert waiting.returncode is None  # waiting, not crashed
        waiting.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(waiting.wait(), 5) == 0, logged.read_text()[-3000:]
        lines = logged.read_text().splitlines()
        assert sum("nats unreachable" in line for line in lines) == 1

        started = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "runtime", "realtime", env=env, stdout=log, stderr=log
        )
        try:
            await asyncio.sleep(2)  # waiting for NATS
            await asyncio.to_thread(server.start)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as ops:

                async def ready() -> bool:
                    return (await ops.get("/readyz")).status_code == 200

                await eventually(ready, timeout=20)
            started.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(started.wait(), 15) == 0, logged.read_text()[-3000:]
            lines = logged.read_text().splitlines()
            assert sum("realtime ready" in line for line in lines) == 1
            assert sum('"draining"' in line for line in lines) == 1  # stopped in order
        finally:
            if started.returncode is None:
                started.kill()
                await started.wait()
    finally:
        if waiting.returncode is None:
            waiting.kill()
            await waiting.wait()
        await asyncio.to_thread(server.stop)
        log.close()
        print((tmp_path / "realtime.log").read_text()[-5000:])  # shown when the test fails
