"""Unit tier: the bookings handlers on a fake unit of work and fake ports. No I/O at all: the
testkit plugin fails any unit test that connects or listens on a socket, so these pass with the
network off."""

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, cast

import pytest

from bookings.adapters.payments import DevelopmentProcessor, PaymentProcessor
from bookings.bootstrap import handlers
from contracts.envelope import Actor, Reply, Request, Role

from .fakes import FakeDatabase, FakeTrainerDirectory, FakeUnitOfWork

PARENT = Actor(user_id=10, role=Role.parent, name="Pat Parent")
OTHER_PARENT = Actor(user_id=11, role=Role.parent, name="Olive Other")
TRAINER = Actor(user_id=20, role=Role.trainer, name="Tom Trainer")
OTHER_TRAINER = Actor(user_id=21, role=Role.trainer, name="Tess Trainer")
ADMIN = Actor(user_id=1, role=Role.admin, name="Ada Admin")

# Trainer profile ids, as the trainers service numbers them.
TOM, TESS = 7, 8
DECLINED = Decimal("13.13")
DAY_LIMIT = 3


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def trainers() -> FakeTrainerDirectory:
    directory = FakeTrainerDirectory()
    directory.add(TOM, TRAINER.user_id, TRAINER.name)
    directory.add(TESS, OTHER_TRAINER.user_id, OTHER_TRAINER.name)
    return directory


Send = Callable[[Request[Any]], Awaitable[Any]]


def sender(
    database: FakeDatabase, trainers: FakeTrainerDirectory, processor: PaymentProcessor
) -> Send:
    """Answer a request as the service would, through the handlers its bootstrap binds."""
    table = handlers(
        lambda: FakeUnitOfWork(database), trainers, processor, schedules_of_day_limit=DAY_LIMIT
    )

    async def answer(command: Request[Any]) -> Reply:
        return await table[type(command)](command)

    return cast(Send, answer)


@pytest.fixture
def send(database: FakeDatabase, trainers: FakeTrainerDirectory) -> Send:
    return sender(database, trainers, DevelopmentProcessor([DECLINED]))
