"""Contract: every reply the bookings service gives and every event it emits matches the
CHECKED-IN JSON Schema, byte for byte as it travels (not as our models would re-read it)."""

from datetime import date
from decimal import Decimal

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.micro.request import ERROR_HEADER

from contracts.bookings import (
    AssignTrainer,
    BookingDetails,
    BookingStatus,
    CancelSchedulesOfDay,
    ChildDetails,
    CreateBooking,
    CreateChild,
    CreateSchedule,
    DeleteBooking,
    DeleteChild,
    DeleteSchedule,
    GetBooking,
    GetChild,
    GetSchedule,
    ListBookings,
    ListChildren,
    ListPayments,
    ListSchedules,
    ListSchedulesOfDay,
    MakePayment,
    ScheduleCancelled,
    ScheduleDetails,
    SchedulesCancelledInBulk,
    ScheduleStatus,
    SubmitChildChecklist,
    UpdateBooking,
    UpdateChild,
    UpdateSchedule,
)
from contracts.envelope import Request
from messaging.codec import decode, encode
from testkit.contracts import assert_valid

from .conftest import ADMIN, PARENT, TESS, TOM, TRAINER, events_after
from .steps import DAY, at

pytestmark = pytest.mark.usefixtures("bookings")


async def exchange(nc: Client, message: Request) -> bytes:
    """Send a request exactly as `messaging.requests.request` would; return the raw reply."""
    body = encode(message)
    assert_valid(body, message.subject)  # what we send is in the contract too
    reply = await nc.request(message.subject, body, timeout=5)
    assert ERROR_HEADER not in (reply.headers or {}), reply.data
    assert_valid(reply.data, message.reply.__name__)
    return reply.data


async def test_every_reply_and_event_matches_the_checked_in_schemas(
    nc: Client, js: JetStreamContext
) -> None:
    created = decode(
        ChildDetails,
        await exchange(
            nc,
            CreateChild(
                actor=PARENT, parent_id=PARENT.user_id, name="Ada", date_of_birth=date(2018, 4, 1)
            ),
        ),
    )
    await exchange(
        nc,
        CreateChild(
            actor=ADMIN, parent_id=PARENT.user_id, name="Bo", date_of_birth=date(2019, 4, 1)
        ),
    )
    first_page = decode(ListChildren.reply, await exchange(nc, ListChildren(actor=PARENT, limit=1)))
    await exchange(nc, ListChildren(actor=PARENT, limit=1, cursor=first_page.next_cursor))
    await exchange(nc, ListChildren(actor=ADMIN))
    await exchange(nc, GetChild(actor=PARENT, child_id=created.id))
    await exchange(nc, UpdateChild(actor=PARENT, child_id=created.id, name="Ada L."))
    await exchange(
        nc,
        SubmitChildChecklist(
            actor=PARENT, child_id=created.id, answers={"allergies": ["nuts"], "swims": False}
        ),
    )
    await exchange(nc, GetChild(actor=ADMIN, child_id=created.id))
    await exchange(nc, DeleteChild(actor=PARENT, child_id=created.id))

    events = await events_after(js, 5)

    assert len(events) == 5
    for msg in events:
        assert_valid(msg.data or b"", msg.subject or "")


@pytest.mark.usefixtures("trainers")
async def test_bookings_sessions_and_payments_match_the_checked_in_schemas(
    nc: Client, js: JetStreamContext
) -> None:
    child = decode(
        ChildDetails,
        await exchange(
            nc,
            CreateChild(
                actor=PARENT, parent_id=PARENT.user_id, name="Ada", date_of_birth=date(2018, 4, 1)
            ),
        ),
    )
    booking = decode(
        BookingDetails,
        await exchange(nc, CreateBooking(actor=PARENT, child_id=child.id, notes="Tuesdays")),
    )
    kept = decode(BookingDetails, await exchange(nc, CreateBooking(actor=ADMIN, child_id=child.id)))
    await exchange(nc, ListBookings(actor=PARENT, status=BookingStatus.active, limit=1))
    await exchange(nc, GetBooking(actor=ADMIN, booking_id=booking.id))
    await exchange(nc, UpdateBooking(actor=PARENT, booking_id=booking.id, notes="Fridays"))

    async def plan(booking_id: int, start: str, end: str) -> ScheduleDetails:
        message = CreateSchedule(
            actor=PARENT,
            booking_id=booking_id,
            date=DAY,
            start_time=at(start),
            end_time=at(end),
            location="Pool",
        )
        return decode(ScheduleDetails, await exchange(nc, message))

    first = await plan(booking.id, "09:00", "10:00")
    second = await plan(booking.id, "11:00", "12:00")
    await exchange(nc, AssignTrainer(actor=ADMIN, schedule_id=first.id, trainer_id=TOM))
    await exchange(nc, AssignTrainer(actor=ADMIN, schedule_id=first.id, trainer_id=TESS))
    await exchange(nc, UpdateSchedule(actor=PARENT, schedule_id=second.id, end_time=at("12:30")))
    await exchange(nc, GetSchedule(actor=ADMIN, schedule_id=first.id))
    await exchange(nc, ListSchedules(actor=TRAINER, date_from=DAY, status=ScheduleStatus.scheduled))
    await exchange(nc, ListSchedules(actor=ADMIN, trainer_id=TESS))
    await exchange(nc, ListSchedulesOfDay(actor=ADMIN, date=DAY))
    await exchange(
        nc, MakePayment(actor=PARENT, booking_id=kept.id, amount=Decimal("12.5"), currency="GBP")
    )
    await exchange(nc, ListPayments(actor=PARENT, booking_id=kept.id))
    await exchange(nc, DeleteSchedule(actor=PARENT, schedule_id=second.id))
    await exchange(
        nc, UpdateBooking(actor=PARENT, booking_id=booking.id, status=BookingStatus.cancelled)
    )
    await exchange(nc, DeleteBooking(actor=ADMIN, booking_id=booking.id))
    await plan(kept.id, "09:00", "09:30")
    await exchange(nc, CancelSchedulesOfDay(actor=ADMIN, date=DAY, location="Pool"))

    # child; 2 bookings; 2 sessions; 2 assignments; moved; payment; deleted session; cancelled
    # booking (1 + its open session); deleted booking (1 + its session); a third session; the
    # day cancelled in bulk.
    events = await events_after(js, 17)
    assert len(events) == 17
    assert {msg.subject for msg in events} >= {
        ScheduleCancelled.subject,
        SchedulesCancelledInBulk.subject,
    }
    for msg in events:
        assert_valid(msg.data or b"", msg.subject or "")


def test_the_contract_check_itself_catches_a_broken_payload() -> None:
    good = {
        "id": 1,
        "parent_id": 2,
        "name": "Ada",
        "date_of_birth": "2018-04-01",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00+00:00",
    }
    assert_valid(good, "ChildDetails")

    for broken in (
        {k: v for k, v in good.items() if k != "name"},  # a required field is missing
        good | {"nickname": "A"},  # an unknown field
        good | {"id": "1"},  # a wrong type
        good | {"created_at": "2024-01-01T00:00:00"},  # a time without its zone
    ):
        with pytest.raises(AssertionError, match="breaks the contract"):
            assert_valid(broken, "ChildDetails")
    with pytest.raises(LookupError):
        assert_valid(good, "NoSuchReply")
