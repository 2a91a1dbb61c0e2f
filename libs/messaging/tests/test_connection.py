"""Integration: a service's NATS connection is never deaf for good, on a real nats-server that
is stopped and started again."""

import asyncio
import logging
from pathlib import Path

import pytest
from nats.aio.msg import Msg

from messaging.connection import BusState, close, connect
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.waiting import eventually


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "messaging.connection" and record.levelno >= logging.WARNING
    ]


async def test_a_service_started_before_nats_waits_for_it_and_logs_once_meanwhile(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = NatsServer(tmp_path / "jetstream", port=free_port())
    bus = BusState()
    connecting = asyncio.create_task(connect(server.url, "early", bus=bus))
    try:
        await asyncio.sleep(2.0)  # several attempts, with growing waits
        assert not connecting.done()
        assert not bus.is_connected
        assert len(warnings_in(caplog)) == 1
        assert "unreachable" in warnings_in(caplog)[0]

        await asyncio.to_thread(server.start)
        nc = await asyncio.wait_for(connecting, 10)
        assert nc.is_connected and bus.is_connected
        await close(nc)
    finally:
        connecting.cancel()
        await asyncio.to_thread(server.stop)


async def test_a_lost_connection_comes_back_and_listeners_hear_both_ends(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    bus = BusState()
    heard: list[str] = []
    nc = await connect(nats_server.url, "svc", bus=bus)
    received: list[bytes] = []

    async def collect(msg: Msg) -> None:
        received.append(msg.data)

    await nc.subscribe("probe.before", cb=collect)

    def broken() -> None:
        raise RuntimeError("a broken listener")

    async def publish_on_the_new_connection() -> None:
        # Subscriptions are re-sent before reconnected listeners run.
        await nc.publish("probe.before", b"after the outage")
        heard.append("async reconnected")

    bus.on_disconnected(lambda: heard.append("disconnected"))
    bus.on_reconnected(broken)
    bus.on_reconnected(lambda: heard.append("reconnected"))
    bus.on_reconnected(publish_on_the_new_connection)
    unregistered = bus.on_reconnected(lambda: heard.append("unregistered"))
    unregistered()

    await asyncio.to_thread(nats_server.stop)
    await eventually(lambda: _true(not bus.is_connected))
    await asyncio.sleep(2.0)  # NATS away: attempts go on, the logs stay short
    assert heard == ["disconnected"]
    assert len(warnings_in(caplog)) <= 2  # "disconnected", one "unreachable"

    await asyncio.to_thread(nats_server.start)
    await eventually(lambda: _true(len(received) == 1), timeout=10)
    assert received == [b"after the outage"]
    assert heard == ["disconnected", "reconnected", "async reconnected"]
    assert bus.is_connected and (bus.disconnects, bus.reconnects) == (1, 1)
    assert "a bus reconnected listener failed" in caplog.text

    await close(nc)  # the final close is not an outage
    assert nc.is_closed and not bus.is_connected
    assert heard == ["disconnected", "reconnected", "async reconnected"]
    assert bus.disconnects == 1


async def test_closing_while_nats_is_away_ends_the_reconnecting(nats_server: NatsServer) -> None:
    bus = BusState()
    nc = await connect(nats_server.url, "svc", bus=bus)
    await asyncio.to_thread(nats_server.stop)
    await eventually(lambda: _true(not bus.is_connected))

    await asyncio.wait_for(close(nc), 5)

    assert nc.is_closed
    await asyncio.to_thread(nats_server.start)
    await asyncio.sleep(1.0)
    assert not bus.is_connected and bus.reconnects == 0


async def _true(value: bool) -> bool:
    return value
