"""Composition root of the gateway: NATS, database, outbox relay, the app, and its server."""

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from nats.aio.client import Client
from starlette.types import ASGIApp

from contracts.identity import IDENTITY_EVENTS
from gateway.adapters.repositories import SqlUserDirectory
from gateway.app import create_app
from gateway.limits.attempts import (
    AttemptLimits,
    Attempts,
    LocalAttempts,
    SharedAttempts,
    SharedBucket,
)
from gateway.limits.auth_guard import AuthGuard
from gateway.limits.head_size import head_size_limited
from gateway.metrics_listener import bind, metrics_app
from gateway.models import TABLES
from gateway.seed import seed_demo_day, seed_demo_users
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from gateway.unit_of_work import SqlGatewayUnitOfWork, UnitOfWork
from runtime.process import Running
from runtime.service import Schema, ServiceDefinition
from runtime.wiring import connect_nats, open_database

# The streams it publishes into, whose limits its start keeps up to date (the others it only
# creates when missing; its NATS user may update no other).
KEEPS = (IDENTITY_EVENTS,)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside a service whose `run_service` owns the process's signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def start(settings: GatewaySettings) -> Running:
    metrics_socket = (
        bind(settings.metrics_host, settings.metrics_port) if settings.metrics_port else None
    )
    running = Running("gateway")
    nats = await connect_nats(running, settings.nats_url, keeps=KEEPS)
    database = open_database(running, settings.database_url, nats.js)

    def new_uow() -> UnitOfWork:
        return SqlGatewayUnitOfWork(database.engine, after_commit=database.relay.committed)

    state = GatewayState(
        settings=settings,
        nc=nats.nc,
        new_uow=new_uow,
        directory=SqlUserDirectory(database.engine),
        auth_guard=AuthGuard(settings, attempts(settings, nats.nc)),
    )
    if settings.seed_demo_users:
        await seed_demo_users(state)
        running.run_once(seed_demo_day(state), "demo-day")
    _serve(running, "http", _config(create_app(state), settings, port=settings.port))
    if metrics_socket is not None:
        _serve(running, "metrics", _config(metrics_app(), settings), [metrics_socket])
    return running


def attempts(settings: GatewaySettings, nc: Client) -> Attempts:
    """Sign-in attempts counted across the replicas in NATS, or in this process only."""
    limits = AttemptLimits(
        settings.auth_attempts_per_address,
        settings.auth_attempts_per_email,
        settings.auth_attempts_window_seconds,
    )
    local = LocalAttempts(limits, settings.auth_tracked_keys)
    if not settings.auth_attempts_shared:
        return local
    bucket = SharedBucket(
        settings.auth_attempts_bucket,
        settings.auth_attempts_bucket_max_bytes,
        settings.auth_attempts_replicas,
    )
    timeout = settings.auth_attempts_timeout_seconds
    return SharedAttempts(
        nc.jetstream(), limits, bucket, local, timeout, connected=lambda: nc.is_connected
    )


def _config(app: ASGIApp, settings: GatewaySettings, port: int = 0) -> uvicorn.Config:
    trusted = settings.trusted_proxies
    return uvicorn.Config(
        app,
        host=settings.host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        # The loop is the process's (uvloop, `runtime.__main__`); httptools parses HTTP in C.
        loop="uvloop",
        http=head_size_limited(settings.max_header_bytes),
        # X-Forwarded-For names the client only when its sender is a trusted proxy.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


def _serve(
    running: Running,
    name: str,
    config: uvicorn.Config,
    sockets: list[socket.socket] | None = None,
) -> None:
    server = _EmbeddedServer(config)
    running.spawn(server.serve(sockets), name)

    async def stop_server() -> None:
        server.should_exit = True

    running.closers.insert(0, stop_server)


SERVICE = ServiceDefinition(
    name="gateway",
    settings=GatewaySettings,
    start=start,
    database=Schema(TABLES, Path(__file__).parent / "migrations" / "versions"),
)
