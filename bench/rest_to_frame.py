"""REST mutation → frame benchmark: the whole stack against a one-process monolith, in one run.

    .tools/bin/uv run python bench/rest_to_frame.py                  # about 4 minutes
    .tools/bin/uv run python bench/rest_to_frame.py --rates 50,100 --seconds 5 --systems stack

Each system in turn, alone on the machine:

- `stack`: the whole stack as `./dev up` starts it (`python -m devstack up`: nats-server,
  migrations, every service), on free loopback ports and a temporary data directory, without a
  spans file (as a developer runs it);
- `monolith`: `bench/monolith_app.py`, one FastAPI process with SQLite and an in-process Pusher
  WebSocket endpoint;
- `floor` (only when asked for): the stack's hops with no work at each (`bench/hop_floor.py`):
  what this architecture costs per mutation before any service does anything.

Per system, `--parents` parents sign in, each adds a child, and each opens an Echo-style Pusher
connection (`frame_client.Subscriber`) to its own `private-live-refresh.{id}`, authorised through
`POST /broadcasting/auth`. Then, rate by rate, an open-loop load generator sends
`PATCH /children/{id}` at a fixed rate for `--seconds` (round robin over the parents, so one
parent's requests are `parents / rate` apart) and notes when each parent's frames arrive. A
parent's k-th frame answers its k-th successful request: frames carry no request id, and with
20 parents even 200/s leaves 100 ms between one parent's requests.

Reported per rate: p50/p90/p99 request → frame latency, achieved throughput (frames matched over
the time from the first request to the last frame, or `--seconds` if longer), errors, and CPU
milliseconds per mutation of every process (utime + stime from /proc, including nats-server),
measured from the start of the rate to its last frame. The saturation rate is the highest rate
kept up with: achieved ≥ 95 % of offered, p99 ≤ `--p99-bound-ms`, under 1 % errors. A rate not
kept up with ends the system's run (its backlog would spill into the next).

`--stack-python` runs the stack of another checkout (its `.venv/bin/python`), to measure a
before and an after in one run. Results: a table on stdout and `--out` (JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from frame_client import HttpPool, Subscriber

from testkit.nats_server import NatsServer
from testkit.ports import free_port

HERE = Path(__file__).resolve().parent
API = "/api/v1"
PASSWORD = "password"
TICKS = os.sysconf("SC_CLK_TCK")
TARGETS = {"p50_ms_at_100": 15.0, "p99_ms_at_100": 50.0, "cpu_vs_monolith": 2.0}
# The processes a PATCH passes through before its frame; the others (the notifications feed and
# dispatcher, trainers) read the same event for work of their own, which the monolith lacks.
ON_PATH = {"gateway", "bookings", "realtime", "realtime-router", "nats-server", "monolith"}
ON_PATH |= {"front", "hop-bookings", "hop-router"}  # the floor's


# -- processes and their CPU ------------------------------------------------------------------


def cpu_times(pid: int) -> tuple[float, float] | None:
    """(user, system) CPU of every thread of `pid`, in milliseconds; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) * 1000 / TICKS, int(fields[12]) * 1000 / TICKS


def cpu_ms(pid: int) -> float | None:
    times = cpu_times(pid)
    return None if times is None else sum(times)


def cpu_snapshot(pids: dict[str, int]) -> dict[str, tuple[float, float]]:
    return {name: times for name, pid in pids.items() if (times := cpu_times(pid)) is not None}


@dataclass
class System:
    name: str
    process: subprocess.Popen[bytes]
    api_port: int
    ws_url: str
    data: Path
    emails: list[str]
    admin_email: str | None = None  # creates the parents' accounts when they are not seeded
    helpers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)  # the floor's
    nats: NatsServer | None = None  # the floor's own

    def pids(self) -> dict[str, int]:
        first = {"monolith": "monolith", "floor": "front"}.get(self.name, "devstack")
        found = {first: self.process.pid}
        found |= {name: helper.pid for name, helper in self.helpers.items()}
        if self.nats is not None:
            found["nats-server"] = self.nats.pid
        run = self.data / "run"
        if run.exists():
            found |= {f.stem: int(f.read_text()) for f in run.glob("*.pid")}
        return found

    def stop(self, timeout: float = 30.0) -> None:
        for helper in self.helpers.values():
            if helper.poll() is None:
                helper.send_signal(signal.SIGTERM)
                helper.wait(timeout)
        if self.nats is not None:
            self.nats.stop()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_for(process: subprocess.Popen[bytes], log: Path, ready: bytes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited: {log.read_text(errors='replace')[-3000:]}")
        if ready in log.read_bytes():
            return
        time.sleep(0.1)
    raise TimeoutError(f"not up in {timeout:.0f}s: {log.read_text(errors='replace')[-3000:]}")


def start_stack(name: str, root: Path, python: str, parents: int) -> System:
    """`python -m devstack up` on free ports, its data in `root`, as `testkit.stack` does but
    without the spans file the end-to-end tests read."""
    api_port, ws_port = free_port(), free_port()
    env = {
        **os.environ,
        "CAMS_DATA_DIR": str(root),
        "CAMS_GATEWAY_PORT": str(api_port),
        "CAMS_REALTIME_PORT": str(ws_port),
        "CAMS_NATS_PORT": str(free_port()),
    }
    for variable in ("NATS_URL", "OTEL_SPANS_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        env.pop(variable, None)
    log = root / "stack.log"
    process = subprocess.Popen(
        [python, "-m", "devstack", "up"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(process, log, b"CAMS Live is up.", 120)
    except BaseException:
        process.kill()
        raise
    emails = [f"bench-parent-{n}@cams.test" for n in range(parents)]
    ws_url = f"ws://127.0.0.1:{ws_port}/app/local-dev-key"
    return System(name, process, api_port, ws_url, root, emails, "admin@cams.test")


def start_monolith(root: Path, parents: int, options: list[str] | None = None) -> System:
    port = free_port()
    log = root / "monolith.log"
    argv = [sys.executable, str(HERE / "monolith_app.py"), "--port", str(port)]
    argv += ["--database", str(root / "monolith.db"), "--parents", str(parents)]
    argv += options or []
    process = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not _listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"monolith did not start: {log.read_text(errors='replace')}")
        time.sleep(0.1)
    emails = [f"parent{n}@bench.test" for n in range(parents)]
    return System(
        "monolith", process, port, f"ws://127.0.0.1:{port}/app/local-dev-key", root, emails
    )


def start_floor(root: Path, parents: int) -> System:
    """`bench/hop_floor.py`'s processes on a nats-server of their own, its front the monolith's
    process with `--hops`."""
    nats = NatsServer(root / "nats")
    nats.start()
    helpers: dict[str, subprocess.Popen[bytes]] = {}
    try:
        hops = [sys.executable, str(HERE / "hop_floor.py")]
        deadline = time.monotonic() + 30
        while subprocess.run([*hops, "setup", "--nats", nats.url], capture_output=True).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("the floor's stream could not be set up")
            time.sleep(0.2)
        for role in ("bookings", "router", "notifications"):
            log = (root / f"hop-{role}.log").open("wb")
            helpers[f"hop-{role}"] = subprocess.Popen(
                [*hops, role, "--nats", nats.url], stdout=log, stderr=subprocess.STDOUT
            )
        front = start_monolith(root, parents, ["--hops", nats.url])
    except BaseException:
        for helper in helpers.values():
            helper.kill()
        nats.stop()
        raise
    front.name, front.helpers, front.nats = "floor", helpers, nats
    return front


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- the parents and their pages -----------------------------------------------------------


@dataclass
class Sent:
    at: float
    status: int = 0


@dataclass
class Parent:
    user_id: int
    token: str
    child_id: int
    page: Subscriber
    sent: list[Sent] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{API}/children/{self.child_id}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_in(api: HttpPool, email: str) -> tuple[int, str]:
    answer = await api.json("POST", f"{API}/auth/login", {"email": email, "password": PASSWORD})
    return int(answer["user"]["id"]), str(answer["access_token"])


async def prepare(system: System, api: HttpPool) -> list[Parent]:
    if system.admin_email is not None:
        _, admin = await sign_in(api, system.admin_email)
        for n, email in enumerate(system.emails):
            body = {"email": email, "name": f"Parent {n}", "role": "parent", "password": PASSWORD}
            await api.json("POST", f"{API}/users", body, admin)
    parents = []
    for n, email in enumerate(system.emails):
        user_id, token = await sign_in(api, email)
        child = {"name": f"Child {n}", "date_of_birth": "2017-05-04"}
        child_id = int((await api.json("POST", f"{API}/children", child, token))["id"])
        page = Subscriber(f"private-live-refresh.{user_id}")
        await page.open(system.ws_url, api, API, token)
        parents.append(Parent(user_id, token, child_id, page))
    return parents


# -- one rate ---------------------------------------------------------------------------------


@dataclass
class Step:
    rate: float
    seconds: float
    sent: int
    ok: int
    errors: dict[str, int]
    frames: int
    matched: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    achieved_per_s: float
    send_lag_ms: float
    load_average: float  # of the machine, other jobs included, as the rate ended
    cpu_ms_per_mutation: dict[str, float]
    cpu_ms_per_mutation_total: float
    cpu_ms_per_mutation_on_path: float
    cpu_kernel_share: dict[str, float]
    client_cpu_ms_per_mutation: float
    kept_up: bool = False
    samples: list[tuple[float, float]] | None = None


async def _mutate(api: HttpPool, parent: Parent, n: int, timeout: float) -> None:
    record = Sent(time.perf_counter())
    parent.sent.append(record)
    body = orjson.dumps({"name": f"Child renamed {n}"})
    try:
        record.status, _ = await asyncio.wait_for(
            api.request("PATCH", parent.path, body, parent.headers), timeout
        )
    except Exception:
        record.status = -1


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 1000) - 1]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


async def run_step(
    system: System,
    api: HttpPool,
    parents: list[Parent],
    rate: float,
    seconds: float,
    drain: float,
    p99_bound_ms: float,
    keep_samples: bool = False,
) -> Step:
    for parent in parents:
        parent.sent.clear()
        parent.page.frames.clear()
    count = max(1, round(rate * seconds))
    pids = system.pids()
    before, client_before = cpu_snapshot(pids), cpu_ms(os.getpid()) or 0.0
    start = time.perf_counter() + 0.02
    tasks: list[asyncio.Task[None]] = []
    lag = 0.0
    for n in range(count):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        lag = max(lag, time.perf_counter() - due)
        parent = parents[n % len(parents)]
        tasks.append(asyncio.create_task(_mutate(api, parent, n, drain + seconds)))
    await asyncio.wait(tasks)
    for _ in range(round(drain / 0.01)):  # until every frame is in, or the drain time is up
        if all(len(p.page.frames) >= sum(s.status == 200 for s in p.sent) for p in parents):
            break
        await asyncio.sleep(0.01)
    after, client_after = cpu_snapshot(pids), cpu_ms(os.getpid()) or 0.0

    latencies: list[float] = []
    samples: list[tuple[float, float]] = []  # (sent, seconds after the rate began; latency)
    errors: dict[str, int] = {}
    frames, last = 0, start
    for parent in parents:
        ok = [s for s in parent.sent if s.status == 200]
        for s in parent.sent:
            if s.status != 200:
                errors[str(s.status)] = errors.get(str(s.status), 0) + 1
        arrived = parent.page.frames
        frames += len(arrived)
        pairs = [
            (ok[k].at - start, arrived[k] - ok[k].at) for k in range(min(len(ok), len(arrived)))
        ]
        samples += pairs
        latencies += [latency for _, latency in pairs]
        if arrived:
            last = max(last, arrived[-1])
    latencies.sort()
    ok_count = count - sum(errors.values())
    per = max(ok_count, 1)
    both = [name for name in after if name in before]
    cpu = {name: round((sum(after[name]) - sum(before[name])) / per, 3) for name in both}
    system_ms = {name: after[name][1] - before[name][1] for name in both}
    kernel = {
        name: round(system_ms[name] / spent, 2)
        for name in both
        if (spent := sum(after[name]) - sum(before[name])) > 0
    }
    achieved = len(latencies) / max(seconds, last - start)
    step = Step(
        rate=rate,
        seconds=seconds,
        sent=count,
        ok=ok_count,
        errors=errors,
        frames=frames,
        matched=len(latencies),
        p50_ms=_ms(_percentile(latencies, 0.50)),
        p90_ms=_ms(_percentile(latencies, 0.90)),
        p99_ms=_ms(_percentile(latencies, 0.99)),
        max_ms=_ms(latencies[-1] if latencies else None),
        achieved_per_s=round(achieved, 1),
        send_lag_ms=round(lag * 1000, 1),
        load_average=os.getloadavg()[0],
        cpu_ms_per_mutation=cpu,
        cpu_ms_per_mutation_total=round(sum(cpu.values()), 2),
        cpu_ms_per_mutation_on_path=round(sum(v for k, v in cpu.items() if k in ON_PATH), 2),
        cpu_kernel_share=kernel,
        client_cpu_ms_per_mutation=round((client_after - client_before) / per, 2),
    )
    if keep_samples:
        step.samples = [(round(at, 4), round(latency * 1000, 2)) for at, latency in sorted(samples)]
    step.kept_up = (
        achieved >= 0.95 * rate
        and step.p99_ms is not None
        and step.p99_ms <= p99_bound_ms
        and sum(errors.values()) <= 0.01 * count
    )
    return step


# -- a system's run -----------------------------------------------------------------------------


async def measure(system: System, args: argparse.Namespace) -> dict[str, Any]:
    api = HttpPool("127.0.0.1", system.api_port)
    parents = await prepare(system, api)
    try:
        # Not recorded: first connections, imports and caches of every process on the path.
        await run_step(system, api, parents, 25, args.warmup_seconds, args.drain_seconds, 1e9)
        await asyncio.sleep(1)
        idle_before = cpu_snapshot(system.pids())
        await asyncio.sleep(args.idle_seconds)
        idle_after = cpu_snapshot(system.pids())
        idle = {
            name: round((sum(idle_after[name]) - sum(idle_before[name])) / args.idle_seconds, 1)
            for name in idle_after
            if name in idle_before
        }
        steps: list[Step] = []
        profilers = py_spy(system, args.py_spy) if args.py_spy else []
        for rate in args.rates:
            step = await run_step(
                system,
                api,
                parents,
                rate,
                args.seconds,
                args.drain_seconds,
                args.p99_bound_ms,
                args.samples,
            )
            steps.append(step)
            print(_row(system.name, step), flush=True)
            if not step.kept_up:
                break
            await asyncio.sleep(args.pause_seconds)
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its file on the way out
            profiler.wait(30)
        kept = [s.rate for s in steps if s.kept_up]
        return {
            "idle_cpu_ms_per_s": idle,
            "steps": [asdict(s) for s in steps],
            "saturation_per_s": max(kept) if kept else 0,
        }
    finally:
        for parent in parents:
            await parent.page.close()
        api.close()


def py_spy(system: System, folder: Path) -> list[subprocess.Popen[bytes]]:
    """Sample every Python process of the system while the rates run: collapsed stacks in
    `folder/{system}-{process}.txt` (one `frame;frame;... count` line each), for profiling."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).parent / "py-spy"
    started = []
    for name, pid in system.pids().items():
        if name in ("devstack", "nats-server"):
            continue
        out = folder / f"{system.name}-{name}.txt"
        argv = [str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "200"]
        argv += ["--gil", "--nonblocking", "--output", str(out)]
        started.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return started


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


HEADER = (
    f"{'system':<9} {'rate/s':>6} {'achieved':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
    f"{'max ms':>7} {'errors':>6} {'CPU ms/mut':>10} {'on path':>7}  per process"
)


def _row(name: str, step: Step) -> str:
    processes = " ".join(
        f"{k}={v:.2f}" for k, v in sorted(step.cpu_ms_per_mutation.items()) if v >= 0.05
    )
    mark = "" if step.kept_up else "  (not kept up)"
    return (
        f"{name:<9} {step.rate:>6.0f} {step.achieved_per_s:>8.1f} {_fmt(step.p50_ms):>7} "
        f"{_fmt(step.p90_ms):>7} {_fmt(step.p99_ms):>7} {_fmt(step.max_ms):>7} "
        f"{sum(step.errors.values()):>6} {step.cpu_ms_per_mutation_total:>10.2f} "
        f"{step.cpu_ms_per_mutation_on_path:>7.2f}  {processes}{mark}"
    )


def verdict(stack: dict[str, Any], mono: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets for one stack against the monolith. CPU is compared at the rates both
    kept up with (all processes, and only those on the path)."""
    at = {s["rate"]: s for s in stack["steps"]}
    mono_at = {s["rate"]: s for s in mono["steps"]}
    common = [r for r in at if r in mono_at and at[r]["kept_up"] and mono_at[r]["kept_up"]]

    def ratios(key: str) -> dict[float, float]:
        return {r: round(at[r][key] / mono_at[r][key], 2) for r in common}

    hundred = at.get(100)
    kept_100 = bool(hundred and hundred["kept_up"])
    out: dict[str, Any] = {
        "p50_ms_at_100": hundred and hundred["p50_ms"],
        "p99_ms_at_100": hundred and hundred["p99_ms"],
        "saturation_stack": stack["saturation_per_s"],
        "saturation_monolith": mono["saturation_per_s"],
        "cpu_ratio_by_rate": ratios("cpu_ms_per_mutation_total"),
        "cpu_ratio_on_path_by_rate": ratios("cpu_ms_per_mutation_on_path"),
    }
    limit = TARGETS["cpu_vs_monolith"]
    out["meets"] = {
        "p50": kept_100 and hundred is not None and hundred["p50_ms"] <= TARGETS["p50_ms_at_100"],
        "p99": kept_100 and hundred is not None and hundred["p99_ms"] <= TARGETS["p99_ms_at_100"],
        "saturation": out["saturation_stack"] >= out["saturation_monolith"],
        "cpu": bool(common) and max(out["cpu_ratio_by_rate"].values()) <= limit,
        "cpu_on_path": bool(common) and max(out["cpu_ratio_on_path_by_rate"].values()) <= limit,
    }
    return out


@contextlib.contextmanager
def started(name: str, args: argparse.Namespace) -> Iterator[System]:
    with tempfile.TemporaryDirectory(prefix=f"rest-to-frame-{name}-") as tmp:
        root = Path(tmp)
        if name == "monolith":
            system = start_monolith(root, args.parents)
        elif name == "floor":
            system = start_floor(root, args.parents)
        else:
            python = args.stack_python.get(name, sys.executable)
            system = start_stack(name, root, python, args.parents)
        try:
            yield system
        finally:
            system.stop()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    print(HEADER, flush=True)
    for name in args.systems:
        with started(name, args) as system:
            results[name] = await measure(system, args)
            print(f"{name:<9} idle CPU ms/s: {results[name]['idle_cpu_ms_per_s']}", flush=True)
    return results


def _rates(text: str) -> list[float]:
    return [float(r) for r in text.split(",")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=_rates, default=_rates("25,50,100,150,200,250,300,400"))
    parser.add_argument("--seconds", type=float, default=10.0, help="per rate")
    parser.add_argument("--parents", type=int, default=20)
    parser.add_argument("--systems", type=lambda s: s.split(","), default=["stack", "monolith"])
    parser.add_argument("--p99-bound-ms", type=float, default=100.0)
    parser.add_argument("--warmup-seconds", type=float, default=4.0)
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    parser.add_argument("--drain-seconds", type=float, default=10.0)
    parser.add_argument("--pause-seconds", type=float, default=2.0)
    parser.add_argument(
        "--stack-python",
        type=lambda s: tuple(s.split("=", 1)),
        action="append",
        default=[],
        metavar="NAME=PYTHON",
        help="the stack NAME (in --systems) runs on this interpreter, e.g. another checkout's",
    )
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--py-spy", type=Path, help="sample each process into this folder")
    parser.add_argument(
        "--samples", action="store_true", help="keep every (sent at, latency ms) in the JSON"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "rest_to_frame.json")
    args = parser.parse_args()
    args.stack_python = dict(args.stack_python)
    return args


def run() -> None:
    args = parse_args()
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run

    async def bounded() -> dict[str, Any]:
        async with asyncio.timeout(args.max_seconds):
            return await main(args)

    results = runner(bounded())
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "python": platform.python_version(),
        },
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "systems": results,
        "targets": TARGETS,
        "verdict": {
            name: verdict(result, results["monolith"])
            for name, result in results.items()
            if name != "monolith" and "monolith" in results
        },
    }
    print(json.dumps(report["verdict"], indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    run()
