"""Fixtures for the Pusher server tests: apps, hub, a started server, auth endpoint, clients."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from realtime.pusher import App, AppRegistry, Hub, RunningServer, ServerConfig, start_server
from testkit.echo import EchoClient
from testkit.pusher_auth import AuthEndpoint

MASTER_KEY = bytes(range(32))


@pytest.fixture
def app() -> App:
    return App("1001", "test-key", "test-secret", MASTER_KEY)


@pytest.fixture
def other_app() -> App:
    return App("2002", "other-key", "other-secret")


@pytest.fixture
def hub(app: App, other_app: App) -> Hub:
    return Hub(AppRegistry([app, other_app]))


@pytest.fixture
def config() -> ServerConfig:
    return ServerConfig()


@pytest.fixture
async def server(hub: Hub, config: ServerConfig) -> AsyncIterator[RunningServer]:
    running = await start_server(hub, config)
    yield running
    await running.close()


@pytest.fixture
async def auth(app: App) -> AsyncIterator[AuthEndpoint]:
    endpoint = AuthEndpoint(app.id, app.key, app.secret, base64.b64encode(MASTER_KEY).decode())
    async with endpoint:
        yield endpoint


ClientFactory = Callable[..., Awaitable[EchoClient]]


@pytest.fixture
async def echo_client() -> AsyncIterator[ClientFactory]:
    """Start real pusher-js + Echo clients; every one is stopped at the end of the test."""
    started: list[EchoClient] = []

    async def start(name: str = "client") -> EchoClient:
        client = await EchoClient.start(name)
        started.append(client)
        return client

    yield start
    for client in started:
        await client.close()
