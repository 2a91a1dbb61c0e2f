"""Unit: every booking rule and who may do what with a booking."""

from decimal import Decimal
from typing import Any

import pytest

from contracts.bookings import (
    BookingCreated,
    BookingDeleted,
    BookingStatus,
    BookingUpdated,
    CreateBooking,
    DeleteBooking,
    DeleteChild,
    GetBooking,
    GetSchedule,
    ListBookings,
    MakePayment,
    ScheduleCancelled,
    ScheduleDeleted,
    ScheduleStatus,
    UpdateBooking,
    UpdateSchedule,
)
from contracts.envelope import Actor, Deleted, Request
from contracts.errors import ErrorCode

from .conftest import ADMIN, DECLINED, OTHER_PARENT, OTHER_TRAINER, PARENT, TESS, TRAINER, Send
from .fakes import FakeDatabase
from .steps import add_child, assign, book, plan, refused


async def test_a_parent_books_their_child_and_the_event_names_the_parent(
    send: Send, database: FakeDatabase
) -> None:
    child = await add_child(send)

    booking = await send(CreateBooking(actor=PARENT, child_id=child.id, notes="Tuesdays"))

    assert (booking.child_id, booking.parent_id) == (child.id, PARENT.user_id)
    assert (booking.status, booking.notes) == (BookingStatus.active, "Tuesdays")
    event = database.outbox[-1]
    assert isinstance(event, BookingCreated)
    assert (event.booking_id, event.parent_id, event.trainer_user_ids) == (
        booking.id,
        PARENT.user_id,
        [],
    )


async def test_an_admin_books_any_child_for_its_parent(send: Send) -> None:
    child = await add_child(send)
    booking = await send(CreateBooking(actor=ADMIN, child_id=child.id))
    assert booking.parent_id == PARENT.user_id


@pytest.mark.parametrize("actor", [OTHER_PARENT, TRAINER])
async def test_nobody_else_books_a_child_nor_learns_it_exists(send: Send, actor: Actor) -> None:
    child = await add_child(send)
    assert (await refused(send, CreateBooking(actor=actor, child_id=child.id))).code is (
        ErrorCode.not_found
    )
    assert (await refused(send, CreateBooking(actor=PARENT, child_id=999))).code is (
        ErrorCode.not_found
    )


async def test_notes_change_and_none_leaves_them(send: Send) -> None:
    booking = await book(send)
    changed = await send(UpdateBooking(actor=PARENT, booking_id=booking.id, notes="Fridays"))
    kept = await send(UpdateBooking(actor=PARENT, booking_id=booking.id))
    assert changed.notes == kept.notes == "Fridays"
    assert kept.status is BookingStatus.active


async def test_cancelling_cancels_the_scheduled_sessions_and_names_their_trainers(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)
    first = await plan(send, booking.id, "09:00", "10:00")
    second = await plan(send, booking.id, "11:00", "12:00")
    done = await plan(send, booking.id, "13:00", "14:00")
    await assign(send, first.id)
    await assign(send, done.id, TESS)
    await send(UpdateSchedule(actor=ADMIN, schedule_id=done.id, status=ScheduleStatus.completed))
    before = len(database.outbox)

    cancelled = await send(
        UpdateBooking(actor=PARENT, booking_id=booking.id, status=BookingStatus.cancelled)
    )

    assert cancelled.status is BookingStatus.cancelled
    statuses = [
        (await send(GetSchedule(actor=PARENT, schedule_id=s.id))).status
        for s in (first, second, done)
    ]
    assert statuses == [
        ScheduleStatus.cancelled,
        ScheduleStatus.cancelled,
        ScheduleStatus.completed,
    ]
    events = database.outbox[before:]
    assert sorted(type(e).__name__ for e in events) == [
        "BookingUpdated",
        "ScheduleCancelled",
        "ScheduleCancelled",
    ]
    [updated] = [e for e in events if isinstance(e, BookingUpdated)]
    assert updated.trainer_user_ids == [TRAINER.user_id, OTHER_TRAINER.user_id]
    cancelled_sessions = {
        e.schedule_id: (e.trainer_user_id, e.session_date, e.start_time, e.child_name)
        for e in events
        if isinstance(e, ScheduleCancelled)
    }
    assert cancelled_sessions == {
        first.id: (TRAINER.user_id, first.date, first.start_time, "Ada"),
        second.id: (None, second.date, second.start_time, "Ada"),
    }


@pytest.mark.parametrize(
    "change",
    [{"status": BookingStatus.active}, {"notes": "x"}, {"status": BookingStatus.cancelled}],
)
async def test_a_cancelled_booking_stays_as_it_is(
    send: Send, database: FakeDatabase, change: dict[str, Any]
) -> None:
    booking = await book(send)
    await send(UpdateBooking(actor=PARENT, booking_id=booking.id, status=BookingStatus.cancelled))
    before = len(database.outbox)

    error = await refused(send, UpdateBooking(actor=ADMIN, booking_id=booking.id, **change))

    assert error.code is ErrorCode.conflict and "cancelled" in error.message
    assert len(database.outbox) == before
    assert (await send(GetBooking(actor=PARENT, booking_id=booking.id))).notes is None


async def test_deleting_removes_the_sessions_and_names_their_trainers(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)
    first = await plan(send, booking.id)
    second = await plan(send, booking.id, "11:00", "12:00")
    await assign(send, second.id)
    before = len(database.outbox)

    assert await send(DeleteBooking(actor=PARENT, booking_id=booking.id)) == Deleted(id=booking.id)

    assert database.bookings == {} and database.schedules == {}
    events = database.outbox[before:]
    [deleted] = [e for e in events if isinstance(e, BookingDeleted)]
    assert deleted.trainer_user_ids == [TRAINER.user_id]
    assert sorted(e.schedule_id for e in events if isinstance(e, ScheduleDeleted)) == [
        first.id,
        second.id,
    ]


async def test_a_booking_with_a_processed_payment_is_kept(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)
    await send(
        MakePayment(actor=PARENT, booking_id=booking.id, amount=Decimal("20"), currency="GBP")
    )

    error = await refused(send, DeleteBooking(actor=ADMIN, booking_id=booking.id))

    assert error.code is ErrorCode.conflict and "processed payment" in error.message
    assert booking.id in database.bookings


async def test_a_booking_with_only_failed_payments_goes_with_them(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)
    await refused(
        send, MakePayment(actor=PARENT, booking_id=booking.id, amount=DECLINED, currency="GBP")
    )
    assert len(database.payments) == 1

    await send(DeleteBooking(actor=PARENT, booking_id=booking.id))

    assert database.bookings == {} and database.payments == {}


async def test_a_child_with_bookings_cannot_be_deleted(send: Send, database: FakeDatabase) -> None:
    booking = await book(send)

    error = await refused(send, DeleteChild(actor=PARENT, child_id=booking.child_id))

    assert error.code is ErrorCode.conflict
    assert error.message == f"child {booking.child_id} has bookings; delete them first"
    await send(DeleteBooking(actor=PARENT, booking_id=booking.id))
    await send(DeleteChild(actor=PARENT, child_id=booking.child_id))
    assert database.children == {}


async def test_lists_are_newest_first_filtered_and_paged(send: Send) -> None:
    ada = await add_child(send, name="Ada")
    ids = [(await book(send, child_id=ada.id)).id for _ in range(3)]
    other = await book(send)
    theirs = await book(send, OTHER_PARENT)
    await send(UpdateBooking(actor=PARENT, booking_id=ids[0], status=BookingStatus.cancelled))

    async def listed(**asked: Any) -> list[int]:
        page = await send(ListBookings(**asked))
        return [b.id for b in page.items]

    assert await listed(actor=PARENT) == [other.id, *reversed(ids)]
    assert await listed(actor=PARENT, parent_id=OTHER_PARENT.user_id) == [other.id, *ids[::-1]]
    assert await listed(actor=PARENT, child_id=ada.id, status=BookingStatus.active) == [
        ids[2],
        ids[1],
    ]
    assert await listed(actor=ADMIN) == [theirs.id, other.id, *reversed(ids)]
    assert await listed(actor=ADMIN, parent_id=OTHER_PARENT.user_id) == [theirs.id]
    first = await send(ListBookings(actor=PARENT, limit=2))
    rest = await send(ListBookings(actor=PARENT, limit=2, cursor=first.next_cursor))
    assert [b.id for b in first.items + rest.items] == [other.id, *reversed(ids)]
    assert (await refused(send, ListBookings(actor=PARENT, cursor="bm9wZQ=="))).code is (
        ErrorCode.invalid
    )
    assert (await refused(send, ListBookings(actor=TRAINER))).code is ErrorCode.forbidden


# --- who may do what ---------------------------------------------------------------------

NOT_FOUND, ALLOWED = ErrorCode.not_found, None


def commands_on(actor: Actor, booking_id: int) -> list[Request[Any]]:
    return [
        GetBooking(actor=actor, booking_id=booking_id),
        UpdateBooking(actor=actor, booking_id=booking_id, notes="changed"),
        DeleteBooking(actor=actor, booking_id=booking_id),
    ]


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        (PARENT, ALLOWED),
        (ADMIN, ALLOWED),
        (OTHER_PARENT, NOT_FOUND),
        (TRAINER, NOT_FOUND),  # even the trainer of one of its sessions
        (OTHER_TRAINER, NOT_FOUND),
    ],
)
async def test_who_may_read_change_and_delete_a_booking(
    send: Send, database: FakeDatabase, actor: Actor, outcome: ErrorCode | None
) -> None:
    booking = await book(send)
    await assign(send, (await plan(send, booking.id)).id)
    before = len(database.outbox)

    for command in commands_on(actor, booking.id):
        if outcome is None:
            await send(command)
        else:
            assert (await refused(send, command)).code is outcome, command

    if outcome is None:
        assert booking.id not in database.bookings, "the last command deleted it"
    else:
        assert len(database.outbox) == before, "a refused request emits nothing"
        assert database.bookings[booking.id].notes is None, "and changes nothing"
