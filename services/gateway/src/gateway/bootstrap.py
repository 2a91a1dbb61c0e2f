"""Composition root of the gateway: NATS, database, outbox relay, the app, and its server."""

import uvicorn

from messaging.runtime import Running
from messaging.wiring import wire

from gateway.app import create_app
from gateway.seed import seed_demo_users
from gateway.settings import GatewaySettings
from gateway.state import GatewayState


async def bootstrap(settings: GatewaySettings) -> Running:
    running = Running("gateway")
    wired = await wire(running, settings.nats_url, settings.database_url)
    state = GatewayState(settings=settings, nc=wired.nc, uow=wired.uow)
    if settings.seed_demo_users:
        await seed_demo_users(state)
    server = uvicorn.Server(uvicorn.Config(
        create_app(state), host=settings.host, port=settings.port, log_level="warning",
        lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # run_service owns signals
    running.spawn(server.serve(), "http")

    async def stop_server() -> None:
        server.should_exit = True

    running.closers.insert(0, stop_server)
    return running
