"""Integration: bookings and sessions through the service's NATS endpoints, their events on
BOOKINGS_EVENTS, and the queries, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.bookings import (
    AssignTrainer,
    BookingCreated,
    BookingDeleted,
    BookingStatus,
    BookingUpdated,
    ChildCreated,
    DeleteBooking,
    DeleteChild,
    GetSchedule,
    ListBookings,
    ListSchedules,
    ListSchedulesOfDay,
    ScheduleCancelled,
    ScheduleCreated,
    ScheduleDeleted,
    ScheduleStatus,
    TrainerAssigned,
    UpdateBooking,
    UpdateChild,
    UpdateSchedule,
)
from contracts.envelope import Deleted
from contracts.errors import ErrorCode
from messaging.requests import request
from testkit.contracts import assert_valid

from .conftest import (
    ADMIN,
    OTHER_PARENT,
    OTHER_TRAINER,
    PARENT,
    TESS,
    TOM,
    TRAINER,
    events_after,
    stream_events,
    typed,
)
from .steps import DAY, assign, at, book, plan, refused

pytestmark = pytest.mark.usefixtures("bookings", "trainers")


async def test_a_booking_lives_and_is_cancelled_with_its_sessions(
    nc: Client, js: JetStreamContext
) -> None:
    booking = await book(nc)
    first = await plan(nc, booking.id, "09:00", "10:00")
    second = await plan(nc, booking.id, "10:00", "11:00")
    assigned = await assign(nc, first.id, TOM)
    assert (assigned.trainer_id, assigned.trainer_user_id, assigned.trainer_name) == (
        TOM,
        TRAINER.user_id,
        TRAINER.name,
    )
    await assign(nc, second.id, TOM)  # touching, not overlapping

    cancelled = await request(
        nc, UpdateBooking(actor=PARENT, booking_id=booking.id, status=BookingStatus.cancelled)
    )

    assert cancelled.status is BookingStatus.cancelled
    for session in (first, second):
        stored = await request(nc, GetSchedule(actor=PARENT, schedule_id=session.id))
        assert stored.status is ScheduleStatus.cancelled
    messages = await events_after(js, 9)
    for msg in messages:
        assert_valid(msg.data or b"", msg.subject or "")
    events = [typed(msg) for msg in messages]
    assert [type(e) for e in events] == [
        ChildCreated,
        BookingCreated,
        ScheduleCreated,
        ScheduleCreated,
        TrainerAssigned,
        TrainerAssigned,
        BookingUpdated,
        ScheduleCancelled,
        ScheduleCancelled,
    ]
    assert isinstance(events[6], BookingUpdated)
    assert events[6].trainer_user_ids == [TRAINER.user_id]
    assert {
        (e.schedule_id, e.trainer_user_id, e.child_name)
        for e in events[7:]
        if isinstance(e, ScheduleCancelled)
    } == {(first.id, TRAINER.user_id, "Ada"), (second.id, TRAINER.user_id, "Ada")}


async def test_a_deleted_booking_takes_its_sessions_and_frees_its_child(
    nc: Client, js: JetStreamContext
) -> None:
    booking = await book(nc)
    session = await plan(nc, booking.id)
    await assign(nc, session.id, TESS)
    error = await refused(nc, DeleteChild(actor=PARENT, child_id=booking.child_id))
    assert error.code is ErrorCode.conflict and "has bookings" in error.message

    assert await request(nc, DeleteBooking(actor=PARENT, booking_id=booking.id)) == Deleted(
        id=booking.id
    )

    assert (await refused(nc, GetSchedule(actor=ADMIN, schedule_id=session.id))).code is (
        ErrorCode.not_found
    )
    await request(nc, DeleteChild(actor=PARENT, child_id=booking.child_id))
    events = [typed(msg) for msg in await events_after(js, 7)]
    deleted = [e for e in events if isinstance(e, BookingDeleted | ScheduleDeleted)]
    assert [type(e) for e in deleted] == [BookingDeleted, ScheduleDeleted]
    booking_deleted, schedule_deleted = deleted
    assert isinstance(booking_deleted, BookingDeleted)
    assert isinstance(schedule_deleted, ScheduleDeleted)
    assert booking_deleted.trainer_user_ids == [OTHER_TRAINER.user_id]
    assert schedule_deleted.trainer_user_id == OTHER_TRAINER.user_id


async def test_sessions_keep_their_rules_over_the_wire(nc: Client, js: JetStreamContext) -> None:
    booking = await book(nc)
    session = await plan(nc, booking.id, "09:00", "10:00")
    await assign(nc, session.id, TOM)
    busy = await plan(nc, booking.id, "09:30", "10:30")

    clash = await refused(
        nc, UpdateSchedule(actor=PARENT, schedule_id=session.id, end_time=at("08:00"))
    )
    assert clash.code is ErrorCode.invalid and [f.loc for f in clash.fields] == [["end_time"]]
    past = dt.date.today() - dt.timedelta(days=1)
    error = await refused(nc, UpdateSchedule(actor=PARENT, schedule_id=session.id, date=past))
    assert error.code is ErrorCode.invalid and [f.loc for f in error.fields] == [["date"]]
    error = await refused(nc, GetSchedule(actor=OTHER_PARENT, schedule_id=session.id))
    assert error.code is ErrorCode.not_found
    error = await refused(nc, UpdateSchedule(actor=TRAINER, schedule_id=session.id, location="X"))
    assert error.code is ErrorCode.forbidden
    error = await refused(
        nc, UpdateSchedule(actor=PARENT, schedule_id=session.id, status=ScheduleStatus.completed)
    )
    assert error.code is ErrorCode.forbidden
    error = await refused(nc, AssignTrainer(actor=ADMIN, schedule_id=busy.id, trainer_id=TOM))
    assert error.code is ErrorCode.conflict
    assert error.message == (
        f"Tom Trainer already has session {session.id} on {DAY.isoformat()} from 09:00 to 10:00"
    )
    seen = await request(nc, GetSchedule(actor=TRAINER, schedule_id=session.id))
    assert (seen.parent_id, seen.trainer_user_id) == (PARENT.user_id, TRAINER.user_id)
    completed = await request(
        nc, UpdateSchedule(actor=ADMIN, schedule_id=session.id, status=ScheduleStatus.completed)
    )
    assert completed.status is ScheduleStatus.completed
    error = await refused(
        nc, UpdateSchedule(actor=ADMIN, schedule_id=session.id, status=ScheduleStatus.cancelled)
    )
    assert error.code is ErrorCode.conflict


async def test_lists_show_what_each_may_see_newest_first(nc: Client) -> None:
    mine = await book(nc)
    theirs = await book(nc, OTHER_PARENT)
    a = await plan(nc, mine.id, "09:00", "10:00")
    b = await plan(nc, mine.id, "11:00", "12:00", day=DAY + dt.timedelta(days=2))
    c = await plan(nc, theirs.id, "10:00", "11:00", actor=OTHER_PARENT)
    d = await plan(nc, theirs.id, "13:00", "14:00", actor=OTHER_PARENT, location="Gym")
    await assign(nc, a.id, TOM)
    await assign(nc, c.id, TOM)
    await assign(nc, d.id, TESS)
    await request(
        nc, UpdateSchedule(actor=ADMIN, schedule_id=b.id, status=ScheduleStatus.cancelled)
    )
    await request(nc, UpdateBooking(actor=OTHER_PARENT, booking_id=theirs.id, notes="gate code"))

    async def sessions(message: ListSchedules) -> list[int]:
        return [s.id for s in (await request(nc, message)).items]

    assert await sessions(ListSchedules(actor=PARENT)) == [b.id, a.id]
    assert await sessions(ListSchedules(actor=TRAINER)) == [c.id, a.id]
    assert await sessions(ListSchedules(actor=OTHER_TRAINER)) == [d.id]
    assert await sessions(ListSchedules(actor=ADMIN)) == [d.id, c.id, b.id, a.id]
    assert await sessions(ListSchedules(actor=ADMIN, trainer_id=TOM)) == [c.id, a.id]
    assert await sessions(ListSchedules(actor=ADMIN, booking_id=mine.id)) == [b.id, a.id]
    assert await sessions(ListSchedules(actor=ADMIN, child_id=theirs.child_id)) == [d.id, c.id]
    assert await sessions(ListSchedules(actor=ADMIN, status=ScheduleStatus.cancelled)) == [b.id]
    later = DAY + dt.timedelta(days=1)
    assert await sessions(ListSchedules(actor=ADMIN, date_from=later)) == [b.id]
    assert await sessions(ListSchedules(actor=ADMIN, date_from=DAY, date_to=DAY)) == [
        d.id,
        c.id,
        a.id,
    ]
    first = await request(nc, ListSchedules(actor=ADMIN, limit=3))
    rest = await request(nc, ListSchedules(actor=ADMIN, limit=3, cursor=first.next_cursor))
    assert [s.id for s in first.items + rest.items] == [d.id, c.id, b.id, a.id]
    assert rest.next_cursor is None

    bookings = await request(nc, ListBookings(actor=ADMIN))
    assert [x.id for x in bookings.items] == [theirs.id, mine.id]
    assert [x.id for x in (await request(nc, ListBookings(actor=PARENT))).items] == [mine.id]
    only = ListBookings(actor=ADMIN, parent_id=OTHER_PARENT.user_id, status=BookingStatus.active)
    assert [x.notes for x in (await request(nc, only)).items] == ["gate code"]

    day = await request(nc, ListSchedulesOfDay(actor=ADMIN, date=DAY))
    assert [s.id for s in day.items] == [a.id, c.id, d.id]
    assert [s.trainer_name for s in day.items] == [TRAINER.name, TRAINER.name, OTHER_TRAINER.name]
    assert (await refused(nc, ListSchedulesOfDay(actor=PARENT, date=DAY))).code is (
        ErrorCode.forbidden
    )


async def test_a_session_names_its_child_as_the_child_is_named_now(nc: Client) -> None:
    booking = await book(nc)
    session = await plan(nc, booking.id)
    assert session.child_name == "Ada"

    await request(nc, UpdateChild(actor=PARENT, child_id=booking.child_id, name="Ada L."))

    assert (await request(nc, GetSchedule(actor=PARENT, schedule_id=session.id))).child_name == (
        "Ada L."
    )
    listed = await request(nc, ListSchedules(actor=PARENT))
    assert [s.child_name for s in listed.items] == ["Ada L."]


async def test_refused_requests_emit_nothing(nc: Client, js: JetStreamContext) -> None:
    booking = await book(nc, OTHER_PARENT)
    session = await plan(nc, booking.id, actor=OTHER_PARENT)
    count = len(await events_after(js, 3))

    for message in (
        UpdateBooking(actor=PARENT, booking_id=booking.id, notes="mine"),
        DeleteBooking(actor=PARENT, booking_id=booking.id),
        UpdateSchedule(actor=PARENT, schedule_id=session.id, location="X"),
    ):
        assert (await refused(nc, message)).code is ErrorCode.not_found

    assert len(await stream_events(js)) == count
