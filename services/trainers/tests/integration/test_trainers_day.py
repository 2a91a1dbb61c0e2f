"""Integration: the trainer's day end to end over NATS, against the REAL bookings service, on
SQLite and PostgreSQL: clock-in, what the trainer is doing, activity logs, clock-out; who may
do what; the rules of order and date; every event checked against its checked-in schema."""

import datetime as dt
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.micro.request import ERROR_HEADER

from contracts.bookings import ScheduleStatus, UpdateSchedule
from contracts.envelope import Request
from contracts.errors import ErrorCode
from contracts.trainers import (
    ActivityLogCreated,
    ActivityLogDetails,
    ActivityLogPage,
    ActivityLogUpdated,
    ClockIn,
    ClockOut,
    CreateActivityLog,
    CurrentActivity,
    CurrentActivityUpdated,
    DayActivity,
    GetDayActivity,
    GetSessionActivity,
    ListActivityLogs,
    SessionActivity,
    SessionActivityEvent,
    TrainerClockedIn,
    TrainerClockedOut,
    UpdateActivityLog,
    UpdateCurrentActivity,
)
from messaging.codec import decode, encode
from messaging.requests import request
from testkit.contracts import assert_valid
from testkit.waiting import eventually

from .conftest import (
    ADMIN,
    OTHER_PARENT,
    OTHER_TRAINER,
    PARENT,
    TRAINER,
    stream_events,
    typed,
)
from .day_steps import make_available, refused, session_with, today

pytestmark = pytest.mark.usefixtures("trainers", "bookings")

CONFLICT, FORBIDDEN, NOT_FOUND = ErrorCode.conflict, ErrorCode.forbidden, ErrorCode.not_found


@pytest.fixture
async def toms(nc: Client, trainer_ids: dict[int, int]) -> int:
    """Tom's trainer profile id; Tom is available today and the next two days."""
    trainer_id = trainer_ids[TRAINER.user_id]
    await make_available(nc, trainer_id)
    return trainer_id


async def exchange(nc: Client, message: Request[Any]) -> bytes:
    """Send a request as `messaging.requests.request` would; check it and its raw reply against
    the checked-in schemas; return the reply."""
    body = encode(message)
    assert_valid(body, message.subject)
    reply = await nc.request(message.subject, body, timeout=5)
    assert ERROR_HEADER not in (reply.headers or {}), reply.data
    assert_valid(reply.data, message.reply.__name__)
    return reply.data


async def day_events(js: JetStreamContext, count: int) -> list[SessionActivityEvent]:
    """The trainer's-day events on TRAINERS_EVENTS, once there are `count` (the outbox relay
    publishes after commit), each valid against its schema."""

    async def enough() -> list[SessionActivityEvent]:
        found = []
        for msg in await stream_events(js):
            event = typed(msg)
            if isinstance(event, SessionActivityEvent):
                assert_valid(msg.data or b"", msg.subject or "")
                found.append(event)
        return found if len(found) >= count else []

    return await eventually(enough)


async def test_a_trainers_day_end_to_end(nc: Client, js: JetStreamContext, toms: int) -> None:
    session = await session_with(nc, toms)
    sid = session.id

    clocked = decode(
        SessionActivity,
        await exchange(nc, ClockIn(actor=TRAINER, schedule_id=sid, location="Gate")),
    )
    doing = decode(
        SessionActivity,
        await exchange(
            nc,
            UpdateCurrentActivity(actor=TRAINER, schedule_id=sid, activity="Warm-up", location="B"),
        ),
    )
    written = decode(
        ActivityLogDetails,
        await exchange(
            nc, CreateActivityLog(actor=TRAINER, schedule_id=sid, activity="Lengths", notes="4")
        ),
    )
    await exchange(nc, CreateActivityLog(actor=TRAINER, schedule_id=sid, activity="Diving"))
    changed = decode(
        ActivityLogDetails,
        await exchange(nc, UpdateActivityLog(actor=TRAINER, activity_log_id=written.id, notes="6")),
    )
    page = decode(
        ActivityLogPage,
        await exchange(nc, ListActivityLogs(actor=PARENT, schedule_id=sid, limit=1)),
    )
    rest = decode(
        ActivityLogPage,
        await exchange(nc, ListActivityLogs(actor=ADMIN, schedule_id=sid, cursor=page.next_cursor)),
    )
    out = decode(SessionActivity, await exchange(nc, ClockOut(actor=TRAINER, schedule_id=sid)))
    seen = decode(
        SessionActivity, await exchange(nc, GetSessionActivity(actor=PARENT, schedule_id=sid))
    )
    day = decode(DayActivity, await exchange(nc, GetDayActivity(actor=ADMIN, schedule_ids=[sid])))

    assert clocked.trainer_id == toms and clocked.clock_in_location == "Gate"
    assert clocked.clocked_in_at is not None
    assert clocked.clocked_in_at.utcoffset() == dt.timedelta(0)
    assert doing.current_activity is not None
    assert (doing.current_activity.activity, doing.current_activity.location) == ("Warm-up", "B")
    assert (changed.activity, changed.notes, changed.trainer_id) == ("Lengths", "6", toms)
    assert [log.activity for log in page.items + rest.items] == ["Diving", "Lengths"]
    assert out.clocked_out_at is not None and out.clocked_out_at >= clocked.clocked_in_at
    assert seen == out
    assert day.items == [out.model_copy(update={"activity_logs": []})]
    assert seen.current_activity == CurrentActivity(
        activity="Warm-up", location="B", at=doing.current_activity.at
    )

    events = await day_events(js, 6)
    kinds = [type(e) for e in events]
    assert kinds == [
        TrainerClockedIn,
        CurrentActivityUpdated,
        ActivityLogCreated,
        ActivityLogCreated,
        ActivityLogUpdated,
        TrainerClockedOut,
    ]
    for event in events:
        assert (event.schedule_id, event.trainer_id) == (sid, toms)
        assert (event.trainer_user_id, event.parent_id) == (TRAINER.user_id, PARENT.user_id)
        assert event.actor == TRAINER
    clocked_in, clocked_out = events[0], events[-1]
    assert isinstance(clocked_in, TrainerClockedIn) and isinstance(clocked_out, TrainerClockedOut)
    assert (clocked_in.at, clocked_out.at) == (clocked.clocked_in_at, out.clocked_out_at)
    created = events[2]
    assert isinstance(created, ActivityLogCreated) and created.activity_log_id == written.id


async def test_who_may_do_what_as_bookings_sees_the_session(nc: Client, toms: int) -> None:
    sid = (await session_with(nc, toms)).id

    assert (await refused(nc, ClockIn(actor=PARENT, schedule_id=sid))).code is FORBIDDEN
    for stranger in (OTHER_PARENT, OTHER_TRAINER):
        error = await refused(nc, ClockIn(actor=stranger, schedule_id=sid))
        assert (error.code, error.message) == (NOT_FOUND, f"session {sid} not found")
        error = await refused(nc, GetSessionActivity(actor=stranger, schedule_id=sid))
        assert error.code is NOT_FOUND
    error = await refused(nc, CreateActivityLog(actor=ADMIN, schedule_id=sid, activity="x"))
    assert error.code is FORBIDDEN, "an admin does not write a trainer's logs"

    await request(nc, ClockIn(actor=ADMIN, schedule_id=sid))
    error = await refused(nc, UpdateCurrentActivity(actor=ADMIN, schedule_id=sid, activity="x"))
    assert error.code is FORBIDDEN
    log = await request(nc, CreateActivityLog(actor=TRAINER, schedule_id=sid, activity="Lengths"))
    for actor, code in ((PARENT, FORBIDDEN), (ADMIN, FORBIDDEN), (OTHER_TRAINER, NOT_FOUND)):
        error = await refused(
            nc, UpdateActivityLog(actor=actor, activity_log_id=log.id, activity="x")
        )
        assert error.code is code, actor
    seen = await request(nc, GetSessionActivity(actor=PARENT, schedule_id=sid))
    assert [entry.activity for entry in seen.activity_logs] == ["Lengths"]


async def test_clock_in_and_out_keep_their_order_and_refusals_change_nothing(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    sid = (await session_with(nc, toms)).id

    error = await refused(nc, ClockOut(actor=TRAINER, schedule_id=sid))
    assert (error.code, error.message) == (CONFLICT, f"session {sid} is not clocked in yet")
    error = await refused(nc, UpdateCurrentActivity(actor=TRAINER, schedule_id=sid, activity="x"))
    assert error.code is CONFLICT
    nothing = await request(nc, GetSessionActivity(actor=ADMIN, schedule_id=sid))
    assert nothing == SessionActivity(schedule_id=sid, trainer_id=toms)

    first = await request(nc, ClockIn(actor=TRAINER, schedule_id=sid))
    error = await refused(nc, ClockIn(actor=TRAINER, schedule_id=sid))
    assert (error.code, error.message) == (CONFLICT, f"session {sid} is already clocked in")
    assert await request(nc, GetSessionActivity(actor=ADMIN, schedule_id=sid)) == first

    out = await request(nc, ClockOut(actor=TRAINER, schedule_id=sid))
    error = await refused(nc, ClockOut(actor=TRAINER, schedule_id=sid))
    assert (error.code, error.message) == (CONFLICT, f"session {sid} is already clocked out")
    error = await refused(nc, UpdateCurrentActivity(actor=TRAINER, schedule_id=sid, activity="x"))
    assert error.code is CONFLICT
    assert await request(nc, GetSessionActivity(actor=ADMIN, schedule_id=sid)) == out
    assert [type(e) for e in await day_events(js, 2)] == [TrainerClockedIn, TrainerClockedOut]


async def test_a_clock_in_off_the_sessions_date_needs_an_admins_flag(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    tomorrow = today() + dt.timedelta(days=1)
    sid = (await session_with(nc, toms, day=tomorrow)).id

    error = await refused(nc, ClockIn(actor=TRAINER, schedule_id=sid))
    assert (error.code, error.message) == (
        CONFLICT,
        f"session {sid} is on {tomorrow.isoformat()}, not today ({today().isoformat()}); an "
        "admin may clock in with outside_session_date",
    )
    error = await refused(nc, ClockIn(actor=TRAINER, schedule_id=sid, outside_session_date=True))
    assert error.code is FORBIDDEN

    clocked = await request(nc, ClockIn(actor=ADMIN, schedule_id=sid, outside_session_date=True))

    assert clocked.clocked_in_at is not None
    [event] = await day_events(js, 1)
    assert isinstance(event, TrainerClockedIn)
    assert (event.actor, event.trainer_user_id, event.parent_id) == (
        ADMIN,
        TRAINER.user_id,
        PARENT.user_id,
    )


async def test_a_cancelled_session_takes_no_clock_in_and_no_log(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    sid = (await session_with(nc, toms)).id
    await request(
        nc, UpdateSchedule(actor=PARENT, schedule_id=sid, status=ScheduleStatus.cancelled)
    )

    error = await refused(nc, ClockIn(actor=TRAINER, schedule_id=sid))
    assert (error.code, error.message) == (CONFLICT, f"session {sid} is cancelled, not scheduled")
    error = await refused(nc, CreateActivityLog(actor=TRAINER, schedule_id=sid, activity="x"))
    assert error.code is CONFLICT
    # The relay publishes in commit order: had a refusal committed, it would come first.
    marker = (await session_with(nc, toms, start=dt.time(11))).id
    await request(nc, ClockIn(actor=TRAINER, schedule_id=marker))
    [event] = await day_events(js, 1)
    assert event.schedule_id == marker


async def test_a_session_without_a_trainer_is_a_conflict(nc: Client, toms: int) -> None:
    sid = (await session_with(nc, None)).id

    error = await refused(nc, ClockIn(actor=ADMIN, schedule_id=sid))

    assert (error.code, error.message) == (CONFLICT, f"session {sid} has no trainer assigned")
    seen = await request(nc, GetSessionActivity(actor=PARENT, schedule_id=sid))
    assert seen == SessionActivity(schedule_id=sid)


async def test_an_unknown_session_or_log_is_not_found(nc: Client, toms: int) -> None:
    error = await refused(nc, ClockIn(actor=ADMIN, schedule_id=999_999))
    assert (error.code, error.message) == (NOT_FOUND, "session 999999 not found")
    error = await refused(nc, UpdateActivityLog(actor=TRAINER, activity_log_id=999, notes="x"))
    assert (error.code, error.message) == (NOT_FOUND, "activity log 999 not found")
