"""Live refresh router benchmark: domain events → frames through the router, against ready-made
frames published straight to the edges, to the same Pusher clients in the same run.

    .tools/bin/uv run python bench/live_router.py [--users 1000] [--events 6000] [--split]

A real nats-server and the real realtime service (its own process, `python -m runtime realtime`;
with `--split`, two: an edge and a router, `REALTIME_ROLE`) on loopback; `--users` Pusher clients
(another process), each subscribed to its own `private-live-refresh.{id}`, plus one on the admin
channel.

- edge rate: 2 x events ready-made `ChannelFrame`s (a parent's and the admin's, as the router
  would send) published on the edges' subjects as fast as the bench can; frames received/s.
- router rate: `--events` ChildUpdated events (round robin over the users) published into
  JetStream as fast as acks allow; the router bumps versions and sends each parent and the admin
  channel a frame; frames received/s.
- latency: events at half the router's peak rate for `--seconds`, open loop; p50/p99 from
  publishing an event to its parent's frame arriving.

Target (issue 10): router rate ≥ 0.5 x edge rate; p99 ≤ 50 ms at half the router's peak.
Results: printed, and written to bench/results/live_router.json (live_router_split.json).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

import orjson

APP_ID, KEY, SECRET = "cams", "bench-key", "bench-secret"
ADMIN = "private-live-refresh.admin"
RESULTS = Path(__file__).parent / "results" / "live_router.json"
SPLIT_RESULTS = RESULTS.with_name("live_router_split.json")


def channel_of(user: int) -> str:
    return f"private-live-refresh.{user}"


# -- clients (their own process) ---------------------------------------------------------


async def clients(port: int, users: int) -> None:
    """Print `ready`; then per stdin line `count` -> total frames, `report` -> arrivals JSON."""
    from websockets.asyncio.client import connect

    arrivals: dict[int, list[float]] = {}
    total = 0
    url = f"ws://127.0.0.1:{port}/app/{KEY}?protocol=7&client=bench&version=8.4.0"

    async def one(user: int | None, ready: asyncio.Event) -> None:
        nonlocal total
        channel = ADMIN if user is None else channel_of(user)
        async with connect(url, max_queue=None, compression=None, ping_interval=None) as ws:
            established = orjson.loads(await ws.recv())
            socket_id = orjson.loads(established["data"])["socket_id"]
            signature = hmac.new(
                SECRET.encode(), f"{socket_id}:{channel}".encode(), hashlib.sha256
            ).hexdigest()
            subscribe = {"channel": channel, "auth": f"{KEY}:{signature}"}
            await ws.send(orjson.dumps({"event": "pusher:subscribe", "data": subscribe}).decode())
            async for raw in ws:
                message = orjson.loads(raw)
                event = message["event"]
                if event == "pusher_internal:subscription_succeeded":
                    ready.set()
                elif event == "LiveRefreshContextsUpdated":
                    total += 1
                    if user is not None:
                        arrivals.setdefault(user, []).append(time.monotonic())
                elif event == "pusher:ping":
                    await ws.send('{"event":"pusher:pong","data":{}}')

    tasks = []
    for start in range(0, users + 1, 100):
        batch = []
        for user in range(start, min(start + 100, users + 1)):
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(one(user if user < users else None, ready)))
            batch.append(ready)
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in batch)), 60)
    print("ready", flush=True)

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "count":
            print(total, flush=True)
        elif line == "report":
            print(orjson.dumps({str(k): v for k, v in arrivals.items()}).decode(), flush=True)
            arrivals.clear()
            total = 0
    for task in tasks:
        task.cancel()


# -- the driver --------------------------------------------------------------------------


class Clients:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def ask(self, command: str) -> str:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()
        return (await self.process.stdout.readline()).decode().strip()

    async def wait_for(self, frames: int, timeout: float) -> float:
        """Poll until `frames` arrived; the time it happened (monotonic)."""
        deadline = time.monotonic() + timeout
        next_report = time.monotonic() + 10
        while True:
            count = int(await self.ask("count"))
            if count > frames:
                raise RuntimeError(f"{count} frames arrived for {frames} sent: duplicates")
            if count == frames:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} of {frames} frames arrived")
            if time.monotonic() > next_report:
                print(f"    {count} of {frames} frames so far", file=sys.stderr)
                next_report += 10
            await asyncio.sleep(0.005)

    async def report(self) -> dict[int, list[float]]:
        return {int(k): v for k, v in orjson.loads(await self.ask("report")).items()}


async def edge_rate(nc: Any, clients: Clients, users: int, events: int) -> float:
    import uuid

    from contracts.live import deliver_subject

    frames = []
    for n in range(events):
        user, event_id = n % users, str(uuid.uuid4())
        data = orjson.dumps({"contexts": ["children"], "versions": {"children": n + 1}}).decode()
        for channel in (channel_of(user), ADMIN):
            frame = {
                "app_id": APP_ID,
                "channel": channel,
                "event": "LiveRefreshContextsUpdated",
                "data": data,
                "id": event_id,
                "position": n + 1,
            }
            frames.append((deliver_subject(APP_ID, channel), orjson.dumps(frame)))
    started = time.monotonic()
    for subject, payload in frames:
        await nc.publish(subject, payload)
    await nc.flush()
    finished = await clients.wait_for(len(frames), timeout=120)
    await clients.report()
    return len(frames) / (finished - started)


def child_updated(n: int, users: int) -> tuple[str, bytes]:
    from contracts.bookings import ChildUpdated
    from messaging.codec import encode

    event = ChildUpdated(child_id=n, parent_id=n % users)
    return event.subject, encode(event)


async def router_rate(js: Any, clients: Clients, users: int, events: int) -> float:
    payloads = [child_updated(n, users) for n in range(events)]
    started = time.monotonic()
    pending = []
    for subject, payload in payloads:
        pending.append(await js.publish_async(subject, payload))
        if len(pending) >= 1000:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    finished = await clients.wait_for(2 * events, timeout=300)
    await clients.report()
    return 2 * events / (finished - started)


async def latency_at(
    js: Any, clients: Clients, users: int, rate: float, seconds: float
) -> dict[str, float]:
    count = int(rate * seconds)
    payloads = [child_updated(n, users) for n in range(count)]
    sent: dict[int, list[float]] = {}
    started = time.monotonic()
    acks = []
    for n, (subject, payload) in enumerate(payloads):
        due = started + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.setdefault(n % users, []).append(time.monotonic())
        acks.append(await js.publish_async(subject, payload))
    await asyncio.gather(*acks)
    await clients.wait_for(2 * count, timeout=120)
    arrived = await clients.report()
    latencies = sorted(
        (got - at) * 1000
        for user, times in sent.items()
        for at, got in zip(times, sorted(arrived.get(user, [])), strict=False)
    )
    return {
        "rate": rate,
        "events": count,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "max_ms": latencies[-1],
    }


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class CpuMeter:
    """CPU milliseconds per 1,000 frames of each process over one phase."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._start: dict[str, float] = {}

    def start(self) -> None:
        self._start = {name: cpu_seconds(pid) for name, pid in self._pids.items()}

    def per_thousand_frames(self, frames: int) -> dict[str, float]:
        return {
            name: round((cpu_seconds(pid) - self._start[name]) * 1e6 / frames, 1)
            for name, pid in self._pids.items()
        }


def open_log(path: Path) -> BinaryIO:
    return path.open("wb")  # the subprocess writes it; it goes with the temporary directory


def free_port() -> int:
    from testkit.ports import free_port as pick

    return pick()


def wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("realtime did not become ready")


async def wait_pinged(nc: Any, service: str, timeout: float = 30) -> None:
    """A router-role process is ready once its NATS micro service answers PING."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await nc.request(f"$SRV.PING.{service}", b"", timeout=1)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise TimeoutError("the realtime router did not become ready") from None
            await asyncio.sleep(0.1)


async def start_realtime(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "runtime",
        "realtime",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=open_log(log),
    )


async def main(args: argparse.Namespace) -> None:
    import nats

    from testkit.nats_server import NatsServer

    with tempfile.TemporaryDirectory() as store:
        server = NatsServer(Path(store))
        server.start()
        port = free_port()
        env = {
            **os.environ,
            "NATS_URL": server.url,
            "REALTIME_PORT": str(port),
            "REALTIME_APPS": json.dumps([{"id": APP_ID, "key": KEY, "secret": SECRET}]),
            "REALTIME_LIVE_APP_ID": APP_ID,
            "REALTIME_ACTIVITY_TIMEOUT_SECONDS": "600",
            "LOG_LEVEL": "WARNING",
            "REALTIME_DRAIN_SECONDS": "0",
            "REALTIME_METRICS_PORT": "0",
            # Every bench client comes from 127.0.0.1: no cap per address (issue 11's default
            # is 1,000).
            "REALTIME_MAX_CONNECTIONS_PER_ADDRESS": "0",
        }
        logs = [Path(store) / "realtime.log"]
        if args.split:
            edge_env = env | {"REALTIME_ROLE": "edge"}
            # The router listens on no port; its own, should it ever, never meets the edge's.
            router_env = env | {"REALTIME_ROLE": "router", "REALTIME_PORT": str(free_port())}
            logs.append(Path(store) / "realtime-router.log")
            processes = [
                await start_realtime(edge_env, logs[0]),
                await start_realtime(router_env, logs[1]),
            ]
        else:
            processes = [await start_realtime(env, logs[0])]
        client_process = None
        try:
            try:
                await asyncio.to_thread(wait_ready, port)
                if args.split:
                    probe = await nats.connect(server.url)
                    await wait_pinged(probe, "realtime")
                    await probe.close()
            except TimeoutError:
                for path in logs:
                    print(path.read_text()[-3000:], file=sys.stderr)
                raise
            client_process = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--role",
                "clients",
                "--port",
                str(port),
                "--users",
                str(args.users),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=1 << 26,  # the arrivals report is one long line
            )
            clients = Clients(client_process)
            assert client_process.stdout is not None
            line = await asyncio.wait_for(client_process.stdout.readline(), 180)
            assert line.strip() == b"ready", line
            nc = await nats.connect(server.url)
            js = nc.jetstream()

            pids = {"bench": os.getpid(), "clients": client_process.pid}
            pids |= {"nats-server": server.pid}
            names = ["realtime", "realtime-router"] if args.split else ["realtime"]
            pids |= {name: process.pid for name, process in zip(names, processes, strict=True)}
            meter = CpuMeter(pids)

            print(f"{args.users} clients ready; ready-made frames...", file=sys.stderr)
            meter.start()
            edge = await edge_rate(nc, clients, args.users, args.events)
            edge_cpu = meter.per_thousand_frames(2 * args.events)
            print(f"  {edge:.0f} frames/s; events through the router...", file=sys.stderr)
            meter.start()
            router = await router_rate(js, clients, args.users, args.events)
            router_cpu = meter.per_thousand_frames(2 * args.events)
            print(f"  {router:.0f} frames/s; latency at half the router's peak...", file=sys.stderr)
            # Each event is two frames: half the router's peak is router / 2 / 2 events a second.
            half = await latency_at(js, clients, args.users, router / 4, args.seconds)
            await nc.close()
        finally:
            for process in (client_process, *processes):
                if process is not None and process.returncode is None:
                    process.terminate()
                    stopping = time.monotonic()
                    try:
                        await asyncio.wait_for(process.wait(), 30)
                    except TimeoutError:
                        print("    a process ignored SIGTERM for 30 s: killed", file=sys.stderr)
                        process.kill()
                        await process.wait()
                    print(f"    stopped in {time.monotonic() - stopping:.1f} s", file=sys.stderr)
            server.stop()

    results = {
        "mode": "split" if args.split else "one process",
        "users": args.users,
        "events": args.events,
        "edge_frames_per_s": round(edge),
        "router_frames_per_s": round(router),
        "ratio": round(router / edge, 2),
        "half_peak": {k: round(v, 1) for k, v in half.items()},
        "cpu_ms_per_1000_frames": {"edge": edge_cpu, "router": router_cpu},
    }
    print(f"{'path':<34}{'frames/s':>10}")
    print(f"{'ready-made frames to the edges':<34}{edge:>10.0f}")
    print(f"{'events through the router':<34}{router:>10.0f}   ratio {router / edge:.2f}")
    print(
        f"at {half['rate']:.0f} events/s (half the router's peak): "
        f"p50 {half['p50_ms']:.1f} ms, p99 {half['p99_ms']:.1f} ms, max {half['max_ms']:.1f} ms"
    )
    print("CPU ms per 1,000 frames:")
    for phase, cpu in (("ready-made", edge_cpu), ("router", router_cpu)):
        print(f"  {phase:<11}" + " ".join(f"{k}={v}" for k, v in cpu.items()))
    target = SPLIT_RESULTS if args.split else RESULTS
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="driver")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--seconds", type=float, default=10.0)
    # The edge and the router in processes of their own (REALTIME_ROLE), not one.
    parser.add_argument("--split", action="store_true")
    arguments = parser.parse_args()
    if arguments.role == "clients":
        asyncio.run(clients(arguments.port, arguments.users))
    else:
        asyncio.run(main(arguments))
