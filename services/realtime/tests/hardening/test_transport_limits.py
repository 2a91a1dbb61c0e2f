"""Transport limits of the Pusher server (issue 11): every byte written obeys the write-buffer
limit and pings are rate limited (finding 1); unfinished requests time out and connections are
capped (finding 4); deep nesting is a pusher:error, not a dropped socket (finding 9); metrics
only on their own listener (finding 10)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from websockets.frames import Opcode

from realtime.pusher import App, AppRegistry, Hub, RunningServer, ServerConfig, start_server
from realtime.pusher.signing import sign_channel

from .transport_wire import Closed, RawWebSocket, http_exchange, open_stream, open_websocket

APP = App("1001", "transport-key", "transport-secret", client_events=True)
PING = bytes(125)  # the largest control frame payload


@asynccontextmanager
async def serving(**limits: Any) -> AsyncIterator[RunningServer]:
    server = await start_server(Hub(AppRegistry([APP])), ServerConfig(**limits), metrics_port=0)
    try:
        yield server
    finally:
        await server.close()


async def connected(server: RunningServer, receive_buffer: int | None = None) -> RawWebSocket:
    ws, status = await open_websocket(server.port, APP.key, receive_buffer)
    assert status == 101
    assert (await ws.message())["event"] == "pusher:connection_established"
    return ws


async def send_all(ws: RawWebSocket, timeout: float = 30.0) -> None:
    """Wait until what was written went out, or the server cut the connection."""
    with contextlib.suppress(ConnectionError):
        await asyncio.wait_for(ws.writer.drain(), timeout)


async def closing_code(ws: RawWebSocket, timeout: float = 10.0) -> tuple[int | None, int]:
    """Read until the server ends the connection: its close code, and the pongs before it."""
    pongs = 0
    while True:
        try:
            opcode, _ = await ws.frame(timeout)
        except Closed as closed:
            return closed.code, pongs
        pongs += opcode is Opcode.PONG


async def metric(server: RunningServer, sample: str) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{server.metrics_port}/metrics")).text
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[1])
    return 0.0


# -- finding 1: ping floods and clients that do not read ------------------------------------


async def test_a_ping_flood_is_cut_with_4100_after_a_few_pongs() -> None:
    async with serving() as server:
        ws = await connected(server)
        for _ in range(5000):
            ws.send_frame(Opcode.PING, PING)
        await send_all(ws)
        code, pongs = await closing_code(ws)

        assert code == 4100
        assert pongs <= 2 * ServerConfig().max_control_frames_per_second  # two 1 s windows
        assert await metric(server, 'pusher_dropped_connections_total{reason="control_frames"}')


async def test_a_client_that_never_reads_its_pongs_is_dropped_at_the_write_buffer_limit() -> None:
    """Pings unlimited here, so only the write-buffer limit stands between a client that does
    not read and the server's memory: the pongs count against it like any other frame."""
    async with serving(max_write_buffer_bytes=64 * 1024, max_control_frames_per_second=10**9) as (
        server
    ):
        ws = await connected(server, receive_buffer=4096)
        for _ in range(8 * 1024 * 1024 // len(PING)):  # 8 MB, twice the kernel's send buffer
            ws.send_frame(Opcode.PING, PING)
        await send_all(ws)
        code, _ = await closing_code(ws)

        assert code in (4100, None)  # the close frame, or cut after the grace
        sample = 'pusher_dropped_connections_total{reason="slow_reader"}'
        assert await metric(server, sample) == 1


# -- finding 4: unfinished requests, connection caps ----------------------------------------


@pytest.mark.parametrize(
    ("sent", "answer"),
    [
        (b"GET /app/transport-key?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: web", b"HTTP/1.1 408"),
        (
            b"POST /apps/1001/events HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{",
            b"HTTP/1.1 408",
        ),
        (b"", b""),  # opened and silent
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200"),  # then idle
    ],
)
async def test_a_connection_without_a_complete_request_in_time_is_closed(
    sent: bytes, answer: bytes
) -> None:
    async with serving(http_request_timeout=0.5, sweep_interval=0.1) as server:
        received = await http_exchange(server.port, sent, timeout=10)

    assert received.startswith(answer)


async def test_a_request_trickled_byte_by_byte_still_times_out() -> None:
    async with serving(http_request_timeout=0.5, sweep_interval=0.1) as server:
        reader, writer = await open_stream(server.port)

        async def trickle() -> None:
            with contextlib.suppress(ConnectionError):
                for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: yes\r\n":
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.05)

        dripping = asyncio.create_task(trickle())
        try:
            received = await asyncio.wait_for(reader.read(-1), 10)
        finally:
            dripping.cancel()
            writer.transport.abort()

    assert received.startswith(b"HTTP/1.1 408")


async def test_connections_over_the_per_address_cap_are_refused_until_one_closes() -> None:
    async with serving(max_connections_per_address=2) as server:
        first, second = await connected(server), await connected(server)
        third, status = await open_websocket(server.port, APP.key)
        refusal = await third.message()
        with pytest.raises(Closed) as third_closed:
            await third.frame()
        plain = await http_exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first.abort()

        async def admitted_again() -> RawWebSocket:
            while True:
                ws, _ = await open_websocket(server.port, APP.key)
                message = await ws.message()
                if message["event"] == "pusher:connection_established":
                    return ws
                ws.abort()
                await asyncio.sleep(0.05)

        fourth = await asyncio.wait_for(admitted_again(), 10)
        second.abort()
        fourth.abort()

    # pusher-js backs off and reconnects on 4100 (over capacity).
    assert status == 101
    assert refusal["event"] == "pusher:error" and refusal["data"]["code"] == 4100
    assert third_closed.value.code == 4100
    assert plain.startswith(b"HTTP/1.1 429") and b"retry-after: 5" in plain.lower()


async def test_connections_over_the_total_cap_are_refused_with_503() -> None:
    async with serving(max_connections=1, max_connections_per_address=0) as server:
        held = await connected(server)
        plain = await http_exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        held.abort()

    assert plain.startswith(b"HTTP/1.1 503") and b"retry-after" in plain.lower()
    assert b"connection limit" in plain


# -- finding 9: deep nesting ----------------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


def nested_json(depth: int) -> bytes:
    """`nested(depth)` as JSON text: deeper than the JSON encoders go."""
    opening = b"".join(b"[" if level % 2 else b'{"a":' for level in reversed(range(depth)))
    closing = b"".join(b"]" if level % 2 else b"}" for level in range(depth))
    return opening + b'"leaf"' + closing


async def subscribed_privately(server: RunningServer) -> tuple[RawWebSocket, str]:
    ws, _ = await open_websocket(server.port, APP.key)
    established = await ws.message()
    socket_id = orjson.loads(established["data"])["socket_id"]
    channel = "private-deep"
    auth = sign_channel(APP, socket_id, channel)
    ws.send_json({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth}})
    answer = await ws.message()
    assert answer["event"] == "pusher_internal:subscription_succeeded"
    return ws, channel


@pytest.mark.parametrize("depth", [300, 2000])
async def test_a_message_nested_too_deeply_gets_pusher_error_and_the_connection_stays(
    depth: int,
) -> None:
    async with serving() as server:
        ws, channel = await subscribed_privately(server)
        deep = nested_json(depth)
        whisper = b'{"event":"client-deep","channel":"%s","data":%s}' % (channel.encode(), deep)
        ws.send_frame(Opcode.TEXT, whisper)
        ws.send_frame(Opcode.TEXT, b'{"event":"pusher:subscribe","data":%s}' % deep)
        ws.send_json({"event": "pusher:ping", "data": {}})
        answers = await ws.until("pusher:pong")
        ws.abort()

    assert [a["event"] for a in answers] == ["pusher:error", "pusher:error", "pusher:pong"]
    assert [a["data"]["code"] for a in answers[:2]] == [4300, 4300]


async def test_presence_user_info_nested_too_deeply_is_a_subscription_error() -> None:
    """Signed channel_data is a string inside the message, so the message's own depth check
    cannot see into it; user_info nested 300 levels is under 1 KB yet fails the encoder."""
    async with serving() as server:
        ws, _ = await open_websocket(server.port, APP.key)
        socket_id = orjson.loads((await ws.message())["data"])["socket_id"]
        channel = "presence-deep"
        channel_data = f'{{"user_id":"1","user_info":{nested_json(300).decode()}}}'
        auth = sign_channel(APP, socket_id, channel, channel_data)
        subscribe = {"channel": channel, "auth": auth, "channel_data": channel_data}
        ws.send_json({"event": "pusher:subscribe", "data": subscribe})
        ws.send_json({"event": "pusher:ping", "data": {}})
        answers = await ws.until("pusher:pong")
        ws.abort()

    assert [a["event"] for a in answers] == ["pusher:subscription_error", "pusher:pong"]
    assert answers[0]["data"]["status"] == 400


async def test_nesting_within_the_limit_is_handled_as_usual() -> None:
    async with serving(max_json_depth=32) as server:
        ws, channel = await subscribed_privately(server)
        listener, _ = await subscribed_privately(server)
        # The message itself is one level; its data 31 more.
        ws.send_json({"event": "client-deep", "channel": channel, "data": nested(31)})
        whisper = await listener.message()
        ws.abort()
        listener.abort()

    assert whisper["event"] == "client-deep"
    assert orjson.loads(whisper["data"]) == nested(31)


# -- finding 10: metrics --------------------------------------------------------------------


async def test_metrics_are_served_on_their_own_listener_only() -> None:
    async with (
        serving(http_request_timeout=1, sweep_interval=0.1) as server,
        httpx.AsyncClient() as http,
    ):
        public = await http.get(f"http://127.0.0.1:{server.port}/metrics")
        private = await http.get(f"http://127.0.0.1:{server.metrics_port}/metrics")
        elsewhere = await http.get(f"http://127.0.0.1:{server.metrics_port}/healthz")
        upgrade = await http_exchange(
            server.metrics_port or 0,
            b"GET /app/transport-key?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n",
        )

    assert public.status_code == 404
    assert private.status_code == 200 and "pusher_connections" in private.text
    assert elsewhere.status_code == 404
    assert upgrade.startswith(b"HTTP/1.1 404")  # no WebSocket on the metrics port
