"""Broadcast benchmark: N idle subscribers on one channel, our Pusher server vs plain websockets.

    .tools/bin/uv run python bench/realtime_broadcast.py [--connections 5000] [--events 40]

Each server runs in its own process, the clients in others. The clients count bytes only (the
frames' size is known), so the client side costs little. Reported: frames delivered per second
(N x events / wall time from the server's first broadcast to the last byte at the clients) and
the server's resident memory per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

import orjson

APP_KEY = "bench-key"
CHANNEL = "bench"
DATA = json.dumps({"contexts": ["notifications", "bookings"], "pad": "x" * 40})


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


# -- servers ------------------------------------------------------------------------------


async def serve(kind: str) -> None:
    """Print `port frame_len rss`; then on stdin `mem` -> rss, `broadcast K` -> `done`."""
    from realtime.pusher import App, AppRegistry, Hub, Publication, ServerConfig, start_server
    from realtime.pusher.wire import event_frame

    frame = event_frame("Bench", DATA, CHANNEL)
    base_rss = rss_bytes()
    hub = Hub(AppRegistry([App("1", APP_KEY, "secret")]))
    if kind == "pusher":
        # Every bench client comes from 127.0.0.1, far past the per-address cap.
        config = ServerConfig(activity_timeout=120, max_connections_per_address=0)
        server = await start_server(hub, config)
        port = server.port

        def broadcast() -> None:
            hub.deliver_local(Publication("1", CHANNEL, "Bench", DATA))
    else:
        import websockets
        from websockets.asyncio.server import ServerConnection, serve

        connections: set[ServerConnection] = set()
        message = frame[2:].decode() if frame[1] < 126 else frame[4:].decode()

        async def handler(ws: ServerConnection) -> None:
            connections.add(ws)
            try:
                await ws.wait_closed()
            finally:
                connections.discard(ws)

        ws_server = await serve(handler, "127.0.0.1", 0, compression=None)
        port = ws_server.sockets[0].getsockname()[1]

        def broadcast() -> None:
            websockets.broadcast(connections, message)

    print(port, len(frame), base_rss, flush=True)
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().split():
        if line[0] == "mem":
            print(rss_bytes(), flush=True)
        elif line[0] == "broadcast":
            for _ in range(int(line[1])):
                broadcast()
                await asyncio.sleep(0)  # let writes flow, as a live server would
            print("done", flush=True)


# -- clients ------------------------------------------------------------------------------


class Counter(asyncio.Protocol):
    """One subscriber that only counts the bytes it is sent after subscribing."""

    def __init__(self, ready: asyncio.Future[None], pusher: bool) -> None:
        self.ready, self.pusher = ready, pusher
        self.buffer = b""
        self.received = 0
        self.target = -1
        self.done: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(
            f"GET /app/{APP_KEY}?protocol=7 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        if self.ready.done():  # everything after the subscription is broadcast frames
            self.received += len(data)
            self.check()
            return
        self.buffer += data
        if b"\r\n\r\n" not in self.buffer:
            return
        if not self.pusher or b"subscription_succeeded" in self.buffer:
            self.ready.set_result(None)
        elif b"connection_established" in self.buffer and not getattr(self, "sent", False):
            self.sent = True
            payload = orjson.dumps({"event": "pusher:subscribe", "data": {"channel": CHANNEL}})
            # masked client frame with a zero mask: the payload goes as is
            self.transport.write(bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)

    def check(self) -> None:
        if 0 <= self.target <= self.received and self.done and not self.done.done():
            self.done.set_result(None)


async def clients(kind: str, port: int, count: int) -> None:
    """Open `count` subscribers; print `ready`; on `expect BYTES` wait for them, print time."""
    loop = asyncio.get_running_loop()
    counters: list[Counter] = []
    for start in range(0, count, 250):
        batch = []
        for _ in range(min(250, count - start)):
            ready: asyncio.Future[None] = loop.create_future()
            counter = Counter(ready, kind == "pusher")
            await loop.create_connection(lambda c=counter: c, "127.0.0.1", port)  # type: ignore[misc]
            counters.append(counter)
            batch.append(ready)
        await asyncio.wait_for(asyncio.gather(*batch), 30)
    print("ready", flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    line = (await reader.readline()).decode().split()
    for counter in counters:
        counter.done = loop.create_future()
        counter.target = int(line[1])
        counter.check()
    await asyncio.wait_for(asyncio.gather(*(c.done for c in counters if c.done)), 60)
    print(time.perf_counter(), flush=True)


# -- driver -------------------------------------------------------------------------------


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def ask(process: asyncio.subprocess.Process, line: str | None = None) -> str:
    assert process.stdin and process.stdout
    if line is not None:
        process.stdin.write(line.encode() + b"\n")
        await process.stdin.drain()
    return (await asyncio.wait_for(process.stdout.readline(), 90)).decode().strip()


async def run(kind: str, connections: int, events: int, procs: int) -> dict[str, float]:
    server = await spawn("serve", kind)
    started: list[asyncio.subprocess.Process] = [server]
    try:
        port, frame_len, _ = (int(v) for v in (await ask(server)).split())
        idle_rss = int(await ask(server, "mem"))
        share = connections // procs
        for _ in range(procs):
            started.append(await spawn("clients", kind, str(port), str(share)))
        for client in started[1:]:
            assert await ask(client) == "ready"
        full_rss = int(await ask(server, "mem"))
        for client in started[1:]:
            assert client.stdin
            client.stdin.write(f"expect {events * frame_len}\n".encode())
            await client.stdin.drain()
        begin = time.perf_counter()
        assert await ask(server, f"broadcast {events}") == "done"
        ends = [float(await ask(client)) for client in started[1:]]
        seconds = max(ends) - begin
        delivered = share * procs * events
        return {
            "connections": share * procs,
            "frames": delivered,
            "seconds": round(seconds, 3),
            "frames_per_s": round(delivered / seconds),
            "rss_mb_idle": round(idle_rss / 2**20, 1),
            "bytes_per_connection": round((full_rss - idle_rss) / (share * procs)),
            "frame_len": frame_len,
        }
    finally:
        for process in started:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--client-procs", type=int, default=2)
    args = parser.parse_args()
    for kind in ("pusher", "websockets"):
        result = await run(kind, args.connections, args.events, args.client_procs)
        print(json.dumps({"server": kind, **result}), flush=True)


def pin_to(cpu: int) -> None:
    """The server on one core, the clients on the other, as the issue measures it."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2 and os.environ.get("BENCH_NO_PIN") != "1":
        os.sched_setaffinity(0, {cpus[cpu]})


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        pin_to(0)
        asyncio.run(serve(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "clients":
        pin_to(1)
        asyncio.run(clients(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        asyncio.run(main())
