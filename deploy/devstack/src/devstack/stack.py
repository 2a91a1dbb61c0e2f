"""The whole stack on one machine: nats-server, migrations, demo users, every service."""

import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path

from devstack.processes import ManagedProcess, run_once
from devstack.readiness import http_ready, nats_service_ready
from devstack.settings import StackSettings

log = logging.getLogger("devstack")

SERVICES = ("bookings", "trainers", "notifications", "realtime", "gateway")
DATABASES = ("bookings", "trainers", "notifications", "gateway")
NATS_ONLY = ("bookings", "trainers", "notifications")


def nats_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    return str(beside) if beside.exists() else "nats-server"


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


class Stack:
    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.data = settings.data_dir.resolve()
        self.nats_url = settings.nats_url or f"nats://{settings.host}:{settings.nats_port}"
        self.processes: list[ManagedProcess] = []

    def env(self) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        env["NATS_URL"] = self.nats_url
        for name in DATABASES:
            env.setdefault(f"{name.upper()}_DATABASE_URL", f"sqlite:///{self.data / name}.db")
        env |= {
            "GATEWAY_HOST": s.host,
            "GATEWAY_PORT": str(s.gateway_port),
            "REALTIME_HOST": s.host,
            "REALTIME_PORT": str(s.realtime_port),
            "GATEWAY_SEED_DEMO_USERS": "true" if s.seed_demo_users else "false",
        }
        return env

    async def migrate(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        await asyncio.gather(
            *(
                run_once(f"{name} migrate", [sys.executable, "-m", name, "migrate"], self.env())
                for name in DATABASES
            )
        )

    async def _start(self, name: str, argv: list[str]) -> None:
        run = self.data / "run"
        run.mkdir(parents=True, exist_ok=True)
        process = ManagedProcess(name, argv, self.env(), pid_file=run / f"{name}.pid")
        self.processes.append(process)
        await process.start()

    async def up(self) -> None:
        s = self.settings
        self.data.mkdir(parents=True, exist_ok=True)
        if s.nats_url is None:
            if port_in_use(s.host, s.nats_port):
                raise RuntimeError(
                    f"port {s.nats_port} is taken: set NATS_URL to use that server, "
                    "or CAMS_NATS_PORT to start ours elsewhere"
                )
            await self._start(
                "nats-server",
                [
                    nats_binary(),
                    "-a",
                    s.host,
                    "-p",
                    str(s.nats_port),
                    "-js",
                    "-sd",
                    str(self.data / "jetstream"),
                    "-l",
                    str(self.data / "nats-server.log"),
                ],
            )
        await self.migrate()
        for name in SERVICES[:-1]:
            await self._start(name, [sys.executable, "-m", name])
        timeout = s.ready_timeout_seconds
        await asyncio.gather(
            *(nats_service_ready(self.nats_url, name, timeout) for name in NATS_ONLY),
            http_ready(f"http://{s.host}:{s.realtime_port}/readyz", timeout),
        )
        await self._start("gateway", [sys.executable, "-m", "gateway"])
        await http_ready(f"http://{s.host}:{s.gateway_port}/readyz", timeout)

    async def down(self) -> None:
        for process in reversed(self.processes):
            await process.stop()

    def banner(self) -> str:
        s = self.settings
        return "\n".join(
            [
                "CAMS Live is up.",
                f"  REST       http://{s.host}:{s.gateway_port}/api/v1   (OpenAPI: /openapi.json)",
                f"  WebSocket  ws://{s.host}:{s.realtime_port}/app/local-dev-key?protocol=7",
                f"  NATS       {self.nats_url}",
                "  Pusher app id cams, key local-dev-key, secret local-dev-secret",
                "  Demo users admin@cams.test, parent@cams.test, trainer@cams.test "
                "(password: 'password' unless GATEWAY_DEV_PASSWORD says otherwise)",
                "Ctrl-C stops everything.",
            ]
        )


async def run_stack(settings: StackSettings) -> None:
    stack = Stack(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        starting = asyncio.create_task(stack.up())
        await asyncio.wait(
            [starting, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        if starting.done():
            starting.result()
            print(stack.banner(), flush=True)
            await stop.wait()
        else:
            starting.cancel()
    finally:
        print("devstack: stopping", flush=True)
        await stack.down()
