"""Unit tier: the trainers handlers and consumer on a fake unit of work. No I/O at all: the
testkit plugin fails any unit test that connects or listens on a socket."""

from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from contracts.envelope import Actor, Reply, Request, Role
from contracts.identity import UserCreated
from trainers.bootstrap import handlers
from trainers.consumers.identity import on_user_created

from .fakes import FakeDatabase, FakeUnitOfWork

PARENT = Actor(user_id=10, role=Role.parent, name="Pat Parent")
TRAINER = Actor(user_id=20, role=Role.trainer, name="Tom Trainer")
OTHER_TRAINER = Actor(user_id=21, role=Role.trainer, name="Olga Other")
ADMIN = Actor(user_id=1, role=Role.admin, name="Ada Admin")

# A small limit, so that the tests can cross it.
MAX_DATES = 5


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


Send = Callable[[Request[Any]], Awaitable[Any]]
Deliver = Callable[[UserCreated], Awaitable[None]]


@pytest.fixture
def send(database: FakeDatabase) -> Send:
    """Answer a request as the service would, through the handlers its bootstrap binds."""
    table = handlers(lambda: FakeUnitOfWork(database), max_availability_dates=MAX_DATES)

    async def answer(command: Request[Any]) -> Reply:
        return await table[type(command)](command)

    return cast(Send, answer)


@pytest.fixture
def deliver(database: FakeDatabase) -> Deliver:
    """Hand an event to the consumer as `exactly_once` does: in an entered unit of work that it
    commits afterwards (the inbox itself is tested with the database)."""

    async def handle(event: UserCreated) -> None:
        async with FakeUnitOfWork(database) as uow:
            await on_user_created(event, uow)
            await uow.commit()

    return handle


def user_created(actor: Actor, email: str | None = None) -> UserCreated:
    return UserCreated(
        user_id=actor.user_id,
        email=email or f"user{actor.user_id}@example.com",
        name=actor.name,
        role=actor.role,
    )


@pytest.fixture
async def trainer_ids(deliver: Deliver, database: FakeDatabase) -> dict[int, int]:
    """Profiles for TRAINER and OTHER_TRAINER; their trainer ids by user id."""
    for actor in (TRAINER, OTHER_TRAINER):
        await deliver(user_created(actor))
    return {t.user_id: t.id for t in database.trainers.values() if t.id is not None}
