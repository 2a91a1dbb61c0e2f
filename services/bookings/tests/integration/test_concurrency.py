"""Integration: two admins assigning at once end with one assignment and one clear conflict,
on SQLite and PostgreSQL.

Two instances of the service (each its own engine and connection pool) share one database;
the trainers service holds its answers until both questions have arrived, so both assignments
have read the sessions before either writes: the race happens every time, not by luck."""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bookings.adapters.tables import map_aggregates
from bookings.bootstrap import SERVICE, handlers, start
from bookings.unit_of_work import SqlBookingsUnitOfWork
from contracts.bookings import (
    AssignTrainer,
    BookingDetails,
    CreateBooking,
    CreateChild,
    CreateSchedule,
    GetSchedule,
    ScheduleDetails,
    TrainerAssigned,
)
from contracts.envelope import Actor, Reply, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import Assignability
from database.engine import make_engine
from database.outbox import OutboxMessage
from messaging.requests import request
from runtime.service import migrate
from testkit.nats_server import NatsServer

from .conftest import (
    ADMIN,
    OTHER_TRAINER,
    PARENT,
    TESS,
    TOM,
    TRAINER,
    events_after,
    settings,
    typed,
)
from .steps import DAY, at, book, plan
from .trainers_stub import StubTrainers

Send = Callable[[Request[Any]], Awaitable[Any]]
NAMES = {TOM: TRAINER, TESS: OTHER_TRAINER}


class HeldTrainers:
    """Answers every trainer as assignable, but only once `expected` questions are open."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.asked = 0
        self._all_here = asyncio.Event()

    async def assignable(
        self, trainer_id: int, date: dt.date, start: dt.time, end: dt.time, actor: Actor
    ) -> Assignability:
        self.asked += 1
        if self.asked >= self.expected:
            self._all_here.set()
        await asyncio.wait_for(self._all_here.wait(), 10)
        user = NAMES[trainer_id]
        return Assignability(
            trainer_id=trainer_id,
            assignable=True,
            trainer_user_id=user.user_id,
            trainer_name=user.name,
        )


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[list[AsyncEngine]]:
    await migrate(SERVICE, database_url)
    map_aggregates()
    engines = [make_engine(database_url), make_engine(database_url)]
    yield engines
    for engine in engines:
        await engine.dispose()


def instance(engine: AsyncEngine, trainers: HeldTrainers) -> Send:
    """One instance of the service's handlers, on its own engine."""
    table = handlers(lambda: SqlBookingsUnitOfWork(engine), trainers)

    async def send(command: Request[Any]) -> Reply:
        return await table[type(command)](command)

    return send


async def sessions(send: Send, slots: list[tuple[str, str]], day: dt.date) -> list[int]:
    child = await send(
        CreateChild(
            actor=PARENT, parent_id=PARENT.user_id, name="Ada", date_of_birth=dt.date(2018, 4, 1)
        )
    )
    booking: BookingDetails = await send(CreateBooking(actor=PARENT, child_id=child.id))
    made: list[ScheduleDetails] = [
        await send(
            CreateSchedule(
                actor=PARENT,
                booking_id=booking.id,
                date=day,
                start_time=at(start),
                end_time=at(end),
                location="Pool",
            )
        )
        for start, end in slots
    ]
    return [session.id for session in made]


async def race(*attempts: Awaitable[Any]) -> tuple[list[Any], list[ServiceError]]:
    outcomes = await asyncio.gather(*attempts, return_exceptions=True)
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, ServiceError)]
    assert len(won) + len(lost) == len(outcomes), outcomes  # nothing else went wrong
    return won, lost


async def assignments_recorded(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        rows = await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.subject) == TrainerAssigned.subject)
        )
        return len(rows.all())


ROUNDS = 3


async def test_one_trainer_to_two_overlapping_sessions_at_once(
    engines: list[AsyncEngine],
) -> None:
    for round in range(ROUNDS):
        trainers = HeldTrainers(expected=2)
        one, other = instance(engines[0], trainers), instance(engines[1], trainers)
        day = DAY + dt.timedelta(days=round)
        first, second = await sessions(one, [("09:00", "10:00"), ("09:30", "10:30")], day)

        won, lost = await race(
            one(AssignTrainer(actor=ADMIN, schedule_id=first, trainer_id=TOM)),
            other(AssignTrainer(actor=ADMIN, schedule_id=second, trainer_id=TOM)),
        )

        assert trainers.asked == 2, "both were in flight at once"
        [winner], [loser] = won, lost
        assert loser.code is ErrorCode.conflict
        loser_id = second if winner.id == first else first
        assert loser.message.startswith(f"Tom Trainer already has session {winner.id} on ")
        stored = [
            await one(GetSchedule(actor=ADMIN, schedule_id=id)) for id in (winner.id, loser_id)
        ]
        assert [s.trainer_id for s in stored] == [TOM, None]
    assert await assignments_recorded(engines[0]) == ROUNDS


async def test_two_trainers_to_one_session_at_once(engines: list[AsyncEngine]) -> None:
    for round in range(ROUNDS):
        trainers = HeldTrainers(expected=2)
        one, other = instance(engines[0], trainers), instance(engines[1], trainers)
        [session] = await sessions(one, [("09:00", "10:00")], DAY + dt.timedelta(days=round))

        won, lost = await race(
            one(AssignTrainer(actor=ADMIN, schedule_id=session, trainer_id=TOM)),
            other(AssignTrainer(actor=ADMIN, schedule_id=session, trainer_id=TESS)),
        )

        assert trainers.asked == 2, "both were in flight at once"
        [winner], [loser] = won, lost
        assert (loser.code, loser.message) == (
            ErrorCode.conflict,
            f"session {session} was changed by someone else meanwhile; reload and try again",
        )
        stored = await other(GetSchedule(actor=ADMIN, schedule_id=session))
        assert stored.trainer_id == winner.trainer_id
    assert await assignments_recorded(engines[0]) == ROUNDS


@pytest.fixture
async def two_services(nats_server: NatsServer, database_url: str) -> AsyncIterator[None]:
    """Two instances of the whole service on one database, sharing the requests between them."""
    await migrate(SERVICE, database_url)
    first = await start(settings(nats_server, database_url))
    second = await start(settings(nats_server, database_url))
    yield
    await first.stop()
    await second.stop()


@pytest.mark.usefixtures("two_services")
async def test_two_instances_of_the_service_race_over_nats(
    nc: Client, trainers: StubTrainers
) -> None:
    # NATS gives each request to either instance; an instance answers one request of an
    # endpoint at a time, so when both land on one, the stub stops holding after a while.
    trainers.hold_until, trainers.hold_seconds = 2, 1.0
    booking = await book(nc)
    first = await plan(nc, booking.id, "09:00", "10:00")
    second = await plan(nc, booking.id, "09:15", "09:45")

    won, lost = await race(
        request(nc, AssignTrainer(actor=ADMIN, schedule_id=first.id, trainer_id=TOM)),
        request(nc, AssignTrainer(actor=ADMIN, schedule_id=second.id, trainer_id=TOM)),
        request(nc, AssignTrainer(actor=ADMIN, schedule_id=second.id, trainer_id=TESS)),
    )

    assert len(trainers.asked) == 3
    assert len(won) >= 1 and all(error.code is ErrorCode.conflict for error in lost)
    assigned = [
        await request(nc, GetSchedule(actor=ADMIN, schedule_id=s.id)) for s in (first, second)
    ]
    toms = [s for s in assigned if s.trainer_id == TOM]
    assert len(toms) <= 1, "Tom never has two overlapping sessions"
    js = nc.jetstream()
    events = [typed(msg) for msg in await events_after(js, 4 + len(won))]
    assert len([e for e in events if isinstance(e, TrainerAssigned)]) == len(won)
