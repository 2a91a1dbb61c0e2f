"""Idle connections benchmark: server RSS per idle connection subscribed to its own private channel.

    .tools/bin/uv run python bench/idle_connections.py                      # 19,000 connections
    .tools/bin/uv run python bench/idle_connections.py --connections 2000
    .tools/bin/uv run python bench/idle_connections.py --profile            # where the memory goes

Two servers in turn, each in its own process, on loopback only:

- `realtime`: the real service (`python -m runtime realtime`) with a real nats-server (JetStream,
  temporary store), a long activity timeout so that no idle client is pinged during the run;
- `plain`: a plain `websockets` asyncio server that answers the same handshake and subscribe
  minimally (connection_established, then subscription_succeeded) and keeps each connection in
  a dict per channel; keepalive pings off, as the realtime edge sends none during the run. It
  runs on the event loop the realtime process was found on (uvloop's extension in its
  /proc/<pid>/maps, or asyncio's), so that the two differ only in the server.

`--service-loop asyncio` runs the service with uvloop hidden from it (the runtime then keeps
asyncio's loop), to see what the loop is worth.

N raw asyncio WebSocket clients, in client processes of their own, connect (a bounded number in
flight), read `pusher:connection_established`, subscribe to `private-live-refresh.{i}` with a
signed auth and wait for `pusher_internal:subscription_succeeded`. The server's VmRSS is read
from /proc before the first connection and after all N are subscribed and the server has gone
quiet (its CPU, and nats-server's, under `--quiet-cpu` for two seconds; then `--settle-seconds`;
then the largest of `--samples` readings a second apart). Reported: (after - before) / N in KB
(1 KB = 1024 bytes) for both servers, their ratio, and nats-server's growth for information.

`--profile` runs the realtime service alone, through this script (which runs the `runtime`
module as `-m runtime` does; nothing in the service changes), and traces with tracemalloc what
is allocated from just before the first connection to the end; it prints that memory per
connection by allocating package, by the project line that led to it, and by object type. Its
RSS is inflated by tracemalloc and slower start-ups: it is not the measurement.

Results: a table on stdout and `--out` (JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import hmac
import json
import os
import platform
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from testkit.nats_server import nats_server_binary
from testkit.ports import free_port

HERE = Path(__file__).resolve().parent
APP_ID, APP_KEY, APP_SECRET = "cams", "bench-key", "bench-secret"
TARGET_KB = 16.0
TICKS = os.sysconf("SC_CLK_TCK")
CLIENT_QUERY = "protocol=7&client=bench&version=8.4.0"
# File descriptors a client or server process keeps besides its connections.
SPARE_FDS = 200


def raise_nofile() -> int:
    """Raise this process's soft open-files limit to the hard one; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def channel_of(index: int) -> str:
    return f"private-live-refresh.{index}"


# -- /proc ----------------------------------------------------------------------------------


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of every thread of `pid`."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def settle(pids: list[int], quiet_cpu: float, max_seconds: float) -> float:
    """Wait until the processes together use under `quiet_cpu` of a core for two consecutive
    seconds (at most `max_seconds`); the seconds waited, or -1 if they never went quiet."""
    started = time.monotonic()
    quiet = 0
    last = sum(cpu_seconds(pid) for pid in pids)
    while time.monotonic() - started < max_seconds:
        await asyncio.sleep(1.0)
        now = sum(cpu_seconds(pid) for pid in pids)
        quiet = quiet + 1 if now - last < quiet_cpu else 0
        last = now
        if quiet >= 2:
            return round(time.monotonic() - started, 1)
    return -1.0


async def sample_rss(pid: int, samples: int) -> int:
    """The largest of `samples` VmRSS readings a second apart, in KB."""
    readings = []
    for index in range(samples):
        if index:
            await asyncio.sleep(1.0)
        readings.append(rss_kb(pid))
    return max(readings)


# -- clients --------------------------------------------------------------------------------


def masked_text(payload: bytes) -> bytes:
    """A client text frame with a zero mask key: the payload goes as is."""
    if len(payload) < 126:
        head = bytes([0x81, 0x80 | len(payload)])
    else:
        head = bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big")
    return head + b"\0\0\0\0" + payload


class Subscriber(asyncio.Protocol):
    """One client: upgrade, read connection_established, subscribe to its own private channel,
    wait for subscription_succeeded; after that it only answers pings."""

    def __init__(self, index: int, done: asyncio.Future[None]) -> None:
        self.index, self.done = index, done
        self.buffer = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(
            f"GET /app/{APP_KEY}?{CLIENT_QUERY} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.fail(f"upgrade refused: {bytes(self.buffer[:40])!r}")
                return
            del self.buffer[: end + 4]
            self.upgraded = True
        while len(self.buffer) >= 2:
            length, offset = self.buffer[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < offset + length:
                return
            opcode = self.buffer[0] & 0x0F
            payload = bytes(self.buffer[offset : offset + length])
            del self.buffer[: offset + length]
            self.frame(opcode, payload)

    def frame(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        if opcode == 0x9:  # ping: a pong with the same payload
            self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            return
        if opcode == 0x8:
            self.fail(f"closed by the server: {payload[2:]!r}")
            return
        if opcode != 0x1 or self.done.done():
            return
        message = orjson.loads(payload)
        event = message.get("event")
        if event == "pusher:connection_established":
            socket_id = orjson.loads(message["data"])["socket_id"]
            channel = channel_of(self.index)
            signature = hmac.new(
                APP_SECRET.encode(), f"{socket_id}:{channel}".encode(), hashlib.sha256
            ).hexdigest()
            subscribe = {
                "event": "pusher:subscribe",
                "data": {"channel": channel, "auth": f"{APP_KEY}:{signature}"},
            }
            self.transport.write(masked_text(orjson.dumps(subscribe)))
        elif event == "pusher_internal:subscription_succeeded":
            self.done.set_result(None)
        elif event in ("pusher:error", "pusher:subscription_error"):
            self.fail(f"{event}: {message.get('data')}")

    def fail(self, why: str) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError(f"connection lost: {exc}"))


async def clients(port: int, first: int, count: int, in_flight: int, timeout: float) -> None:
    """Open `count` subscribers (`in_flight` at a time, within `timeout` in all); print a JSON
    line with how many are subscribed; keep them open until stdin ends, then close them."""
    raise_nofile()
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(in_flight)
    transports: list[asyncio.BaseTransport] = []
    failures: Counter[str] = Counter()

    async def one(index: int) -> bool:
        async with slots:
            done: asyncio.Future[None] = loop.create_future()
            transport: asyncio.BaseTransport | None = None
            try:
                transport, _ = await loop.create_connection(
                    lambda: Subscriber(index, done), "127.0.0.1", port
                )
                await asyncio.wait_for(done, 60)
                transports.append(transport)
                return True
            except (OSError, TimeoutError) as exc:
                failures[type(exc).__name__ + ": " + str(exc)[:80]] += 1
                if isinstance(transport, asyncio.WriteTransport):
                    transport.abort()  # not counted, so not kept either
                return False

    started = time.perf_counter()
    tasks = [asyncio.ensure_future(one(index)) for index in range(first, first + count)]
    _, late = await asyncio.wait(tasks, timeout=timeout)
    for task in late:
        task.cancel()
    subscribed = sum(1 for t in tasks if t not in late and t.result())
    report = {
        "subscribed": subscribed,
        "failed": count - subscribed,
        "seconds": round(time.perf_counter() - started, 2),
        "failures": dict(failures.most_common(5)),
    }
    print(json.dumps(report), flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()  # until the driver closes our stdin
    for transport in transports:
        transport.close()


# -- the plain websockets server ------------------------------------------------------------


async def plain_server() -> None:
    """Print the port; serve until stdin ends."""
    raise_nofile()
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    channels: dict[str, dict[str, ServerConnection]] = {}
    count = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal count
        count += 1
        socket_id = f"{count}.{count}"
        established = orjson.dumps({"socket_id": socket_id, "activity_timeout": 600}).decode()
        await ws.send(
            orjson.dumps({"event": "pusher:connection_established", "data": established}).decode()
        )
        joined: list[str] = []
        try:
            async for text in ws:
                message = orjson.loads(text)
                if message.get("event") != "pusher:subscribe":
                    continue
                channel = message["data"]["channel"]
                channels.setdefault(channel, {})[socket_id] = ws
                joined.append(channel)
                succeeded = {
                    "event": "pusher_internal:subscription_succeeded",
                    "channel": channel,
                    "data": "{}",
                }
                await ws.send(orjson.dumps(succeeded).decode())
        except ConnectionClosed:
            pass
        finally:
            for channel in joined:
                subscribers = channels.get(channel, {})
                subscribers.pop(socket_id, None)
                if not subscribers:
                    channels.pop(channel, None)

    server = await serve(handler, "127.0.0.1", 0, compression=None, ping_interval=None)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()
    server.close()


# -- the realtime service under tracemalloc (--profile) -------------------------------------


def wrapped_realtime() -> None:
    """Run the realtime service as `python -m runtime realtime` does, with two bench-only
    hooks (nothing in the service changes):

    - BENCH_ASYNCIO_LOOP=1: uvloop cannot be imported, so the runtime keeps asyncio's loop;
    - BENCH_PROFILE_DIR: the first SIGUSR2 counts live objects by type and starts tracemalloc
      (so start-up runs at full speed and only what is allocated afterwards is traced); the
      second writes a snapshot and the count again, to that directory.
    """
    import runpy
    import tracemalloc

    if os.environ.get("BENCH_ASYNCIO_LOOP") == "1":
        sys.modules["uvloop"] = None  # type: ignore[assignment]
    if not os.environ.get("BENCH_PROFILE_DIR"):
        sys.argv = ["runtime", "realtime"]
        runpy.run_module("runtime", run_name="__main__", alter_sys=True)
        return
    out = Path(os.environ["BENCH_PROFILE_DIR"])
    frames = int(os.environ.get("BENCH_PROFILE_FRAMES", "16"))
    taken = 0

    def dump(signum: int, frame: object) -> None:
        nonlocal taken
        gc.collect()
        if tracemalloc.is_tracing():
            tracemalloc.take_snapshot().dump(str(out / "snapshot.tracemalloc"))
        counts: Counter[str] = Counter()
        sizes: Counter[str] = Counter()
        for obj in gc.get_objects():
            kind = type(obj)
            name = f"{kind.__module__}.{kind.__qualname__}"
            counts[name] += 1
            sizes[name] += sys.getsizeof(obj)
        types = {name: [counts[name], sizes[name]] for name in counts}
        (out / f"types-{taken}.json.part").write_text(json.dumps(types))
        (out / f"types-{taken}.json.part").rename(out / f"types-{taken}.json")
        if not tracemalloc.is_tracing():
            tracemalloc.start(frames)
        taken += 1

    signal.signal(signal.SIGUSR2, dump)
    sys.argv = ["runtime", "realtime"]
    runpy.run_module("runtime", run_name="__main__", alter_sys=True)


async def profile_snapshot(pid: int, out: Path, index: int) -> None:
    os.kill(pid, signal.SIGUSR2)
    marker = out / f"types-{index}.json"
    for _ in range(600):  # the process writes the marker last; 120 s at most
        if marker.exists():
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("no tracemalloc snapshot from the realtime process")


PROJECT = ("realtime", "messaging", "runtime", "contracts")


def _short(filename: str) -> str:
    """A file's path from its package: `asyncio/queues.py`, `nats/aio/client.py`,
    `realtime/fanout.py`; its first part is the package."""
    parts = Path(filename).parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :])
    if "src" in parts:
        at = len(parts) - 1 - parts[::-1].index("src")
        return "/".join(parts[at + 1 :])
    if "/lib/python" in filename:
        return "/".join(parts[-2:]) if parts[-2] in ("asyncio", "json") else parts[-1]
    return parts[-1]


def _line(frame: Any) -> str:
    import linecache

    text = linecache.getline(frame.filename, frame.lineno).strip()
    return f"{_short(frame.filename)}:{frame.lineno}  {text[:70]}"


def analyse_profile(out: Path, connections: int, top: int = 20) -> dict[str, Any]:
    """What was allocated after the first signal and is still alive at the second, per
    connection: by the package that allocated it, by the project line that led there (and
    under each, the allocating lines), and (from the two counts) by object type."""
    import tracemalloc

    snapshot = tracemalloc.Snapshot.load(str(out / "snapshot.tracemalloc"))
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
    stats = snapshot.filter_traces(ignore).statistics("traceback")
    total = sum(stat.size for stat in stats)
    by_package: Counter[str] = Counter()
    by_cause: Counter[str] = Counter()
    by_line: Counter[str] = Counter()
    by_file: Counter[str] = Counter()
    under: dict[str, Counter[str]] = {}
    for stat in stats:
        frames = list(reversed(stat.traceback))  # the allocating frame first
        by_package[_short(frames[0].filename).split("/")[0]] += stat.size
        allocating = _line(frames[0])
        by_line[allocating] += stat.size
        cause = next(
            (_line(f) for f in frames if _short(f.filename).split("/")[0] in PROJECT[:3]),
            "(no project frame within the traced depth)",
        )
        by_cause[cause] += stat.size
        by_file[cause.split(":")[0]] += stat.size
        under.setdefault(cause, Counter())[allocating] += stat.size
    types_before = json.loads((out / "types-0.json").read_text())
    types_after = json.loads((out / "types-1.json").read_text())
    grown = {
        name: (count - types_before.get(name, [0, 0])[0], size - types_before.get(name, [0, 0])[1])
        for name, (count, size) in types_after.items()
    }

    def per_connection(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(size / connections, 1)) for name, size in counter.most_common(top)]

    return {
        "traced_bytes_per_connection": round(total / connections, 1),
        "by_package_bytes_per_connection": per_connection(by_package),
        "by_project_file_bytes_per_connection": per_connection(by_file),
        "by_project_line_bytes_per_connection": per_connection(by_cause),
        "under_project_line_bytes_per_connection": {
            cause: per_connection(Counter(dict(under[cause].most_common(8))))
            for cause, _ in by_cause.most_common(12)
        },
        "by_allocating_line_bytes_per_connection": per_connection(by_line),
        "object_types_per_connection": [
            (name, round(count / connections, 2), round(size / connections, 1))
            for name, (count, size) in sorted(grown.items(), key=lambda kv: -kv[1][1])[:top]
        ],
    }


# -- driver ---------------------------------------------------------------------------------


@dataclass
class Started:
    """Every process this run started, to end them (by pid) whatever happens."""

    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def spawn(self, *args: str, **kwargs: Any) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(*args, **kwargs)
        self.processes.append(process)
        return process

    async def end(self, process: asyncio.subprocess.Process, grace: float = 5.0) -> None:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()

    async def end_all(self) -> None:
        for process in reversed(self.processes):
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


async def http_status(port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        line = await asyncio.wait_for(reader.readline(), 5)
        return int(line.split()[1])
    finally:
        writer.close()


async def wait_until(check: Any, timeout: float, what: str, process: Any) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"{what}: the process exited ({process.returncode})")
        with contextlib.suppress(OSError, ValueError, IndexError, TimeoutError):
            if await check():
                return
        await asyncio.sleep(0.1)
    raise TimeoutError(what)


async def start_nats(started: Started, store: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    process = await started.spawn(
        nats_server_binary(),
        "-a",
        "127.0.0.1",
        "-p",
        str(port),
        "-js",
        "-sd",
        str(store),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )

    async def listening() -> bool:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        return True

    await wait_until(listening, 10, "nats-server did not listen", process)
    return process, f"nats://127.0.0.1:{port}"


async def start_realtime(
    started: Started, nats_url: str, work: Path, args: argparse.Namespace
) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        NATS_URL=nats_url,  # the settings read NATS_URL (validation alias), not REALTIME_NATS_URL
        REALTIME_HOST="127.0.0.1",
        REALTIME_PORT=str(port),
        REALTIME_APPS=json.dumps([{"id": APP_ID, "key": APP_KEY, "secret": APP_SECRET}]),
        REALTIME_LIVE_APP_ID=APP_ID,
        REALTIME_ACTIVITY_TIMEOUT_SECONDS="600",
        REALTIME_DRAIN_SECONDS="0",
        # Every bench client comes from 127.0.0.1, far past the per-address cap.
        REALTIME_MAX_CONNECTIONS_PER_ADDRESS="0",
        REALTIME_METRICS_PORT="0",
    )
    if args.profile:
        env["BENCH_PROFILE_DIR"] = str(work)
    if args.service_loop == "asyncio":
        env["BENCH_ASYNCIO_LOOP"] = "1"
    wrapped = args.profile or args.service_loop == "asyncio"
    command = [__file__, "realtime"] if wrapped else ["-m", "runtime", "realtime"]
    log_path = work / "realtime.log"
    with log_path.open("wb") as log:
        process = await started.spawn(sys.executable, *command, env=env, stdout=log, stderr=log)

    async def ready() -> bool:
        return await http_status(port, "/readyz") == 200

    try:
        await wait_until(ready, 60, "realtime did not answer /readyz with 200", process)
    except (TimeoutError, RuntimeError) as exc:
        tail = log_path.read_bytes()[-1500:].decode(errors="replace")
        raise RuntimeError(f"{exc}; the end of its log:\n{tail}") from None
    return process, port


def event_loop_of(pid: int) -> str:
    """`uvloop` if the process has uvloop's extension mapped, else `asyncio`."""
    with open(f"/proc/{pid}/maps") as maps:
        return "uvloop" if any("/uvloop/" in line for line in maps) else "asyncio"


async def start_plain(started: Started, loop: str) -> tuple[asyncio.subprocess.Process, int]:
    process = await started.spawn(
        sys.executable,
        __file__,
        "plain-server",
        loop,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout
    port = int(await asyncio.wait_for(process.stdout.readline(), 30))
    return process, port


def client_processes(connections: int, wanted: int) -> int:
    """At least `wanted`, and enough that each stays within the open-files hard limit."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    per_process = max(1, hard - SPARE_FDS)
    return max(wanted, -(-connections // per_process))


async def open_clients(
    started: Started, port: int, args: argparse.Namespace
) -> tuple[list[asyncio.subprocess.Process], dict[str, Any]]:
    procs = client_processes(args.connections, args.client_procs)
    in_flight = max(1, -(-args.in_flight // procs))
    clients: list[asyncio.subprocess.Process] = []
    first = 0
    for index in range(procs):
        count = args.connections * (index + 1) // procs - first
        clients.append(
            await started.spawn(
                sys.executable,
                __file__,
                "clients",
                str(port),
                str(first),
                str(count),
                str(in_flight),
                str(args.connect_timeout),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        )
        first += count
    reports = []
    for client in clients:
        assert client.stdout
        line = await asyncio.wait_for(client.stdout.readline(), args.connect_timeout + 30)
        if not line:
            raise RuntimeError(f"client process {client.pid} exited ({await client.wait()})")
        reports.append(json.loads(line))
    failures: Counter[str] = Counter()
    for report in reports:
        failures.update(report["failures"])
    return clients, {
        "client_processes": procs,
        "subscribed": sum(r["subscribed"] for r in reports),
        "failed": sum(r["failed"] for r in reports),
        "connect_seconds": max(r["seconds"] for r in reports),
        "failures": dict(failures),
    }


async def measure(kind: str, args: argparse.Namespace, work: Path, loop: str) -> dict[str, Any]:
    started = Started()
    try:
        nats: asyncio.subprocess.Process | None = None
        if kind == "realtime":
            store = work / "jetstream"
            store.mkdir()
            nats, nats_url = await start_nats(started, store)
            server, port = await start_realtime(started, nats_url, work, args)
            loop = event_loop_of(server.pid)
        else:
            server, port = await start_plain(started, loop)
        watched = [server.pid] + ([nats.pid] if nats else [])
        await settle(watched, args.quiet_cpu, args.settle_max_seconds)
        await asyncio.sleep(args.settle_seconds)
        rss_before = await sample_rss(server.pid, args.samples)
        nats_before = rss_kb(nats.pid) if nats else 0
        if args.profile:
            await profile_snapshot(server.pid, work, 0)
        cpu_before = cpu_seconds(server.pid)
        clients, connected = await open_clients(started, port, args)
        cpu_connect = cpu_seconds(server.pid) - cpu_before
        quiet_after = await settle(watched, args.quiet_cpu, args.settle_max_seconds)
        await asyncio.sleep(args.settle_seconds)
        rss_after = await sample_rss(server.pid, args.samples)
        nats_after = rss_kb(nats.pid) if nats else 0
        if args.profile:
            await profile_snapshot(server.pid, work, 1)
        n = max(1, connected["subscribed"])
        result: dict[str, Any] = {
            "server": kind,
            "event_loop": loop,
            "connections": args.connections,
            **connected,
            "server_cpu_seconds_connecting": round(cpu_connect, 2),
            "settled_after_seconds": quiet_after,
            "rss_before_mb": round(rss_before / 1024, 1),
            "rss_after_mb": round(rss_after / 1024, 1),
            "kb_per_connection": round((rss_after - rss_before) / n, 2),
        }
        if nats:
            result["nats_rss_before_mb"] = round(nats_before / 1024, 1)
            result["nats_rss_after_mb"] = round(nats_after / 1024, 1)
            result["nats_kb_per_connection"] = round((nats_after - nats_before) / n, 2)
        if args.profile:
            result["profile"] = analyse_profile(work, n)
        # The server goes first (killed: its handling of N closes is not measured), then the
        # clients, told by the end of their stdin.
        with contextlib.suppress(ProcessLookupError):
            server.kill()
        await server.wait()
        for client in clients:
            assert client.stdin
            client.stdin.close()
        for client in clients:
            await started.end(client, grace=30)
        if nats:
            await started.end(nats)
        return result
    finally:
        await started.end_all()


HEADER = (
    f"{'server':<9} {'loop':<7} {'subscribed':>10} {'failed':>6} {'connect s':>9} {'settle s':>8} "
    f"{'RSS before MB':>13} {'RSS after MB':>12} {'KB/conn':>8} {'nats KB/conn':>12}"
)


def row(result: dict[str, Any]) -> str:
    nats = result.get("nats_kb_per_connection")
    return (
        f"{result['server']:<9} {result['event_loop']:<7} "
        f"{result['subscribed']:>10} {result['failed']:>6} "
        f"{result['connect_seconds']:>9} {result['settled_after_seconds']:>8} "
        f"{result['rss_before_mb']:>13} {result['rss_after_mb']:>12} "
        f"{result['kb_per_connection']:>8} {'' if nats is None else nats:>12}"
    )


def print_profile(profile: dict[str, Any]) -> None:
    print(f"\ntraced (tracemalloc) bytes per connection: {profile['traced_bytes_per_connection']}")
    for title, key in (
        ("by allocating package", "by_package_bytes_per_connection"),
        ("by the project file that led to the allocation", "by_project_file_bytes_per_connection"),
        ("by the project line that led to the allocation", "by_project_line_bytes_per_connection"),
        ("by allocating line", "by_allocating_line_bytes_per_connection"),
    ):
        print(f"\n{title} (bytes per connection):")
        for name, size in profile[key]:
            print(f"  {size:>9}  {name}")
    print("\nunder the largest project lines (bytes per connection):")
    for cause, lines in profile["under_project_line_bytes_per_connection"].items():
        print(f"  {cause}")
        for name, size in lines:
            print(f"    {size:>9}  {name}")
    print("\nlive objects by type (count and shallow bytes per connection):")
    for name, count, size in profile["object_types_per_connection"]:
        print(f"  {count:>6} {size:>9}  {name}")


async def main(args: argparse.Namespace) -> dict[str, Any]:
    kinds = ["realtime"] if args.profile else args.servers
    runs: dict[str, Any] = {}
    print(HEADER, flush=True)
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix=f"bench-idle-{kind}-") as work:
            # The plain server runs on the loop the realtime process was found running on.
            loop = runs.get("realtime", {}).get("event_loop", args.plain_loop)
            try:
                runs[kind] = await measure(kind, args, Path(work), loop)
            finally:
                log = Path(work) / "realtime.log"
                if args.keep_log and log.exists():
                    args.keep_log.parent.mkdir(parents=True, exist_ok=True)
                    args.keep_log.write_bytes(log.read_bytes())
        print(row(runs[kind]), flush=True)
    if "profile" in runs.get("realtime", {}):
        print_profile(runs["realtime"]["profile"])
    verdict: dict[str, Any] = {"target_kb_per_connection": TARGET_KB}
    if "realtime" in runs and not args.profile:
        ours = runs["realtime"]["kb_per_connection"]
        verdict["our_kb_per_connection"] = ours
        verdict["target_met"] = ours <= TARGET_KB
        verdict["over_target_kb"] = round(max(0.0, ours - TARGET_KB), 2)
    if "realtime" in runs and "plain" in runs:
        plain = runs["plain"]["kb_per_connection"]
        verdict["plain_kb_per_connection"] = plain
        verdict["ratio_vs_plain"] = round(runs["realtime"]["kb_per_connection"] / plain, 2)
    print(json.dumps(verdict), flush=True)
    return {"runs": runs, "verdict": verdict}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=19_000)
    parser.add_argument("--servers", type=lambda s: s.split(","), default=["realtime", "plain"])
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--in-flight", type=int, default=200, help="connections being opened")
    parser.add_argument("--connect-timeout", type=float, default=300.0, help="whole phase")
    parser.add_argument("--quiet-cpu", type=float, default=0.05, help="CPU s per s")
    parser.add_argument("--settle-max-seconds", type=float, default=120.0)
    parser.add_argument("--settle-seconds", type=float, default=3.0)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="realtime under tracemalloc")
    parser.add_argument(
        "--service-loop",
        choices=["default", "asyncio"],
        default="default",
        help="default: as `python -m runtime realtime` picks it; asyncio: uvloop hidden",
    )
    parser.add_argument(
        "--plain-loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="the plain server's loop when realtime is not run (else realtime's)",
    )
    parser.add_argument("--max-seconds", type=float, default=1200.0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep-log", type=Path, help="copy the realtime service's log here")
    args = parser.parse_args()
    if args.out is None:
        name = "idle_connections_profile.json" if args.profile else "idle_connections.json"
        args.out = HERE / "results" / name
    return args


def run() -> None:
    args = parse_args()
    raise_nofile()  # the servers inherit the raised soft limit

    async def bounded() -> dict[str, Any]:
        async with asyncio.timeout(args.max_seconds):
            return await main(args)

    results = asyncio.run(bounded())
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "python": platform.python_version(),
            "open_files_hard_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
        },
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        **results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "clients":
        port, first, count, in_flight = (int(v) for v in sys.argv[2:6])
        asyncio.run(clients(port, first, count, in_flight, float(sys.argv[6])))
    elif len(sys.argv) > 1 and sys.argv[1] == "plain-server":
        if sys.argv[2] == "uvloop":
            import uvloop

            uvloop.run(plain_server())
        else:
            asyncio.run(plain_server())
    elif len(sys.argv) > 1 and sys.argv[1] == "realtime":
        wrapped_realtime()
    else:
        run()
