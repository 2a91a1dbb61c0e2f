"""Unit tier: the bookings handlers on a fake unit of work. No I/O at all: the testkit plugin
fails any unit test that connects or listens on a socket, so these pass with the network off."""

from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from bookings.bootstrap import handlers
from contracts.envelope import Actor, Reply, Request, Role

from .fakes import FakeDatabase, FakeUnitOfWork

PARENT = Actor(user_id=10, role=Role.parent, name="Pat Parent")
OTHER_PARENT = Actor(user_id=11, role=Role.parent, name="Olive Other")
TRAINER = Actor(user_id=20, role=Role.trainer, name="Tom Trainer")
ADMIN = Actor(user_id=1, role=Role.admin, name="Ada Admin")


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


Send = Callable[[Request[Any]], Awaitable[Any]]


@pytest.fixture
def send(database: FakeDatabase) -> Send:
    """Answer a request as the service would, through the handlers its bootstrap binds."""
    table = handlers(lambda: FakeUnitOfWork(database))

    async def answer(command: Request[Any]) -> Reply:
        return await table[type(command)](command)

    return cast(Send, answer)
