"""Integration: assigning trainers against the REAL trainers service (its own database of the
same kind), on SQLite and PostgreSQL: availability, approved absences, a missing trainer, the
trainer's other sessions, and the trainers service stopped."""

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.bookings import (
    AssignTrainer,
    GetSchedule,
    ScheduleDetails,
    TrainerAssigned,
    UpdateSchedule,
)
from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from contracts.identity import UserCreated
from contracts.trainers import (
    AbsenceStatus,
    DecideAbsenceRequest,
    GetMyTrainerProfile,
    ReplaceAvailability,
    RequestAbsence,
)
from messaging.codec import encode
from messaging.requests import request
from runtime.process import Running
from runtime.service import migrate
from testkit.conftest_plugin import DatabaseFor
from testkit.contracts import assert_valid
from testkit.nats_server import NatsServer
from testkit.waiting import eventually
from trainers.bootstrap import SERVICE as TRAINERS
from trainers.bootstrap import start as start_trainers
from trainers.settings import TrainersSettings

from .conftest import ADMIN, OTHER_TRAINER, PARENT, TRAINER, events_after, typed
from .steps import DAY, at, book, plan, refused

pytestmark = pytest.mark.usefixtures("bookings")

NEXT_DAY = DAY + dt.timedelta(days=1)


@pytest.fixture
async def trainers_service(
    nats_server: NatsServer, database_for: DatabaseFor
) -> AsyncIterator[Running]:
    url = await database_for("trainers")
    await migrate(TRAINERS, url)
    running = await start_trainers(
        TrainersSettings.model_validate({"nats_url": nats_server.url, "database_url": url})
    )
    yield running
    await running.stop()


async def profile_id(nc: Client, js: JetStreamContext, user: Actor) -> int:
    """Announce a trainer user as identity does, and wait for trainers to make their profile."""
    event = UserCreated(
        user_id=user.user_id,
        email=f"user{user.user_id}@example.com",
        name=user.name,
        role=user.role,
    )
    await js.publish(event.subject, encode(event), headers={"Nats-Msg-Id": str(event.event_id)})

    async def profile() -> int | None:
        try:
            return (await request(nc, GetMyTrainerProfile(actor=user))).id
        except ServiceError:
            return None

    found: int = await eventually(profile)
    return found


@pytest.fixture
async def tom(nc: Client, js: JetStreamContext, trainers_service: Running) -> int:
    """Tom's trainer profile id; Tom is available on DAY and NEXT_DAY."""
    trainer_id = await profile_id(nc, js, TRAINER)
    await request(
        nc, ReplaceAvailability(actor=ADMIN, trainer_id=trainer_id, dates=[DAY, NEXT_DAY])
    )
    return trainer_id


async def session(nc: Client, start: str = "09:00", end: str = "10:00") -> ScheduleDetails:
    return await plan(nc, (await book(nc)).id, start, end)


async def unchanged(nc: Client, before: ScheduleDetails) -> None:
    after = await request(nc, GetSchedule(actor=ADMIN, schedule_id=before.id))
    assert after == before


async def test_an_available_trainer_is_assigned_as_trainers_names_them(
    nc: Client, js: JetStreamContext, tom: int
) -> None:
    planned = await session(nc)

    assigned = await request(nc, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=tom))

    assert (assigned.trainer_id, assigned.trainer_user_id, assigned.trainer_name) == (
        tom,
        TRAINER.user_id,
        TRAINER.name,
    )
    seen = await request(nc, GetSchedule(actor=TRAINER, schedule_id=planned.id))
    assert seen.trainer_user_id == TRAINER.user_id
    [msg] = [m for m in await events_after(js, 4) if m.subject == TrainerAssigned.subject]
    assert_valid(msg.data or b"", msg.subject or "")
    event = typed(msg)
    assert isinstance(event, TrainerAssigned)
    assert (event.trainer_id, event.trainer_user_id, event.session_date, event.parent_id) == (
        tom,
        TRAINER.user_id,
        DAY,
        PARENT.user_id,
    )
    assert (event.trainer_name, event.child_name, event.start_time) == (
        TRAINER.name,
        planned.child_name,
        planned.start_time,
    )


async def test_a_trainer_not_available_that_day_is_a_conflict_with_trainers_reason(
    nc: Client, tom: int
) -> None:
    booking = await book(nc)
    planned = await plan(nc, booking.id, day=DAY + dt.timedelta(days=5))

    error = await refused(nc, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=tom))

    assert error.code is ErrorCode.conflict
    assert error.message == (
        f"Tom Trainer is not available on {(DAY + dt.timedelta(days=5)).isoformat()}"
    )
    await unchanged(nc, planned)


async def test_a_trainer_with_an_approved_absence_is_a_conflict(nc: Client, tom: int) -> None:
    planned = await session(nc)
    asked = await request(
        nc,
        RequestAbsence(
            actor=TRAINER, trainer_id=tom, start_date=DAY, end_date=DAY, reason="dentist"
        ),
    )
    await request(
        nc,
        DecideAbsenceRequest(
            actor=ADMIN, absence_request_id=asked.id, status=AbsenceStatus.approved
        ),
    )

    error = await refused(nc, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=tom))

    assert error.code is ErrorCode.conflict and "approved absence" in error.message
    await unchanged(nc, planned)


async def test_a_trainer_that_does_not_exist_is_a_conflict(nc: Client, tom: int) -> None:
    planned = await session(nc)
    error = await refused(
        nc, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=tom + 1000)
    )
    assert (error.code, error.message) == (ErrorCode.conflict, f"there is no trainer {tom + 1000}")
    await unchanged(nc, planned)


async def test_the_trainers_other_sessions_still_count(
    nc: Client, js: JetStreamContext, tom: int
) -> None:
    tess = await profile_id(nc, js, OTHER_TRAINER)
    await request(nc, ReplaceAvailability(actor=ADMIN, trainer_id=tess, dates=[DAY]))
    busy = await session(nc, "09:00", "10:00")
    await request(nc, AssignTrainer(actor=ADMIN, schedule_id=busy.id, trainer_id=tom))
    clashing = await session(nc, "09:45", "10:15")

    error = await refused(nc, AssignTrainer(actor=ADMIN, schedule_id=clashing.id, trainer_id=tom))

    assert error.message == (
        f"Tom Trainer already has session {busy.id} on {DAY.isoformat()} from 09:00 to 10:00"
    )
    other = await request(nc, AssignTrainer(actor=ADMIN, schedule_id=clashing.id, trainer_id=tess))
    assert other.trainer_name == OTHER_TRAINER.name
    touching = await session(nc, "10:00", "11:00")
    assigned = await request(
        nc, AssignTrainer(actor=ADMIN, schedule_id=touching.id, trainer_id=tom)
    )
    assert assigned.trainer_id == tom
    error = await refused(
        nc, UpdateSchedule(actor=ADMIN, schedule_id=touching.id, start_time=at("09:59"))
    )
    assert error.code is ErrorCode.conflict and f"session {busy.id}" in error.message


async def test_moving_an_assigned_session_asks_trainers_again(nc: Client, tom: int) -> None:
    planned = await session(nc)
    await request(nc, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=tom))

    moved = await request(nc, UpdateSchedule(actor=ADMIN, schedule_id=planned.id, date=NEXT_DAY))
    assert moved.date == NEXT_DAY

    later = NEXT_DAY + dt.timedelta(days=3)
    error = await refused(nc, UpdateSchedule(actor=ADMIN, schedule_id=planned.id, date=later))
    assert error.code is ErrorCode.conflict and "not available" in error.message
    await unchanged(nc, moved)


async def test_trainers_stopped_is_unavailable_and_nothing_changes(
    nc: Client, tom: int, trainers_service: Running
) -> None:
    planned = await session(nc)
    assigned = await session(nc, "11:00", "12:00")
    await request(nc, AssignTrainer(actor=ADMIN, schedule_id=assigned.id, trainer_id=tom))
    assigned = await request(nc, GetSchedule(actor=ADMIN, schedule_id=assigned.id))

    await trainers_service.stop()

    error = await refused(nc, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=tom))
    assert error.code is ErrorCode.unavailable
    assert "trainers service is unavailable" in error.message
    assert "nothing was changed" in error.message
    await unchanged(nc, planned)
    error = await refused(nc, UpdateSchedule(actor=ADMIN, schedule_id=assigned.id, date=NEXT_DAY))
    assert error.code is ErrorCode.unavailable
    await unchanged(nc, assigned)
