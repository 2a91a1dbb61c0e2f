"""Integration: paying for a booking over NATS: processed (with its event), declined (kept as
failed, no event), refused amounts and currencies, on SQLite and PostgreSQL."""

from decimal import Decimal

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.bookings import (
    BookingStatus,
    DeleteBooking,
    ListPayments,
    MakePayment,
    PaymentProcessed,
    PaymentStatus,
    UpdateBooking,
)
from contracts.envelope import Actor
from contracts.errors import ErrorCode
from messaging.requests import request
from testkit.contracts import assert_valid

from .conftest import ADMIN, DECLINED, OTHER_PARENT, PARENT, events_after, stream_events, typed
from .steps import book, refused

pytestmark = pytest.mark.usefixtures("bookings")


async def test_a_parent_pays_and_the_payment_is_processed(nc: Client, js: JetStreamContext) -> None:
    booking = await book(nc)

    paid = await request(
        nc, MakePayment(actor=PARENT, booking_id=booking.id, amount=Decimal("42.5"), currency="GBP")
    )

    assert (paid.status, paid.amount, paid.currency) == (
        PaymentStatus.processed,
        Decimal("42.50"),
        "GBP",
    )
    assert paid.reference is not None and paid.reference.startswith("dev_")
    [msg] = [m for m in await events_after(js, 3) if m.subject == PaymentProcessed.subject]
    assert_valid(msg.data or b"", msg.subject or "")
    event = typed(msg)
    assert isinstance(event, PaymentProcessed)
    assert (event.payment_id, event.payer_id, event.amount, event.currency) == (
        paid.id,
        PARENT.user_id,
        Decimal("42.50"),
        "GBP",
    )
    listed = await request(nc, ListPayments(actor=ADMIN, booking_id=booking.id))
    assert [(p.id, p.amount) for p in listed.items] == [(paid.id, Decimal("42.50"))]
    error = await refused(nc, DeleteBooking(actor=PARENT, booking_id=booking.id))
    assert error.code is ErrorCode.conflict


async def test_a_declined_payment_is_payment_declined_and_kept_as_failed(
    nc: Client, js: JetStreamContext
) -> None:
    booking = await book(nc)
    count = len(await events_after(js, 2))

    error = await refused(
        nc, MakePayment(actor=PARENT, booking_id=booking.id, amount=DECLINED, currency="GBP")
    )

    assert (error.code, error.message) == (
        ErrorCode.payment_declined,
        "payment declined: card declined (sandbox)",
    )
    [failed] = (await request(nc, ListPayments(actor=PARENT, booking_id=booking.id))).items
    assert (failed.status, failed.amount, failed.failure_reason) == (
        PaymentStatus.failed,
        DECLINED,
        "card declined (sandbox)",
    )
    assert len(await stream_events(js)) == count, "a failed payment tells no one"


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [("1.001", "GBP", "amount"), ("100.5", "JPY", "amount"), ("10", "HRK", "currency")],
)
async def test_amounts_beyond_the_currency_and_old_currencies_are_invalid(
    nc: Client, amount: str, currency: str, field: str
) -> None:
    booking = await book(nc)
    message = MakePayment(
        actor=PARENT, booking_id=booking.id, amount=Decimal(amount), currency=currency
    )

    error = await refused(nc, message)

    assert error.code is ErrorCode.invalid and [f.loc for f in error.fields] == [[field]]
    assert (await request(nc, ListPayments(actor=PARENT, booking_id=booking.id))).items == []


async def test_yen_have_no_minor_units(nc: Client) -> None:
    booking = await book(nc)
    paid = await request(
        nc, MakePayment(actor=PARENT, booking_id=booking.id, amount=Decimal(1500), currency="JPY")
    )
    assert str(paid.amount) == "1500"


async def test_only_the_parent_pays_for_an_active_booking(nc: Client) -> None:
    booking = await book(nc)

    def pay(actor: Actor) -> MakePayment:
        return MakePayment(actor=actor, booking_id=booking.id, amount=Decimal(5), currency="EUR")

    assert (await refused(nc, pay(ADMIN))).code is ErrorCode.forbidden
    assert (await refused(nc, pay(OTHER_PARENT))).code is ErrorCode.not_found
    await request(
        nc, UpdateBooking(actor=PARENT, booking_id=booking.id, status=BookingStatus.cancelled)
    )
    assert (await refused(nc, pay(PARENT))).code is ErrorCode.conflict
