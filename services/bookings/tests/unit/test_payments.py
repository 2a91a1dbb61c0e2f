"""Unit: money rules, paying for a booking (processed or declined), and who may pay or list."""

from decimal import Decimal

import pytest

from bookings.adapters.payments import Charge
from bookings.domain import money
from bookings.domain.payment import Payment
from contracts.bookings import (
    BookingStatus,
    ListPayments,
    MakePayment,
    PaymentProcessed,
    PaymentStatus,
    UpdateBooking,
)
from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError

from .conftest import ADMIN, DECLINED, OTHER_PARENT, PARENT, TRAINER, Send, sender
from .fakes import FakeDatabase, FakeTrainerDirectory
from .steps import book, refused


@pytest.mark.parametrize(
    ("amount", "currency", "stored"),
    [
        ("10", "GBP", "10.00"),
        ("10.5", "GBP", "10.50"),
        ("10.500", "GBP", "10.50"),  # the same value, written longer
        ("1000", "JPY", "1000"),
        ("1.234", "BHD", "1.234"),
        ("0.01", "EUR", "0.01"),
    ],
)
def test_an_amount_has_at_most_the_currencys_minor_units(
    amount: str, currency: str, stored: str
) -> None:
    assert str(money.checked(Decimal(amount), currency)) == stored


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("10.001", "GBP", "amount"),
        ("1.5", "JPY", "amount"),
        ("1.2345", "BHD", "amount"),
        ("10", "XXX", "currency"),  # no currency at all
        ("10", "ABC", "currency"),
        ("10", "HRK", "currency"),  # withdrawn in 2023
        ("10", "DEM", "currency"),
    ],
)
def test_other_amounts_and_currencies_are_invalid_naming_the_field(
    amount: str, currency: str, field: str
) -> None:
    with pytest.raises(ServiceError) as raised:
        money.checked(Decimal(amount), currency)
    assert raised.value.code is ErrorCode.invalid
    assert [f.loc for f in raised.value.fields] == [[field]]


async def test_a_parent_pays_and_the_payment_is_processed(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)

    paid = await send(
        MakePayment(actor=PARENT, booking_id=booking.id, amount=Decimal("20.5"), currency="GBP")
    )

    assert (paid.status, paid.amount, paid.currency, paid.payer_id) == (
        PaymentStatus.processed,
        Decimal("20.50"),
        "GBP",
        PARENT.user_id,
    )
    assert paid.reference is not None and paid.reference.startswith("dev_")
    assert paid.failure_reason is None
    event = database.outbox[-1]
    assert isinstance(event, PaymentProcessed)
    assert (event.payment_id, event.booking_id, event.payer_id, event.amount, event.currency) == (
        paid.id,
        booking.id,
        PARENT.user_id,
        Decimal("20.50"),
        "GBP",
    )
    assert database.commits >= 2, "recorded pending, then processed"


async def test_a_declined_payment_is_kept_as_failed_and_tells_no_one(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)
    before = len(database.outbox)

    error = await refused(
        send, MakePayment(actor=PARENT, booking_id=booking.id, amount=DECLINED, currency="GBP")
    )

    assert error.code is ErrorCode.payment_declined
    assert error.message == "payment declined: card declined (sandbox)"
    [failed] = database.payments.values()
    assert (failed.status, failed.failure_reason) == (
        PaymentStatus.failed,
        "card declined (sandbox)",
    )
    assert len(database.outbox) == before
    listed = await send(ListPayments(actor=PARENT, booking_id=booking.id))
    assert [p.status for p in listed.items] == [PaymentStatus.failed]


async def test_a_processor_that_cannot_be_reached_fails_the_payment(
    database: FakeDatabase, trainers: FakeTrainerDirectory
) -> None:
    class Broken:
        async def charge(self, payment: Payment, /) -> Charge:
            raise ConnectionError("no route")

    send = sender(database, trainers, Broken())
    booking = await book(send)

    error = await refused(
        send, MakePayment(actor=PARENT, booking_id=booking.id, amount=Decimal(5), currency="GBP")
    )

    assert error.code is ErrorCode.payment_declined
    assert error.message == "payment declined: the payment processor could not be reached"
    [failed] = database.payments.values()
    assert failed.status is PaymentStatus.failed


async def test_a_cancelled_booking_is_not_paid_for(send: Send, database: FakeDatabase) -> None:
    booking = await book(send)
    await send(UpdateBooking(actor=PARENT, booking_id=booking.id, status=BookingStatus.cancelled))

    error = await refused(
        send, MakePayment(actor=PARENT, booking_id=booking.id, amount=Decimal("5"), currency="GBP")
    )

    assert error.code is ErrorCode.conflict
    assert database.payments == {}


async def test_a_bad_amount_is_invalid_and_records_nothing(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)
    error = await refused(
        send,
        MakePayment(actor=PARENT, booking_id=booking.id, amount=Decimal("5.001"), currency="GBP"),
    )
    assert error.code is ErrorCode.invalid and [f.loc for f in error.fields] == [["amount"]]
    assert database.payments == {}


async def test_payments_list_newest_first_and_page(send: Send) -> None:
    booking = await book(send)
    ids = [
        (
            await send(
                MakePayment(actor=PARENT, booking_id=booking.id, amount=Decimal(n), currency="GBP")
            )
        ).id
        for n in (1, 2, 3)
    ]
    first = await send(ListPayments(actor=ADMIN, booking_id=booking.id, limit=2))
    rest = await send(ListPayments(actor=ADMIN, booking_id=booking.id, cursor=first.next_cursor))
    assert [p.id for p in first.items + rest.items] == ids[::-1]
    assert [str(p.amount) for p in first.items] == ["3.00", "2.00"]


@pytest.mark.parametrize(
    ("actor", "pays", "lists"),
    [
        (PARENT, None, None),
        (ADMIN, ErrorCode.forbidden, None),
        (OTHER_PARENT, ErrorCode.not_found, ErrorCode.not_found),
        (TRAINER, ErrorCode.not_found, ErrorCode.not_found),
    ],
)
async def test_who_may_pay_and_list_payments(
    send: Send,
    database: FakeDatabase,
    actor: Actor,
    pays: ErrorCode | None,
    lists: ErrorCode | None,
) -> None:
    booking = await book(send)
    pay = MakePayment(actor=actor, booking_id=booking.id, amount=Decimal("5"), currency="GBP")
    listing = ListPayments(actor=actor, booking_id=booking.id)

    if pays is None:
        await send(pay)
    else:
        assert (await refused(send, pay)).code is pays
        assert database.payments == {}
    if lists is None:
        await send(listing)
    else:
        assert (await refused(send, listing)).code is lists
