"""Composition root of the gateway: NATS, database, outbox relay, the app, and its server."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from gateway.app import create_app
from gateway.models import TABLES
from gateway.seed import seed_demo_day, seed_demo_users
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from gateway.unit_of_work import SqlGatewayUnitOfWork, UnitOfWork
from runtime.process import Running
from runtime.service import Schema, ServiceDefinition
from runtime.wiring import connect_nats, open_database


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside a service whose `run_service` owns the process's signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def start(settings: GatewaySettings) -> Running:
    running = Running("gateway")
    nats = await connect_nats(running, settings.nats_url)
    database = open_database(running, settings.database_url, nats.js)

    def new_uow() -> UnitOfWork:
        return SqlGatewayUnitOfWork(database.engine, after_commit=database.relay.wake)

    state = GatewayState(settings=settings, nc=nats.nc, new_uow=new_uow)
    if settings.seed_demo_users:
        await seed_demo_users(state)
        running.run_once(seed_demo_day(state), "demo-day")
    config = uvicorn.Config(
        create_app(state),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="off",
    )
    server = _EmbeddedServer(config)
    running.spawn(server.serve(), "http")

    async def stop_server() -> None:
        server.should_exit = True

    running.closers.insert(0, stop_server)
    return running


SERVICE = ServiceDefinition(
    name="gateway",
    settings=GatewaySettings,
    start=start,
    database=Schema(TABLES, Path(__file__).parent / "migrations" / "versions"),
)
