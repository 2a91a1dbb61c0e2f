"""Protocol edges seen on the wire: handshake, ping/pong, errors that keep or close a connection."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from realtime.pusher import App, Hub, RunningServer, ServerConfig, start_server
from testkit.echo import matching

from .conftest import ClientFactory


def ws_url(server: RunningServer, key: str, query: str = "?protocol=7") -> str:
    return f"ws://127.0.0.1:{server.port}/app/{key}{query}"


async def receive(ws: websockets.ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = orjson.loads(await ws.recv())
    return message


async def test_handshake_gives_a_socket_id_and_activity_timeout(
    server: RunningServer, app: App
) -> None:
    async with websockets.connect(ws_url(server, app.key)) as ws:
        established = await receive(ws)
        await ws.send('{"event":"pusher:ping","data":{}}')
        pong = await receive(ws)

    assert established["event"] == "pusher:connection_established"
    data = orjson.loads(established["data"])
    assert data["socket_id"].count(".") == 1 and data["socket_id"].replace(".", "").isdigit()
    assert data["activity_timeout"] == 30
    assert pong["event"] == "pusher:pong"


@pytest.mark.parametrize(
    ("key", "query", "code"),
    [
        ("no-such-key", "?protocol=7", 4001),
        ("test-key", "", 4008),
        ("test-key", "?protocol=2", 4007),
    ],
)
async def test_refused_handshakes_send_the_error_then_close_with_its_code(
    server: RunningServer, key: str, query: str, code: int
) -> None:
    async with websockets.connect(ws_url(server, key, query)) as ws:
        error = await receive(ws)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()

    assert error == {
        "event": "pusher:error",
        "data": {"code": code, "message": error["data"]["message"]},
    }
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code


async def test_unknown_app_key_makes_pusher_js_give_up(
    server: RunningServer, echo_client: ClientFactory
) -> None:
    client = await echo_client()
    await client.send(
        "connect",
        host="127.0.0.1",
        port=server.port,
        key="no-such-key",
        authEndpoint="http://127.0.0.1:9/",
        headers={},
    )

    error = await client.wait_for(matching(type="error"))

    assert error["error"]["error"]["data"]["code"] == 4001
    # "refused": pusher-js disconnects instead of scheduling a reconnect
    await client.wait_for(lambda seen: seen.get("current") in ("disconnected", "failed"))


@pytest.mark.parametrize(
    ("sent", "says"),
    [
        (b"not json", "Invalid JSON"),
        (b'{"event":"pusher:frobnicate","data":{}}', "Unsupported event"),
        (b'{"event":"pusher:subscribe","data":{"channel":"bad name!"}}', "Invalid channel name"),
        (b'["event"]', "JSON object"),
    ],
)
async def test_bad_messages_get_pusher_error_and_the_connection_stays(
    server: RunningServer, app: App, sent: bytes, says: str
) -> None:
    async with websockets.connect(ws_url(server, app.key)) as ws:
        await receive(ws)
        await ws.send(sent.decode())
        error = await receive(ws)
        await ws.send('{"event":"pusher:ping","data":{}}')
        still_open = await receive(ws)

    assert error["event"] == "pusher:error" and says in error["data"]["message"]
    assert still_open["event"] == "pusher:pong"


async def test_frames_over_the_limit_close_the_connection_with_1009(
    server: RunningServer, app: App
) -> None:
    async with websockets.connect(ws_url(server, app.key), max_size=None) as ws:
        await receive(ws)
        await ws.send("x" * (64 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_a_silent_connection_is_pinged_then_closed_with_4201(hub: Hub, app: App) -> None:
    server = await start_server(
        hub, ServerConfig(activity_timeout=1, pong_timeout=0.5, sweep_interval=0.1)
    )
    try:
        async with websockets.connect(ws_url(server, app.key)) as ws:
            await receive(ws)
            ping = await receive(ws)
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
    finally:
        await server.close()

    assert ping["event"] == "pusher:ping"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4201


async def test_default_timings_drop_a_dead_connection_within_45_seconds() -> None:
    config = ServerConfig()
    assert config.activity_timeout + config.pong_timeout + config.sweep_interval <= 45


async def test_ops_endpoints(hub: Hub, app: App) -> None:
    ready = {"value": False}
    server = await start_server(hub, readiness=lambda: ready["value"], metrics_port=0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            health = await http.get("/healthz")
            not_ready = await http.get("/readyz")
            ready["value"] = True
            now_ready = await http.get("/readyz")
            async with websockets.connect(ws_url(server, app.key)) as ws:
                await receive(ws)
                metrics = (await http.get(f"http://127.0.0.1:{server.metrics_port}/metrics")).text
                public_metrics = await http.get("/metrics")
            missing = await http.get("/nope")
    finally:
        await server.close()

    assert (health.status_code, not_ready.status_code, now_ready.status_code) == (200, 503, 200)
    assert "pusher_connections 1.0" in metrics
    assert "pusher_frames_out_total" in metrics
    assert public_metrics.status_code == 404  # metrics only on their own listener
    assert missing.status_code == 404
