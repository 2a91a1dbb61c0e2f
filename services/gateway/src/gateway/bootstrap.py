"""Composition root of the gateway: NATS, database, outbox relay, the app, and its server."""

import contextlib
from collections.abc import Iterator

import uvicorn

from gateway.app import create_app
from gateway.seed import seed_demo_users
from gateway.settings import GatewaySettings
from gateway.state import GatewayState
from messaging.runtime import Running
from messaging.wiring import wire


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside a service whose `run_service` owns the process's signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def bootstrap(settings: GatewaySettings) -> Running:
    running = Running("gateway")
    wired = await wire(running, settings.nats_url, settings.database_url)
    state = GatewayState(settings=settings, nc=wired.nc, uow=wired.uow)
    if settings.seed_demo_users:
        await seed_demo_users(state)
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
