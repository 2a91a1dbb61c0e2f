"""Pytest fixtures every tier shares, and the tiers themselves; enabled by the root conftest.

A test's tier follows from where it lives: `tests/unit/` folders are `unit` (no I/O: connecting
or listening on a socket fails the test), `tests/e2e` is `e2e`, everything else `integration`.
`./dev test -m unit` runs one tier.
"""

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client

from testkit.nats_server import NatsServer
from testkit.postgres import fresh_database


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.parts
        if "unit" in parts:
            item.add_marker(pytest.mark.unit)
        elif "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
        else:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _unit_tests_have_no_network(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.get_closest_marker("unit") is None:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a unit test tried to use a network socket")

    # Connecting or listening is I/O; the event loop's own socketpair is not.
    for method in ("connect", "connect_ex", "bind"):
        monkeypatch.setattr(socket.socket, method, refuse)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    with NatsServer(tmp_path / "jetstream") as server:
        yield server


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[Client]:
    client = await nats.connect(nats_server.url)
    yield client
    await client.drain()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test that takes this runs on both databases."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    async with fresh_database() as url:
        yield url


DatabaseFor = Callable[[str], Awaitable[str]]


@pytest.fixture
async def database_for(database_url: str, tmp_path: Path) -> AsyncIterator[DatabaseFor]:
    """For tests that run several services: `await database_for("trainers")` is that service's
    own database, of the same kind as `database_url` (each service owns its database)."""
    async with AsyncExitStack() as stack:

        async def new(service: str) -> str:
            if database_url.startswith("sqlite"):
                return f"sqlite:///{tmp_path / service}.db"
            return await stack.enter_async_context(fresh_database())

        yield new
