"""Unit: clocking in and out and the current activity: in order, by the session's trainer (an
admin clocks in and out for them), on the session's business day, on an open session; bookings
away changes nothing."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from contracts.bookings import ScheduleStatus
from contracts.envelope import Actor, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    ClockIn,
    ClockOut,
    CurrentActivity,
    CurrentActivityUpdated,
    SessionActivity,
    SessionActivityEvent,
    TrainerClockedIn,
    TrainerClockedOut,
    UpdateCurrentActivity,
)
from trainers.adapters.sessions import BOOKINGS_AWAY

from .conftest import (
    ADMIN,
    NOW,
    OTHER_TRAINER,
    PARENT,
    PROFILE_IDS,
    SESSION,
    TODAY,
    TRAINER,
    FixedClock,
    Send,
    scheduled,
)
from .fakes import FakeDatabase, FakeSessionDirectory

CONFLICT, FORBIDDEN, NOT_FOUND = ErrorCode.conflict, ErrorCode.forbidden, ErrorCode.not_found
TOMS = PROFILE_IDS[TRAINER.user_id]


async def refused(send: Send, command: Request[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        await send(command)
    return raised.value


def events(database: FakeDatabase) -> list[SessionActivityEvent]:
    assert all(isinstance(e, SessionActivityEvent) for e in database.outbox), database.outbox
    return [e for e in database.outbox if isinstance(e, SessionActivityEvent)]


async def clock_in(send: Send, actor: Actor = TRAINER, **fields: Any) -> SessionActivity:
    reply: SessionActivity = await send(ClockIn(actor=actor, schedule_id=SESSION, **fields))
    return reply


async def clock_out(send: Send, actor: Actor = TRAINER, **fields: Any) -> SessionActivity:
    reply: SessionActivity = await send(ClockOut(actor=actor, schedule_id=SESSION, **fields))
    return reply


def doing(
    activity: str, actor: Actor = TRAINER, schedule_id: int = SESSION, **fields: Any
) -> UpdateCurrentActivity:
    return UpdateCurrentActivity(actor=actor, schedule_id=schedule_id, activity=activity, **fields)


async def test_the_trainer_clocks_in_in_utc_and_the_parent_and_admins_hear_of_it(
    send: Send, database: FakeDatabase
) -> None:
    clocked = await clock_in(send, location="Pool entrance")

    assert (clocked.schedule_id, clocked.trainer_id) == (SESSION, TOMS)
    assert (clocked.clocked_in_at, clocked.clock_in_location) == (NOW, "Pool entrance")
    assert clocked.clocked_in_at is not None and clocked.clocked_in_at.utcoffset() == timedelta(0)
    assert (clocked.clocked_out_at, clocked.current_activity) == (None, None)
    [event] = events(database)
    assert isinstance(event, TrainerClockedIn)
    assert (event.schedule_id, event.trainer_id, event.trainer_user_id, event.parent_id) == (
        SESSION,
        TOMS,
        TRAINER.user_id,
        PARENT.user_id,
    )
    assert (event.at, event.actor) == (NOW, TRAINER)


async def test_a_second_clock_in_is_a_conflict_and_changes_nothing(
    send: Send, database: FakeDatabase, clock: FixedClock
) -> None:
    await clock_in(send)
    clock.at = NOW + timedelta(minutes=5)

    error = await refused(send, ClockIn(actor=TRAINER, schedule_id=SESSION))

    assert (error.code, error.message) == (CONFLICT, f"session {SESSION} is already clocked in")
    [entry] = database.time_entries.values()
    assert entry.clocked_in_at == NOW
    assert len(events(database)) == 1


async def test_of_two_clock_ins_racing_past_the_check_the_second_insert_is_a_conflict(
    send: Send, database: FakeDatabase
) -> None:
    async def the_other_one_first() -> None:
        await clock_in(send, ADMIN)

    database.before_insert = the_other_one_first

    error = await refused(send, ClockIn(actor=TRAINER, schedule_id=SESSION))

    assert (error.code, error.message) == (CONFLICT, f"session {SESSION} is already clocked in")
    assert len(database.time_entries) == 1
    [event] = events(database)
    assert event.actor == ADMIN


async def test_clock_out_before_clock_in_is_a_conflict(send: Send, database: FakeDatabase) -> None:
    error = await refused(send, ClockOut(actor=TRAINER, schedule_id=SESSION))

    assert (error.code, error.message) == (CONFLICT, f"session {SESSION} is not clocked in yet")
    assert (database.time_entries, database.outbox) == ({}, [])


async def test_the_trainer_clocks_out_once(
    send: Send, database: FakeDatabase, clock: FixedClock
) -> None:
    await clock_in(send)
    later = NOW + timedelta(hours=1)
    clock.at = later

    out = await clock_out(send, location="Car park")

    assert (out.clocked_in_at, out.clocked_out_at, out.clock_out_location) == (
        NOW,
        later,
        "Car park",
    )
    error = await refused(send, ClockOut(actor=TRAINER, schedule_id=SESSION))
    assert (error.code, error.message) == (CONFLICT, f"session {SESSION} is already clocked out")
    _, clocked_out = events(database)
    assert isinstance(clocked_out, TrainerClockedOut)
    assert (clocked_out.at, clocked_out.trainer_user_id, clocked_out.parent_id) == (
        later,
        TRAINER.user_id,
        PARENT.user_id,
    )
    error = await refused(send, ClockIn(actor=TRAINER, schedule_id=SESSION))
    assert error.code is CONFLICT, "a clocked-out session is not clocked in again"


async def test_an_admin_clocks_in_and_out_for_the_trainer_as_themself(
    send: Send, database: FakeDatabase
) -> None:
    await clock_in(send, ADMIN)
    await clock_out(send, ADMIN)

    clocked_in, clocked_out = events(database)
    assert (clocked_in.actor, clocked_out.actor) == (ADMIN, ADMIN)
    assert {e.trainer_user_id for e in (clocked_in, clocked_out)} == {TRAINER.user_id}


async def test_the_parent_may_not_keep_time_and_another_trainer_cannot_see_the_session(
    send: Send, database: FakeDatabase
) -> None:
    error = await refused(send, ClockIn(actor=PARENT, schedule_id=SESSION))
    assert (error.code, error.message) == (
        FORBIDDEN,
        "only the session's assigned trainer (or an admin for them) clocks in",
    )
    error = await refused(send, ClockIn(actor=OTHER_TRAINER, schedule_id=SESSION))
    assert (error.code, error.message) == (NOT_FOUND, f"session {SESSION} not found")
    await clock_in(send)
    for actor in (PARENT, OTHER_TRAINER):
        assert (await refused(send, ClockOut(actor=actor, schedule_id=SESSION))).code in (
            FORBIDDEN,
            NOT_FOUND,
        )
        assert (await refused(send, doing("swimming", actor))).code in (FORBIDDEN, NOT_FOUND)
    assert len(events(database)) == 1


async def test_the_parent_is_refused_before_anyone_looks_at_the_clock(send: Send) -> None:
    error = await refused(send, ClockOut(actor=PARENT, schedule_id=SESSION))
    assert error.code is FORBIDDEN
    error = await refused(send, doing("swimming", PARENT))
    assert error.code is FORBIDDEN


async def test_a_trainer_shown_the_session_by_mistake_is_still_refused(
    send: Send, sessions: FakeSessionDirectory
) -> None:
    # Bookings hides the session from every other trainer; the rule does not rely on it.
    async def anything(schedule_id: int, actor: Actor) -> Any:
        return sessions.sessions[schedule_id]

    sessions.session = anything  # type: ignore[method-assign]

    error = await refused(send, ClockIn(actor=OTHER_TRAINER, schedule_id=SESSION))
    assert error.code is FORBIDDEN


async def test_a_clock_in_on_another_day_than_the_business_day_is_a_conflict(
    send: Send, sessions: FakeSessionDirectory, database: FakeDatabase
) -> None:
    # NOW is 2 December in UTC but still 1 December in New York, the business zone.
    sessions.add(scheduled(2, day=TODAY + timedelta(days=1)))

    error = await refused(send, ClockIn(actor=TRAINER, schedule_id=2))

    assert (error.code, error.message) == (
        CONFLICT,
        "session 2 is on 2026-12-02, not today (2026-12-01); an admin may clock in with "
        "outside_session_date",
    )
    error = await refused(send, ClockIn(actor=ADMIN, schedule_id=2))
    assert error.code is CONFLICT, "an admin says so"
    assert (database.time_entries, database.outbox) == ({}, [])


async def test_the_session_of_the_business_day_is_clocked_in_though_utc_is_a_day_ahead(
    send: Send, clock: FixedClock
) -> None:
    assert NOW.date() != TODAY
    clocked = await clock_in(send)
    assert clocked.clocked_in_at == NOW


async def test_only_an_admin_clocks_in_outside_the_session_date(
    send: Send, sessions: FakeSessionDirectory, database: FakeDatabase
) -> None:
    sessions.add(scheduled(2, day=TODAY - timedelta(days=3)))

    error = await refused(send, ClockIn(actor=TRAINER, schedule_id=2, outside_session_date=True))
    assert (error.code, error.message) == (
        FORBIDDEN,
        "only an admin clocks in outside the session's date",
    )
    error = await refused(
        send, ClockIn(actor=TRAINER, schedule_id=SESSION, outside_session_date=True)
    )
    assert error.code is FORBIDDEN, "the flag is an admin's, whatever the day"

    clocked: SessionActivity = await send(
        ClockIn(actor=ADMIN, schedule_id=2, outside_session_date=True)
    )

    assert clocked.clocked_in_at == NOW
    [event] = events(database)
    assert (event.actor, event.trainer_user_id) == (ADMIN, TRAINER.user_id)
    # Once clocked in, the trainer carries on as on any day.
    await send(doing("late swim", schedule_id=2))
    out: SessionActivity = await send(ClockOut(actor=TRAINER, schedule_id=2))
    assert out.clocked_out_at == NOW


@pytest.mark.parametrize("status", [ScheduleStatus.cancelled, ScheduleStatus.completed])
async def test_a_session_no_longer_scheduled_takes_no_clock_in(
    send: Send, sessions: FakeSessionDirectory, database: FakeDatabase, status: ScheduleStatus
) -> None:
    sessions.add(scheduled(2, status=status))

    for actor in (TRAINER, ADMIN):
        error = await refused(
            send, ClockIn(actor=actor, schedule_id=2, outside_session_date=actor is ADMIN)
        )
        assert (error.code, error.message) == (
            CONFLICT,
            f"session 2 is {status.value}, not scheduled",
        )
    assert (database.time_entries, database.outbox) == ({}, [])


async def test_a_session_cancelled_after_clock_in_takes_no_clock_out_or_activity(
    send: Send, sessions: FakeSessionDirectory
) -> None:
    await clock_in(send)
    sessions.change(SESSION, status=ScheduleStatus.cancelled)

    error = await refused(send, ClockOut(actor=TRAINER, schedule_id=SESSION))
    assert (error.code, error.message) == (
        CONFLICT,
        f"session {SESSION} is cancelled, not scheduled",
    )
    assert (await refused(send, doing("swimming"))).code is CONFLICT


async def test_a_session_without_a_trainer_is_a_conflict_even_for_an_admin(
    send: Send, sessions: FakeSessionDirectory
) -> None:
    sessions.add(scheduled(2, trainer=None))

    error = await refused(send, ClockIn(actor=ADMIN, schedule_id=2))

    assert (error.code, error.message) == (CONFLICT, "session 2 has no trainer assigned")
    assert (await refused(send, ClockIn(actor=PARENT, schedule_id=2))).code is FORBIDDEN


async def test_a_trainer_given_the_session_after_clock_in_does_not_take_over_the_time(
    send: Send, sessions: FakeSessionDirectory
) -> None:
    await clock_in(send)
    sessions.change(
        SESSION,
        trainer_id=PROFILE_IDS[OTHER_TRAINER.user_id],
        trainer_user_id=OTHER_TRAINER.user_id,
    )

    error = await refused(send, ClockOut(actor=OTHER_TRAINER, schedule_id=SESSION))

    assert (error.code, error.message) == (
        CONFLICT,
        f"session {SESSION} was clocked in by another trainer (trainer {TOMS})",
    )


async def test_the_current_activity_is_kept_with_its_time_while_clocked_in(
    send: Send, database: FakeDatabase, clock: FixedClock
) -> None:
    await clock_in(send)
    first: SessionActivity = await send(doing("warm-up", location="Shallow end"))
    clock.at = later = NOW + timedelta(minutes=20)

    latest: SessionActivity = await send(doing("diving"))

    assert first.current_activity == CurrentActivity(
        activity="warm-up", location="Shallow end", at=NOW
    )
    assert latest.current_activity == CurrentActivity(activity="diving", location=None, at=later)
    updates = [e for e in events(database) if isinstance(e, CurrentActivityUpdated)]
    assert [(e.activity, e.location) for e in updates] == [
        ("warm-up", "Shallow end"),
        ("diving", None),
    ]
    assert {(e.trainer_user_id, e.parent_id, e.actor) for e in updates} == {
        (TRAINER.user_id, PARENT.user_id, TRAINER)
    }


async def test_the_activity_changes_only_between_clock_in_and_clock_out(
    send: Send, database: FakeDatabase
) -> None:
    error = await refused(send, doing("warm-up"))
    assert (error.code, error.message) == (CONFLICT, f"session {SESSION} is not clocked in yet")

    await clock_in(send)
    await send(doing("warm-up"))
    await clock_out(send)

    error = await refused(send, doing("cool-down"))
    assert (error.code, error.message) == (
        CONFLICT,
        f"session {SESSION} is clocked out; its activity no longer changes",
    )
    [entry] = database.time_entries.values()
    assert entry.activity == "warm-up"


async def test_an_admin_does_not_say_what_the_trainer_is_doing(send: Send) -> None:
    await clock_in(send)

    error = await refused(send, doing("swimming", ADMIN))

    assert (error.code, error.message) == (
        FORBIDDEN,
        "only the session's assigned trainer says what they are doing",
    )


async def test_bookings_away_is_unavailable_and_nothing_is_written(
    send: Send, sessions: FakeSessionDirectory, database: FakeDatabase
) -> None:
    await clock_in(send)
    sessions.down = True
    before = (database.commits, list(database.outbox))

    for command in (
        ClockIn(actor=TRAINER, schedule_id=SESSION),
        ClockOut(actor=TRAINER, schedule_id=SESSION),
        doing("swimming"),
    ):
        error = await refused(send, command)
        assert (error.code, error.message) == (ErrorCode.unavailable, BOOKINGS_AWAY)

    assert (database.commits, database.outbox) == before
    [entry] = database.time_entries.values()
    assert (entry.clocked_out_at, entry.activity) == (None, None)


async def test_every_timestamp_is_utc_whatever_the_clock_hands_over(
    send: Send, clock: FixedClock
) -> None:
    clock.at = datetime(2026, 12, 1, 22, 0, tzinfo=timezone(timedelta(hours=-5)))

    clocked = await clock_in(send)

    assert clocked.clocked_in_at == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert clocked.clocked_in_at is not None and clocked.clocked_in_at.utcoffset() == timedelta(0)


async def test_a_session_completed_while_clocked_in_still_takes_the_clock_out(
    send: Send, sessions: FakeSessionDirectory
) -> None:
    await clock_in(send)
    sessions.change(SESSION, status=ScheduleStatus.completed)

    assert (await refused(send, doing("cool-down"))).code is CONFLICT
    out: SessionActivity = await send(ClockOut(actor=TRAINER, schedule_id=SESSION))
    assert out.clocked_out_at is not None
