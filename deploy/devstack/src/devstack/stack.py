"""The whole stack on one machine: nats-server, migrations, demo users, every service."""

import asyncio
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from devstack.nats_auth import (
    CREDENTIALS_FILE,
    dev_passwords,
    dev_server_config,
    given_passwords,
    write_dev_server_config,
)
from devstack.processes import ManagedProcess, run_once
from devstack.profile import is_production, seeds_demo_users
from devstack.readiness import http_ready, nats_service_ready
from devstack.settings import StackSettings

log = logging.getLogger("devstack")


class Ready(Enum):
    """How the stack knows a service is up: a NATS micro service answers `$SRV.PING.{name}`,
    or an HTTP service answers 200 on `/readyz`."""

    nats_ping = "nats_ping"
    http = "http"


@dataclass(frozen=True)
class Service:
    name: str
    database: bool
    ready: Ready
    # The settings prefix of its HTTP port and host (`GATEWAY_` ...), for HTTP services.
    http_port_setting: str | None = None
    # When not `name`: the program it runs (`python -m runtime <program>`, whose NATS micro
    # service answers the PING) and its NATS user. One program runs as two processes, each in
    # its role (`own_env`): realtime's edge and router.
    program: str | None = None
    nats_user: str | None = None
    own_env: tuple[tuple[str, str], ...] = ()
    # The setting of its metrics port when the program's default would clash with another
    # process of the stack (the realtime router beside the edge).
    metrics_port_setting: str | None = None


# The whole stack, in start order: adding a service is one row here (and its own folder).
# The gateway comes last: it seeds the demo users through the others.
SERVICES = (
    Service("bookings", database=True, ready=Ready.nats_ping),
    Service("trainers", database=True, ready=Ready.nats_ping),
    Service("notifications", database=True, ready=Ready.nats_ping),
    Service(
        "realtime-router",
        database=False,
        ready=Ready.nats_ping,
        program="realtime",
        own_env=(("REALTIME_ROLE", "router"),),
        metrics_port_setting="realtime_router_metrics_port",
    ),
    Service(
        "realtime",
        database=False,
        ready=Ready.http,
        http_port_setting="realtime_port",
        nats_user="realtime-edge",
        own_env=(("REALTIME_ROLE", "edge"),),
    ),
    Service("gateway", database=True, ready=Ready.http, http_port_setting="gateway_port"),
)


def nats_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    return str(beside) if beside.exists() else "nats-server"


def service_argv(name: str, *command: str) -> list[str]:
    """Every service runs through the one entry point, `python -m runtime <name>`."""
    return [sys.executable, "-m", "runtime", name, *command]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


class Stack:
    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.data = settings.data_dir.resolve()
        self.nats_url = settings.nats_url or f"nats://{settings.host}:{settings.nats_port}"
        self.processes: list[ManagedProcess] = []
        # Each NATS user's password: the stack's own nats-server has them all (generated once,
        # kept in the data folder); a NATS of the environment's (NATS_URL) those the
        # environment gives (NATS_GATEWAY_PASSWORD, ...), none by default.
        self.nats_passwords = (
            dev_passwords(self.data) if settings.nats_url is None else given_passwords(os.environ)
        )

    def env(self) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        env["NATS_URL"] = self.nats_url
        for service in SERVICES:
            prefix = service.name.upper()
            if service.database:
                env.setdefault(f"{prefix}_DATABASE_URL", f"sqlite:///{self.data / service.name}.db")
            if service.http_port_setting:
                env[f"{prefix}_HOST"] = s.host
                env[f"{prefix}_PORT"] = str(self.http_port(service))
        env["GATEWAY_SEED_DEMO_USERS"] = "true" if seeds_demo_users(s) else "false"
        # One realtime instance here, nowhere for its clients to move to: a short drain keeps its
        # stop inside the 10 s each process gets (docs/architecture.md, "Draining").
        env.setdefault("REALTIME_DRAIN_SECONDS", "1")
        return env

    def http_port(self, service: Service) -> int:
        assert service.http_port_setting is not None
        port: int = getattr(self.settings, service.http_port_setting)
        return port

    def nats_login(self, user: str) -> dict[str, str]:
        """NATS_USER/NATS_PASSWORD for a process that logs in as `user` (deploy/devstack
        nats_auth.py: `gateway`, `realtime-edge`, ...); nothing for a NATS without that user."""
        if user not in self.nats_passwords:
            return {}
        return {"NATS_USER": user, "NATS_PASSWORD": self.nats_passwords[user]}

    def process_env(self, name: str) -> dict[str, str]:
        """The environment of process `name`: the stack's, and its own NATS login."""
        return self.env() | self.nats_login(name)

    def service_env(self, service: Service) -> dict[str, str]:
        env = self.process_env(service.nats_user or service.name) | dict(service.own_env)
        if service.metrics_port_setting:
            program = (service.program or service.name).upper()
            env[f"{program}_METRICS_PORT"] = str(
                getattr(self.settings, service.metrics_port_setting)
            )
        return env

    async def ready(self, service: Service) -> None:
        timeout = self.settings.ready_timeout_seconds
        if service.ready is Ready.nats_ping:
            await nats_service_ready(
                self.nats_url, service.program or service.name, timeout, self.nats_login("devstack")
            )
        else:
            url = f"http://{self.settings.host}:{self.http_port(service)}/readyz"
            await http_ready(url, timeout)

    async def migrate(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        await asyncio.gather(
            *(
                run_once(f"{s.name} migrate", service_argv(s.name, "migrate"), self.env())
                for s in SERVICES
                if s.database
            )
        )

    async def _start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        run = self.data / "run"
        run.mkdir(parents=True, exist_ok=True)
        env = env or self.process_env(name)
        process = ManagedProcess(name, argv, env, pid_file=run / f"{name}.pid")
        self.processes.append(process)
        await process.start()

    async def _start_service(self, service: Service) -> None:
        argv = service_argv(service.program or service.name)
        await self._start(service.name, argv, self.service_env(service))

    async def up(self) -> None:
        s = self.settings
        self.data.mkdir(parents=True, exist_ok=True)
        if s.nats_url is None:
            if port_in_use(s.host, s.nats_port):
                raise RuntimeError(
                    f"port {s.nats_port} is taken: set NATS_URL to use that server, "
                    "or CAMS_NATS_PORT to start ours elsewhere"
                )
            config = self.data / "nats-server.conf"
            write_dev_server_config(
                config,
                dev_server_config(
                    s.host, s.nats_port, self.data / "jetstream", self.nats_passwords
                ),
            )
            await self._start(
                "nats-server",
                [nats_binary(), "-c", str(config), "-l", str(self.data / "nats-server.log")],
            )
        await self.migrate()
        *others, last = SERVICES
        for service in others:
            await self._start_service(service)
        await asyncio.gather(*(self.ready(service) for service in others))
        await self._start_service(last)
        await self.ready(last)

    async def down(self) -> None:
        for process in reversed(self.processes):
            await process.stop()

    def _dev_credentials(self) -> list[str]:
        return [
            "  Pusher app id cams, key local-dev-key, secret local-dev-secret",
            "  Demo users admin@cams.test, parent@cams.test, trainer@cams.test "
            "(password: 'password' unless GATEWAY_DEV_PASSWORD says otherwise)",
        ]

    def banner(self) -> str:
        s = self.settings
        return "\n".join(
            [
                "CAMS Live is up.",
                f"  REST       http://{s.host}:{s.gateway_port}/api/v1   (OpenAPI: /openapi.json)",
                f"  WebSocket  ws://{s.host}:{s.realtime_port}/app/local-dev-key?protocol=7",
                f"  NATS       {self.nats_url}"
                + (f"   (users: {self.data / CREDENTIALS_FILE})" if self.nats_passwords else ""),
                *([] if is_production(s) else self._dev_credentials()),
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
