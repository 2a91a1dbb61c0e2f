"""Unit tier: the trainers handlers and consumer on a fake unit of work, a fake bookings and a
fixed clock. No I/O at all: the testkit plugin fails any unit test that connects or listens on
a socket."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from contracts.bookings import ScheduleDetails, ScheduleStatus
from contracts.envelope import Actor, Reply, Request, Role
from contracts.identity import UserCreated
from trainers.bootstrap import handlers
from trainers.clock import BusinessClock
from trainers.consumers.identity import on_user_created

from .fakes import FakeDatabase, FakeSessionDirectory, FakeUnitOfWork

PARENT = Actor(user_id=10, role=Role.parent, name="Pat Parent")
OTHER_PARENT = Actor(user_id=11, role=Role.parent, name="Olive Other")
TRAINER = Actor(user_id=20, role=Role.trainer, name="Tom Trainer")
OTHER_TRAINER = Actor(user_id=21, role=Role.trainer, name="Olga Other")
ADMIN = Actor(user_id=1, role=Role.admin, name="Ada Admin")

# Small limits, so that the tests can cross them.
MAX_DATES = 5
SESSION_LOGS = 3

# The business day is New York's: at 03:00 UTC on 2 December it is still 1 December there.
ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
# Trainer profile ids, as bookings recorded them at assignment.
PROFILE_IDS = {TRAINER.user_id: 7, OTHER_TRAINER.user_id: 8}
SESSION = 1


@dataclass
class FixedClock:
    """The instant the service takes for now; a test moves it."""

    at: datetime = NOW

    def now(self) -> datetime:
        return self.at


def scheduled(
    schedule_id: int = SESSION,
    day: date = TODAY,
    status: ScheduleStatus = ScheduleStatus.scheduled,
    trainer: Actor | None = TRAINER,
    parent: Actor = PARENT,
) -> ScheduleDetails:
    """A session as bookings answers it."""
    return ScheduleDetails(
        id=schedule_id,
        booking_id=1,
        child_id=1,
        child_name="Ada",
        parent_id=parent.user_id,
        date=day,
        start_time=time(9),
        end_time=time(10),
        location="Pool",
        status=status,
        trainer_id=PROFILE_IDS[trainer.user_id] if trainer else None,
        trainer_user_id=trainer.user_id if trainer else None,
        trainer_name=trainer.name if trainer else None,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def sessions() -> FakeSessionDirectory:
    """Bookings, knowing session SESSION: today's, Pat's child with Tom."""
    directory = FakeSessionDirectory()
    directory.add(scheduled())
    return directory


Send = Callable[[Request[Any]], Awaitable[Any]]
Deliver = Callable[[UserCreated], Awaitable[None]]


@pytest.fixture
def send(database: FakeDatabase, sessions: FakeSessionDirectory, clock: FixedClock) -> Send:
    """Answer a request as the service would, through the handlers its bootstrap binds."""
    table = handlers(
        lambda: FakeUnitOfWork(database),
        sessions,
        max_availability_dates=MAX_DATES,
        clock=BusinessClock(ZONE, clock.now),
        session_activity_logs=SESSION_LOGS,
    )

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
