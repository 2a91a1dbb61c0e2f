"""WebSocket fuzzing of the real realtime service (issue 11): many raw connections send random
bytes, broken HTTP, broken frames, random JSON and malformed Pusher messages while one
well-behaved client stays subscribed.

The server must stay up and keep serving that client every frame, in order; its memory must
stay bounded (a ping flood once grew it by 20 MB); every malformed Pusher message must get a
pusher:error (or a subscription error), or a 4xxx close, never 1011 and never an error or a
traceback in the log. Seeded: case `i` draws from `random.Random(SEED + i)`, so a failure names
the case that reproduces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from websockets.frames import Frame, Opcode

import pusher_signing
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.waiting import eventually

from .transport_wire import Closed, RawWebSocket, open_stream, open_websocket, vm_kib

SEED = 20261201
WARM_UP_CASES = 40
CASES = 240
IN_FLIGHT = 12
CASE_TIMEOUT_S = 15.0
# Growth of the server's peak RSS over the fuzzing allowed; the flood case alone would grow an
# unbounded server by over 30 MB.
RSS_GROWTH_LIMIT_KIB = 16 * 1024
FLOOD_BYTES = 40 * 1024 * 1024
APP_ID, KEY, SECRET = "5005", "fuzz-key", "fuzz-secret"
WATCHED = "fuzz-watched"
REQUEST_TIMEOUT_S = 2.0


@dataclass
class Realtime:
    port: int
    metrics_port: int
    process: asyncio.subprocess.Process
    log: Path


@pytest.fixture
async def realtime(nats_server: NatsServer, tmp_path: Path) -> AsyncIterator[Realtime]:
    port, metrics_port = free_port(), free_port()
    app = {"id": APP_ID, "key": KEY, "secret": SECRET, "enable_client_messages": True}
    env = {
        **os.environ,
        "NATS_URL": nats_server.url,
        "REALTIME_PORT": str(port),
        "REALTIME_METRICS_PORT": str(metrics_port),
        "REALTIME_APPS": json.dumps([app]),
        "REALTIME_LIVE_APP_ID": APP_ID,
        "REALTIME_DRAIN_SECONDS": "0",
        "REALTIME_HTTP_REQUEST_TIMEOUT_SECONDS": str(REQUEST_TIMEOUT_S),
    }
    log = tmp_path / "realtime.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "runtime", "realtime", env=env, stdout=out, stderr=out
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe:

            async def ready() -> bool:
                with contextlib.suppress(httpx.TransportError):
                    return (await probe.get("/readyz")).status_code == 200
                return False

            await eventually(ready, timeout=30)
        yield Realtime(port, metrics_port, process, log)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        print(log.read_text()[-5000:])  # shown when the test fails


# -- the well-behaved client ----------------------------------------------------------------


@dataclass
class Watcher:
    """A client subscribed to WATCHED; the HTTP API publishes a numbered event there."""

    ws: websockets.ClientConnection
    received: list[int] = field(default_factory=list)
    published: int = 0
    closed: BaseException | None = None

    async def read(self) -> None:
        try:
            async for text in self.ws:
                message = orjson.loads(text)
                if message.get("event") == "tick":
                    self.received.append(int(message["data"]))
        except websockets.ConnectionClosed as closed:
            self.closed = closed

    async def publish(self, port: int) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            while True:
                body = {"name": "tick", "channels": [WATCHED], "data": str(self.published)}
                response = await signed_post(http, f"/apps/{APP_ID}/events", body)
                assert response.status_code == 200, response.text
                self.published += 1
                await asyncio.sleep(0.1)


async def signed_post(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    raw = orjson.dumps(body)
    params = {
        "auth_key": KEY,
        "auth_timestamp": str(int(time.time())),
        "auth_version": "1.0",
        "body_md5": hashlib.md5(raw).hexdigest(),
    }
    params["auth_signature"] = pusher_signing.sign_request(SECRET, "POST", path, params)
    return await http.post(
        path, params=params, content=raw, headers={"Content-Type": "application/json"}
    )


@contextlib.asynccontextmanager
async def watching(port: int) -> AsyncIterator[Watcher]:
    async with websockets.connect(f"ws://127.0.0.1:{port}/app/{KEY}?protocol=7") as ws:
        assert orjson.loads(await ws.recv())["event"] == "pusher:connection_established"
        await ws.send(orjson.dumps({"event": "pusher:subscribe", "data": {"channel": WATCHED}}))
        succeeded = orjson.loads(await ws.recv())
        assert succeeded["event"] == "pusher_internal:subscription_succeeded", succeeded
        watcher = Watcher(ws)
        tasks = [asyncio.create_task(watcher.read()), asyncio.create_task(watcher.publish(port))]
        try:
            yield watcher
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


# -- what one fuzz case may send ------------------------------------------------------------


def text(rng: random.Random, longest: int = 40) -> str:
    """Random Unicode (no surrogates), ASCII most of the time."""
    size = rng.randint(0, longest)
    if rng.random() < 0.7:
        return "".join(chr(rng.randint(32, 126)) for _ in range(size))
    return "".join(
        chr(rng.choice([rng.randint(0, 0xD7FF), rng.randint(0xE000, 0x10FFFF)]))
        for _ in range(size)
    )


def json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randint(0, 7 if depth < 4 else 4)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([rng.randint(-(2**63), 2**63 - 1), rng.random() * 1e300, 0, -1])
    if kind in (3, 4):
        return text(rng)
    if kind == 5:
        return [json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {text(rng, 10): json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def deep_json(rng: random.Random) -> bytes:
    depth = rng.choice([33, 100, 300, 1100, 5000])
    return b"[" * depth + b"1" + b"]" * depth


def bad_channel(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            rng.randint(0, 9),
            [WATCHED],
            {"channel": WATCHED},
            "",
            "has space " + text(rng, 5),
            "x" * rng.choice([165, 201, 50_000]),
            "presence-" + "\u00e9" * 3,
            "private-" + text(rng, 5) + "#",
        ]
    )


def malformed_pusher_message(rng: random.Random) -> bytes:
    """A message the Pusher protocol refuses: it must get pusher:error, a subscription error
    or a 4xxx close."""
    choice = rng.randint(0, 11)
    if choice == 0:  # not an object
        return orjson.dumps(rng.choice([[], 1, "pusher:ping", None, True, [json_value(rng)]]))
    if choice == 1:  # no event, or not a string
        message = {"data": json_value(rng)}
        if rng.random() < 0.5:
            message["event"] = rng.choice([None, 7, [], {}, ["pusher:ping"]])
        return orjson.dumps(message)
    if choice == 2:  # unknown events, a huge one among them
        name = rng.choice(["pusher:" + text(rng, 20), "x" + text(rng), "e" * 60_000])
        return orjson.dumps({"event": name, "data": json_value(rng)})
    if choice == 3:  # subscribe, data of the wrong type
        return orjson.dumps({"event": "pusher:subscribe", "data": rng.choice([None, 1, "x", []])})
    if choice == 4:  # subscribe, missing or bad channel
        data = {"auth": text(rng)} if rng.random() < 0.5 else {"channel": bad_channel(rng)}
        return orjson.dumps({"event": "pusher:subscribe", "data": data})
    if choice == 5:  # private or presence without a valid signature
        channel = rng.choice(["private-", "presence-", "private-encrypted-"]) + "fuzz"
        data: dict[str, Any] = {"channel": channel}
        if rng.random() < 0.7:
            data["auth"] = rng.choice([f"{KEY}:{'0' * 64}", json_value(rng), "no-colon"])
        if rng.random() < 0.5:
            data["channel_data"] = rng.choice([json_value(rng), "{", '{"user_id":[1]}'])
        return orjson.dumps({"event": "pusher:subscribe", "data": data})
    if choice == 6:  # client events where they are not allowed
        channel = rng.choice([WATCHED, "private-never", None, 5, "x" * 300])
        return orjson.dumps({"event": "client-" + text(rng, 10), "channel": channel})
    if choice == 7:  # signin without a valid signature
        data = rng.choice([None, {}, {"user_data": json_value(rng), "auth": json_value(rng)}])
        return orjson.dumps({"event": "pusher:signin", "data": data})
    if choice == 8:  # deep nesting, in several places
        deep = deep_json(rng)
        return rng.choice(
            [
                b'{"event":"pusher:subscribe","data":' + deep + b"}",
                b'{"event":"client-x","channel":"private-x","data":' + deep + b"}",
                b'{"event":"pusher:signin","data":{"user_data":' + deep + b"}}",
                deep,
            ]
        )
    if choice == 9:  # not JSON
        return rng.choice([b"{", b"", b'{"event":', b"\xff\xfe", text(rng).encode() + b"}"])
    if choice == 10:  # huge values within the frame limit
        return orjson.dumps({"event": "pusher:subscribe", "data": {"channel": "c" * 60_000}})
    return orjson.dumps(  # subscribe to too long a presence channel with member data
        {
            "event": "pusher:subscribe",
            "data": {"channel": "presence-" + "p" * 200, "channel_data": '{"user_id":"1"}'},
        }
    )


@dataclass
class Outcome:
    kind: str
    problems: list[str] = field(default_factory=list)
    close_codes: list[int | None] = field(default_factory=list)


async def read_to_end(ws: RawWebSocket, outcome: Outcome, timeout: float = 3.0) -> None:
    """Frames until the server closes (its code noted) or stays silent for `timeout`."""
    try:
        while True:
            await ws.frame(timeout)
    except Closed as closed:
        outcome.close_codes.append(closed.code)
    except TimeoutError:
        pass  # the connection may stay


async def drain_or_cut(ws: RawWebSocket) -> None:
    with contextlib.suppress(ConnectionError, TimeoutError):
        await asyncio.wait_for(ws.writer.drain(), CASE_TIMEOUT_S)


async def connected(port: int) -> RawWebSocket:
    ws, status = await open_websocket(port, KEY)
    assert status == 101
    established = await ws.message()
    assert established["event"] == "pusher:connection_established", established
    return ws


async def case_tcp_garbage(rng: random.Random, port: int, outcome: Outcome) -> None:
    reader, writer = await open_stream(port)
    try:
        writer.write(rng.randbytes(rng.randint(1, 4096)))
        answer = await asyncio.wait_for(reader.read(-1), REQUEST_TIMEOUT_S + 8)
    except ConnectionError:
        return
    finally:
        writer.transport.abort()
    if answer.startswith(b"HTTP/1.1 5"):
        outcome.problems.append(f"answered {answer[:40]!r}")


async def case_http_garbage(rng: random.Random, port: int, outcome: Outcome) -> None:
    method = rng.choice([b"GET", b"POST", b"PUT", b"\x00\x01", b"G" * 100, b"DELETE"])
    target = rng.choice(
        [b"/", b"/app/" + KEY.encode(), b"/apps/5005/events", b"/" + rng.randbytes(20)]
    )
    headers = [b"Host: x"]
    for _ in range(rng.randint(0, 5)):
        headers.append(
            rng.choice(
                [
                    b"Upgrade: websocket",
                    b"Connection: Upgrade",
                    b"Content-Length: 99999999",
                    b"Transfer-Encoding: chunked",
                    b"X: " + b"y" * rng.choice([10, 20_000]),
                    rng.randbytes(12),
                ]
            )
        )
    request = method + b" " + target + b" HTTP/1.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n"
    if rng.random() < 0.3:
        request = request[: rng.randint(1, len(request))]  # unfinished
    reader, writer = await open_stream(port)
    try:
        writer.write(request)
        answer = await asyncio.wait_for(reader.read(-1), REQUEST_TIMEOUT_S + 8)
    except ConnectionError:
        return
    finally:
        writer.transport.abort()
    if answer.startswith(b"HTTP/1.1 5"):
        outcome.problems.append(f"answered {answer[:40]!r} to {request[:60]!r}")


async def case_frames(rng: random.Random, port: int, outcome: Outcome) -> None:
    """Broken WebSocket framing: random bytes, bad UTF-8, truncated, oversized, fragments."""
    ws = await connected(port)
    choice = rng.randint(0, 4)
    if choice == 0:
        ws.writer.write(rng.randbytes(rng.randint(1, 2048)))
    elif choice == 1:
        ws.send_frame(Opcode.TEXT, b'{"event":"' + rng.randbytes(8) + b'\xff\xc0"}')
    elif choice == 2:  # the header promises more than comes
        frame = Frame(Opcode.TEXT, b"x" * 1000).serialize(mask=True)
        ws.writer.write(frame[: rng.randint(1, 500)])
    elif choice == 3:  # past max_frame_bytes, whole or in fragments
        if rng.random() < 0.5:
            ws.send_frame(Opcode.TEXT, b"[" + b"1," * 40_000 + b"1]")
        else:
            ws.send_frame(Opcode.TEXT, b"[", fin=False)
            for _ in range(5):
                ws.send_frame(Opcode.CONT, b"1," * 8_000, fin=False)
            ws.send_frame(Opcode.CONT, b"1]")
    else:  # fragments in random order, pings between them
        for _ in range(rng.randint(1, 6)):
            opcode = rng.choice([Opcode.TEXT, Opcode.CONT, Opcode.PING, Opcode.BINARY])
            payload = b"" if opcode is Opcode.PING else rng.randbytes(rng.randint(0, 30))
            ws.send_frame(opcode, payload, fin=opcode is Opcode.PING or rng.random() < 0.4)
    await drain_or_cut(ws)
    await read_to_end(ws, outcome)
    ws.abort()


async def case_malformed_message(rng: random.Random, port: int, outcome: Outcome) -> None:
    ws = await connected(port)
    sent = malformed_pusher_message(rng)
    ws.send_frame(Opcode.TEXT, sent)
    ws.send_json({"event": "pusher:ping", "data": {}})
    await drain_or_cut(ws)
    try:
        answers = await ws.until("pusher:pong")
    except Closed as closed:
        outcome.close_codes.append(closed.code)
        if closed.code is None or not 4000 <= closed.code < 5000:
            outcome.problems.append(f"closed with {closed.code} after {sent[:80]!r}")
        return
    finally:
        ws.abort()
    refusals = ("pusher:error", "pusher:subscription_error")
    if not any(answer["event"] in refusals for answer in answers[:-1]):
        outcome.problems.append(f"no error for {sent[:80]!r}: {answers}")


async def case_random_json(rng: random.Random, port: int, outcome: Outcome) -> None:
    """Any JSON at all: an answer or none, but the connection answers a ping afterwards."""
    ws = await connected(port)
    ws.send_json(json_value(rng))
    ws.send_json({"event": "pusher:ping", "data": {}})
    await drain_or_cut(ws)
    try:
        await ws.until("pusher:pong")
    except Closed as closed:
        outcome.close_codes.append(closed.code)
        if closed.code is None or not 4000 <= closed.code < 5000:
            outcome.problems.append(f"closed with {closed.code}")
    finally:
        ws.abort()


async def case_signed_client_events(rng: random.Random, port: int, outcome: Outcome) -> None:
    """Subscribed to a private channel as allowed, then whispers with odd data: deep nesting
    refused with pusher:error, anything else relayed or refused, the connection kept."""
    ws = await connected_subscribed(port, f"private-fuzz-{rng.randint(0, 3)}")
    deep = rng.random() < 0.5
    data = deep_json(rng) if deep else orjson.dumps(json_value(rng))
    ws.send_frame(
        Opcode.TEXT,
        b'{"event":"client-fuzz","channel":"%s","data":%s}' % (ws.channel.encode(), data),
    )
    ws.send_json({"event": "pusher:ping", "data": {}})
    await drain_or_cut(ws)
    try:
        answers = await ws.until("pusher:pong")
    except Closed as closed:
        outcome.close_codes.append(closed.code)
        outcome.problems.append(f"closed with {closed.code} after {data[:80]!r}")
        return
    finally:
        ws.abort()
    if deep and not any(answer["event"] == "pusher:error" for answer in answers):
        outcome.problems.append(f"no error for {data[:80]!r}: {answers}")


async def connected_subscribed(port: int, channel: str) -> RawWebSocket:
    ws, status = await open_websocket(port, KEY)
    assert status == 101
    established = await ws.message()
    socket_id = orjson.loads(established["data"])["socket_id"]
    auth = pusher_signing.sign_channel(KEY, SECRET, socket_id, channel, None)
    ws.send_json({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth}})
    answers = await ws.until("pusher_internal:subscription_succeeded")
    assert answers[-1]["channel"] == channel
    ws.channel = channel
    return ws


async def case_ping_flood(rng: random.Random, port: int, outcome: Outcome) -> None:
    """Pings as fast as the socket takes them, never reading: cut soon, whatever the reason."""
    ws, status = await open_websocket(port, KEY, receive_buffer=4096)
    assert status == 101
    ping = Frame(Opcode.PING, rng.randbytes(125)).serialize(mask=True)
    chunk = ping * (1024 * 1024 // len(ping))
    sent = 0
    with contextlib.suppress(ConnectionError, TimeoutError):
        while sent < FLOOD_BYTES:
            ws.writer.write(chunk)
            sent += len(chunk)
            await asyncio.wait_for(ws.writer.drain(), CASE_TIMEOUT_S)
    with contextlib.suppress(Closed):
        while True:
            await ws.frame(CASE_TIMEOUT_S)
    if sent >= FLOOD_BYTES:
        outcome.problems.append("a ping flood of 40 MB went through")
    ws.abort()


Case = Callable[[random.Random, int, Outcome], Awaitable[None]]
CASES_BY_WEIGHT: list[tuple[Case, int]] = [
    (case_tcp_garbage, 2),
    (case_http_garbage, 3),
    (case_frames, 5),
    (case_malformed_message, 12),
    (case_random_json, 3),
    (case_signed_client_events, 4),
]


async def run_cases(first: int, count: int, port: int, flood_at: set[int]) -> list[str]:
    kinds = [case for case, weight in CASES_BY_WEIGHT for _ in range(weight)]
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(index: int) -> list[str]:
        rng = random.Random(SEED + index)
        case = case_ping_flood if index in flood_at else rng.choice(kinds)
        outcome = Outcome(case.__name__)
        async with gate:
            try:
                await asyncio.wait_for(case(rng, port, outcome), CASE_TIMEOUT_S * 2)
            except Exception as error:
                outcome.problems.append(f"{type(error).__name__}: {error}")
        for code in outcome.close_codes:
            if code == 1011:
                outcome.problems.append("closed with 1011 (internal error)")
        return [f"case {index} ({outcome.kind}): {problem}" for problem in outcome.problems]

    results = await asyncio.gather(*(one(i) for i in range(first, first + count)))
    return [problem for problems in results for problem in problems]


def reset_peak_rss(pid: int) -> None:
    with open(f"/proc/{pid}/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM back to the current RSS


def logged_errors(log: Path) -> list[str]:
    errors = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            if "Traceback" in line:
                errors.append(line)
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "critical"):
            errors.append(line[:500])
    return errors


async def test_fuzzed_connections_leave_the_server_up_bounded_and_serving(
    realtime: Realtime,
) -> None:
    pid, port = realtime.process.pid, realtime.port
    async with watching(port) as watcher:
        problems = await run_cases(0, WARM_UP_CASES, port, flood_at=set())
        reset_peak_rss(pid)
        baseline = vm_kib(pid, "VmRSS")
        flood_at = {WARM_UP_CASES + 17, WARM_UP_CASES + CASES // 2}
        problems += await run_cases(WARM_UP_CASES, CASES, port, flood_at)
        peak = vm_kib(pid, "VmHWM")
        print(f"server RSS {baseline} KiB after warm-up, peak {peak} KiB while fuzzed")

        # The well-behaved client got every tick so far, in order, on its one connection.
        published = watcher.published

        async def caught_up() -> bool:
            return len(watcher.received) >= published

        await eventually(caught_up, timeout=10)
        assert watcher.closed is None
        assert watcher.received[:published] == list(range(published))
        assert published > 10

    assert realtime.process.returncode is None
    async with websockets.connect(f"ws://127.0.0.1:{port}/app/{KEY}?protocol=7") as fresh:
        assert orjson.loads(await fresh.recv())["event"] == "pusher:connection_established"
    assert problems == [], "\n".join(problems)
    assert peak - baseline < RSS_GROWTH_LIMIT_KIB, f"peak RSS grew {peak - baseline} KiB"
    assert logged_errors(realtime.log) == []
