"""Integration: the trainer's day under stress, against the REAL bookings service, on SQLite and
PostgreSQL: clock-ins racing on several instances, bookings stopped, and an admin's day of many
sessions answered in one request."""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    ClockIn,
    ClockOut,
    CreateActivityLog,
    DayActivity,
    GetDayActivity,
    SessionActivity,
    TrainerClockedIn,
    UpdateActivityLog,
    UpdateCurrentActivity,
)
from messaging.requests import request
from runtime.process import Running
from testkit.contracts import assert_valid
from testkit.nats_server import NatsServer
from testkit.waiting import eventually
from trainers.adapters.sessions import BOOKINGS_AWAY
from trainers.bootstrap import start
from trainers.settings import TrainersSettings

from .conftest import ADMIN, PARENT, TRAINER, events_after, run_bookings, stream_events, typed
from .day_steps import make_available, new_booking, refused, session_with

pytestmark = pytest.mark.usefixtures("trainers", "bookings")


@pytest.fixture
async def toms(nc: Client, trainer_ids: dict[int, int]) -> int:
    trainer_id = trainer_ids[TRAINER.user_id]
    await make_available(nc, trainer_id)
    return trainer_id


@pytest.fixture
async def more_instances(nats_server: NatsServer, database_url: str) -> AsyncIterator[None]:
    """Two more trainers instances on the same database; the queue group spreads requests."""
    settings = TrainersSettings.model_validate(
        {"nats_url": nats_server.url, "database_url": database_url}
    )
    started: list[Running] = [await start(settings) for _ in range(2)]
    yield
    for running in started:
        await running.stop()


@pytest.mark.usefixtures("more_instances")
async def test_of_two_clock_ins_at_once_one_wins_and_the_other_is_a_conflict(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    booking_id = await new_booking(nc)
    sessions = [
        await session_with(nc, toms, start=dt.time(8 + n), booking_id=booking_id) for n in range(4)
    ]

    for session in sessions:
        outcomes = await asyncio.gather(
            request(nc, ClockIn(actor=TRAINER, schedule_id=session.id)),
            request(nc, ClockIn(actor=ADMIN, schedule_id=session.id)),
            return_exceptions=True,
        )
        won = [o for o in outcomes if not isinstance(o, BaseException)]
        lost = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(won) == 1, outcomes
        [error] = lost
        assert isinstance(error, ServiceError), error
        assert (error.code, error.message) == (
            ErrorCode.conflict,
            f"session {session.id} is already clocked in",
        )

    async def all_clocked_in() -> list[RawStreamMsg]:
        found = [m for m in await stream_events(js) if m.subject == TrainerClockedIn.subject]
        return found if len(found) >= len(sessions) else []

    clocked = []
    for msg in await eventually(all_clocked_in):
        assert_valid(msg.data or b"", msg.subject or "")
        event = typed(msg)
        assert isinstance(event, TrainerClockedIn)
        clocked.append(event.schedule_id)
    assert sorted(clocked) == [s.id for s in sessions], "one clock-in event per session"


@pytest.mark.usefixtures("more_instances")
async def test_of_two_clock_outs_at_once_one_wins(nc: Client, toms: int) -> None:
    session = await session_with(nc, toms)
    await request(nc, ClockIn(actor=TRAINER, schedule_id=session.id))

    outcomes = await asyncio.gather(
        *(request(nc, ClockOut(actor=a, schedule_id=session.id)) for a in (TRAINER, ADMIN) * 2),
        return_exceptions=True,
    )

    won = [o for o in outcomes if isinstance(o, SessionActivity)]
    lost = [o for o in outcomes if isinstance(o, ServiceError)]
    assert (len(won), len(lost)) == (1, 3), outcomes
    assert {e.message for e in lost} == {f"session {session.id} is already clocked out"}
    day = await request(nc, GetDayActivity(actor=ADMIN, schedule_ids=[session.id]))
    assert day.items[0].clocked_out_at == won[0].clocked_out_at


async def test_bookings_stopped_is_unavailable_and_nothing_is_written(
    nc: Client,
    js: JetStreamContext,
    toms: int,
    bookings: Running,
    nats_server: NatsServer,
    bookings_url: str,
) -> None:
    clocked = await session_with(nc, toms)
    waiting = await session_with(nc, toms, start=dt.time(11))
    await request(nc, ClockIn(actor=TRAINER, schedule_id=clocked.id))
    log = await request(nc, CreateActivityLog(actor=TRAINER, schedule_id=clocked.id, activity="a"))
    before = await request(nc, GetDayActivity(actor=ADMIN, schedule_ids=[clocked.id, waiting.id]))
    # Tom's availability, the clock-in and the log, all published before bookings stops.
    events_before = len(await events_after(js, 3))
    assert events_before == 3

    await bookings.stop()

    for command in (
        ClockIn(actor=TRAINER, schedule_id=waiting.id),
        UpdateCurrentActivity(actor=TRAINER, schedule_id=clocked.id, activity="Diving"),
        CreateActivityLog(actor=TRAINER, schedule_id=clocked.id, activity="b"),
        UpdateActivityLog(actor=TRAINER, activity_log_id=log.id, activity="changed"),
    ):
        error = await refused(nc, command)
        assert (error.code, error.message) == (ErrorCode.unavailable, BOOKINGS_AWAY), command

    # The admin's day needs no answer from bookings: it still shows nothing changed.
    after = await request(nc, GetDayActivity(actor=ADMIN, schedule_ids=[clocked.id, waiting.id]))
    assert after == before
    assert [item.schedule_id for item in after.items] == [clocked.id]
    assert after.items[0].current_activity is None

    # Bookings back: the clock-in works, and its event is the only one since (the relay
    # publishes in commit order, so a refused change that had committed would show first).
    again = await run_bookings(nats_server, bookings_url)
    try:
        await request(nc, ClockIn(actor=TRAINER, schedule_id=waiting.id))
        since = (await events_after(js, events_before + 1))[events_before:]
    finally:
        await again.stop()
    [event] = [typed(msg) for msg in since]
    assert isinstance(event, TrainerClockedIn) and event.schedule_id == waiting.id


async def test_an_admins_day_of_many_sessions_is_one_request(nc: Client, toms: int) -> None:
    booking_id = await new_booking(nc)
    # Tom's sessions back to back, a quarter of an hour each, from 06:00.
    sessions = [
        await session_with(
            nc,
            toms,
            start=(dt.datetime(2000, 1, 1, 6) + dt.timedelta(minutes=15 * n)).time(),
            minutes=15,
            booking_id=booking_id,
        )
        for n in range(40)
    ]
    clocked = [s.id for s in sessions[::2]]
    for schedule_id in clocked:
        await request(nc, ClockIn(actor=TRAINER, schedule_id=schedule_id))
    await request(nc, UpdateCurrentActivity(actor=TRAINER, schedule_id=clocked[3], activity="Go"))

    day: DayActivity = await request(
        nc, GetDayActivity(actor=ADMIN, schedule_ids=[s.id for s in sessions] + [999_999])
    )

    assert [item.schedule_id for item in day.items] == clocked
    assert all(item.trainer_id == toms and item.clocked_in_at for item in day.items)
    assert all(item.activity_logs == [] for item in day.items)
    [moving] = [item for item in day.items if item.current_activity is not None]
    assert moving.schedule_id == clocked[3]
    for actor in (PARENT, TRAINER):
        error = await refused(nc, GetDayActivity(actor=actor, schedule_ids=clocked))
        assert error.code is ErrorCode.forbidden
