"""Unit: the rules of a session (slot, status, booking) and who may read or change one."""

import datetime as dt
from typing import Any

import pytest

from contracts.bookings import (
    AssignTrainer,
    BookingStatus,
    CreateSchedule,
    DeleteSchedule,
    GetSchedule,
    ScheduleCancelled,
    ScheduleCreated,
    ScheduleDeleted,
    ScheduleStatus,
    ScheduleUpdated,
    UpdateBooking,
    UpdateChild,
    UpdateSchedule,
)
from contracts.envelope import Actor, Deleted, Request
from contracts.errors import ErrorCode

from .conftest import ADMIN, OTHER_PARENT, OTHER_TRAINER, PARENT, TOM, TRAINER, Send
from .fakes import FakeDatabase
from .steps import DAY, assign, at, book, plan, refused, session


async def test_a_parent_plans_a_session_that_names_child_parent_and_no_trainer(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)

    planned = await plan(send, booking.id, "09:00", "10:30")

    assert (planned.booking_id, planned.child_id, planned.child_name) == (
        booking.id,
        booking.child_id,
        "Ada",
    )
    assert (planned.parent_id, planned.date, planned.start_time, planned.end_time) == (
        PARENT.user_id,
        DAY,
        at("09:00"),
        at("10:30"),
    )
    assert planned.status is ScheduleStatus.scheduled
    assert (planned.trainer_id, planned.trainer_user_id, planned.trainer_name) == (None, None, None)
    event = database.outbox[-1]
    assert isinstance(event, ScheduleCreated)
    assert (event.schedule_id, event.booking_id, event.parent_id, event.trainer_user_id) == (
        planned.id,
        booking.id,
        PARENT.user_id,
        None,
    )


async def test_the_child_name_is_the_current_one(send: Send) -> None:
    planned = await session(send)
    await send(UpdateChild(actor=PARENT, child_id=planned.child_id, name="Ada L."))
    assert (await send(GetSchedule(actor=PARENT, schedule_id=planned.id))).child_name == "Ada L."


async def test_a_new_session_is_not_in_the_past(send: Send, database: FakeDatabase) -> None:
    booking = await book(send)
    yesterday = dt.date.today() - dt.timedelta(days=1)

    error = await refused(
        send,
        CreateSchedule(
            actor=PARENT,
            booking_id=booking.id,
            date=yesterday,
            start_time=at("09:00"),
            end_time=at("10:00"),
            location="Pool",
        ),
    )

    assert error.code is ErrorCode.invalid and [f.loc for f in error.fields] == [["date"]]
    assert database.schedules == {}
    assert (await plan(send, booking.id, day=dt.date.today())).date == dt.date.today()


async def test_only_an_active_booking_gets_sessions(send: Send) -> None:
    booking = await book(send)
    await send(UpdateBooking(actor=PARENT, booking_id=booking.id, status=BookingStatus.cancelled))
    with pytest.raises(Exception) as raised:
        await plan(send, booking.id)
    assert getattr(raised.value, "code", None) is ErrorCode.conflict


@pytest.mark.parametrize(
    "change",
    [
        {"end_time": at("08:30")},  # before the stored start
        {"start_time": at("10:00")},  # on the stored end
        {"start_time": at("11:00")},
    ],
)
async def test_a_partial_change_still_ends_after_it_starts(
    send: Send, change: dict[str, Any]
) -> None:
    planned = await session(send, "09:00", "10:00")

    error = await refused(send, UpdateSchedule(actor=PARENT, schedule_id=planned.id, **change))

    assert error.code is ErrorCode.invalid and [f.loc for f in error.fields] == [["end_time"]]
    stored = await send(GetSchedule(actor=PARENT, schedule_id=planned.id))
    assert (stored.start_time, stored.end_time) == (at("09:00"), at("10:00"))


async def test_a_session_moves_and_records_its_update(send: Send, database: FakeDatabase) -> None:
    planned = await session(send)
    later = DAY + dt.timedelta(days=1)

    moved = await send(
        UpdateSchedule(
            actor=PARENT, schedule_id=planned.id, date=later, end_time=at("11:00"), location="Gym"
        )
    )

    assert (moved.date, moved.start_time, moved.end_time, moved.location) == (
        later,
        at("09:00"),
        at("11:00"),
        "Gym",
    )
    assert isinstance(database.outbox[-1], ScheduleUpdated)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    error = await refused(
        send, UpdateSchedule(actor=PARENT, schedule_id=planned.id, date=yesterday)
    )
    assert error.code is ErrorCode.invalid and [f.loc for f in error.fields] == [["date"]]


S, C, D = ScheduleStatus.scheduled, ScheduleStatus.cancelled, ScheduleStatus.completed


@pytest.mark.parametrize(
    ("first", "then", "outcome"),
    [
        (C, None, None),
        (D, None, None),
        (S, None, None),  # asking for the status it has changes no status
        (C, C, ErrorCode.conflict),
        (C, D, ErrorCode.conflict),
        (C, S, ErrorCode.conflict),
        (D, C, ErrorCode.conflict),
        (D, S, ErrorCode.conflict),
        (D, D, ErrorCode.conflict),
    ],
)
async def test_status_goes_only_from_scheduled_to_cancelled_or_completed(
    send: Send,
    first: ScheduleStatus,
    then: ScheduleStatus | None,
    outcome: ErrorCode | None,
) -> None:
    planned = await session(send)
    changed = await send(UpdateSchedule(actor=ADMIN, schedule_id=planned.id, status=first))
    assert changed.status is first
    if then is None:
        return
    error = await refused(send, UpdateSchedule(actor=ADMIN, schedule_id=planned.id, status=then))
    assert error.code is outcome
    assert (await send(GetSchedule(actor=ADMIN, schedule_id=planned.id))).status is first


@pytest.mark.parametrize("actor", [PARENT, ADMIN])
async def test_cancelling_a_session_records_that_it_was_cancelled_and_whose_it_was(
    send: Send, database: FakeDatabase, actor: Actor
) -> None:
    planned = await session(send, "09:30", "10:30")
    await assign(send, planned.id)

    await send(UpdateSchedule(actor=actor, schedule_id=planned.id, status=C))

    event = database.outbox[-1]
    assert isinstance(event, ScheduleCancelled)
    assert (event.schedule_id, event.booking_id, event.parent_id, event.trainer_user_id) == (
        planned.id,
        planned.booking_id,
        PARENT.user_id,
        TRAINER.user_id,
    )
    assert (event.session_date, event.start_time, event.child_name, event.actor) == (
        DAY,
        at("09:30"),
        "Ada",
        actor,
    )


async def test_completing_a_session_is_an_update_not_a_cancellation(
    send: Send, database: FakeDatabase
) -> None:
    planned = await session(send)
    await send(UpdateSchedule(actor=ADMIN, schedule_id=planned.id, status=D))
    assert type(database.outbox[-1]) is ScheduleUpdated


async def test_a_closed_session_cannot_be_moved(send: Send) -> None:
    planned = await session(send)
    await send(UpdateSchedule(actor=PARENT, schedule_id=planned.id, status=C))
    error = await refused(send, UpdateSchedule(actor=PARENT, schedule_id=planned.id, location="X"))
    assert error.code is ErrorCode.conflict and "cancelled" in error.message


async def test_a_parent_may_not_mark_a_session_completed(send: Send) -> None:
    planned = await session(send)
    error = await refused(send, UpdateSchedule(actor=PARENT, schedule_id=planned.id, status=D))
    assert error.code is ErrorCode.forbidden
    assert (await send(GetSchedule(actor=PARENT, schedule_id=planned.id))).status is S


async def test_a_deleted_session_is_gone(send: Send, database: FakeDatabase) -> None:
    planned = await session(send)
    await assign(send, planned.id)

    assert await send(DeleteSchedule(actor=PARENT, schedule_id=planned.id)) == Deleted(
        id=planned.id
    )

    assert database.schedules == {}
    event = database.outbox[-1]
    assert isinstance(event, ScheduleDeleted)
    assert (event.schedule_id, event.trainer_user_id) == (planned.id, TRAINER.user_id)


# --- who may do what ---------------------------------------------------------------------

NOT_FOUND, FORBIDDEN, ALLOWED = ErrorCode.not_found, ErrorCode.forbidden, None


def reads(actor: Actor, schedule_id: int) -> list[Request[Any]]:
    return [GetSchedule(actor=actor, schedule_id=schedule_id)]


def changes(actor: Actor, schedule_id: int) -> list[Request[Any]]:
    return [
        UpdateSchedule(actor=actor, schedule_id=schedule_id, location="Changed"),
        UpdateSchedule(actor=actor, schedule_id=schedule_id, status=ScheduleStatus.cancelled),
        DeleteSchedule(actor=actor, schedule_id=schedule_id),
    ]


def assigns(actor: Actor, schedule_id: int) -> list[Request[Any]]:
    return [AssignTrainer(actor=actor, schedule_id=schedule_id, trainer_id=TOM)]


# (actor, on reading, on changing, on assigning) a session of PARENT's that TRAINER has.
MATRIX = [
    (PARENT, ALLOWED, ALLOWED, FORBIDDEN),
    (ADMIN, ALLOWED, ALLOWED, ALLOWED),
    (TRAINER, ALLOWED, FORBIDDEN, FORBIDDEN),
    (OTHER_PARENT, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    (OTHER_TRAINER, NOT_FOUND, NOT_FOUND, NOT_FOUND),
]


@pytest.mark.parametrize(("actor", "read", "change", "assign_outcome"), MATRIX)
async def test_who_may_read_change_and_assign_a_session(
    send: Send,
    database: FakeDatabase,
    actor: Actor,
    read: ErrorCode | None,
    change: ErrorCode | None,
    assign_outcome: ErrorCode | None,
) -> None:
    planned = await session(send)
    await assign(send, planned.id)
    before = len(database.outbox)

    for outcome, commands in (
        (read, reads(actor, planned.id)),
        (assign_outcome, assigns(actor, planned.id)),
        (change, changes(actor, planned.id)),
    ):
        for command in commands:
            if outcome is None:
                await send(command)
            else:
                assert (await refused(send, command)).code is outcome, command

    if change is not None:
        assert len(database.outbox) == before, "a refused request emits nothing"
        assert database.schedules[planned.id].location == "Pool", "and changes nothing"


@pytest.mark.parametrize(("actor", "outcome"), [(OTHER_PARENT, NOT_FOUND), (TRAINER, NOT_FOUND)])
async def test_only_the_bookings_parent_or_an_admin_plans_its_sessions(
    send: Send, actor: Actor, outcome: ErrorCode
) -> None:
    booking = await book(send)
    assert (await plan(send, booking.id, actor=ADMIN)).parent_id == PARENT.user_id
    with pytest.raises(Exception) as raised:
        await plan(send, booking.id, actor=actor)
    assert getattr(raised.value, "code", None) is outcome
