"""Unit tier: the notifications handlers and consumers on a fake unit of work. No I/O at all:
the testkit plugin fails any unit test that connects or listens on a socket."""

from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from contracts.envelope import Actor, Event, Reply, Request, Role
from contracts.identity import UserCreated
from notifications.bootstrap import handlers
from notifications.consumers.dispatcher import dispatch
from notifications.consumers.feed import record
from notifications.consumers.identity import on_user_created

from .fakes import FakeDatabase, FakeUnitOfWork

PARENT = Actor(user_id=10, role=Role.parent, name="Pat Parent")
OTHER_PARENT = Actor(user_id=11, role=Role.parent, name="Olive Other")
TRAINER = Actor(user_id=20, role=Role.trainer, name="Tom Trainer")
OTHER_TRAINER = Actor(user_id=21, role=Role.trainer, name="Olga Other")
ADMIN = Actor(user_id=1, role=Role.admin, name="Ada Admin")
OTHER_ADMIN = Actor(user_id=2, role=Role.admin, name="Abe Admin")

Send = Callable[[Request[Any]], Awaitable[Any]]
Deliver = Callable[[Event], Awaitable[None]]


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def send(database: FakeDatabase) -> Send:
    """Answer a request as the service would, through the handlers its bootstrap binds."""
    table = handlers(lambda: FakeUnitOfWork(database))

    async def answer(command: Request[Any]) -> Reply:
        return await table[type(command)](command)

    return cast(Send, answer)


def _deliverer(database: FakeDatabase, handler: Callable[[Event, Any], Awaitable[None]]) -> Deliver:
    """Hand an event over as `exactly_once` does: in an entered unit of work it commits."""

    async def handle(event: Event) -> None:
        async with FakeUnitOfWork(database) as uow:
            await handler(event, uow)
            await uow.commit()

    return handle


@pytest.fixture
def deliver(database: FakeDatabase) -> Deliver:
    """The dispatcher."""
    return _deliverer(database, dispatch)


@pytest.fixture
def feed(database: FakeDatabase) -> Deliver:
    return _deliverer(database, record)


def user_created(actor: Actor) -> UserCreated:
    return UserCreated(
        user_id=actor.user_id,
        email=f"u{actor.user_id}@example.com",
        name=actor.name,
        role=actor.role,
    )


@pytest.fixture
async def directory(database: FakeDatabase) -> None:
    """Every user above, known from identity's events."""
    add = _deliverer(database, on_user_created)
    for actor in (PARENT, OTHER_PARENT, TRAINER, OTHER_TRAINER, ADMIN, OTHER_ADMIN):
        await add(user_created(actor))
