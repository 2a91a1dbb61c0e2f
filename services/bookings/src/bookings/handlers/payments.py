"""Payments: the booking's parent pays; the charge happens between two transactions, so no
database transaction waits on the processor, and a declined payment is kept as failed."""

import logging

from bookings.adapters.payments import Charge, PaymentProcessor
from bookings.domain import money
from bookings.domain.payment import Payment
from bookings.handlers.bookings import load_booking
from bookings.unit_of_work import UnitOfWork
from contracts.bookings import ListPayments, MakePayment, PaymentDetails, PaymentPage
from contracts.errors import ErrorCode, ServiceError
from database.paging import InvalidCursor

log = logging.getLogger(__name__)


def details(payment: Payment) -> PaymentDetails:
    reply = PaymentDetails.model_validate(payment, from_attributes=True)
    return reply.model_copy(update={"amount": money.in_currency(payment.amount, payment.currency)})


async def make_payment(
    command: MakePayment, uow: UnitOfWork, processor: PaymentProcessor
) -> PaymentDetails:
    actor = command.actor
    async with uow:
        booking = await load_booking(uow, actor, command.booking_id)
        payment = Payment.request(actor, booking, command.amount, command.currency)
        uow.payments.add(payment)
        await uow.commit()
    charge = await _charge(processor, payment)
    async with uow:
        stored = await uow.payments.get(payment.id or 0)
        if stored is None:
            raise ServiceError(ErrorCode.not_found, f"payment {payment.id} not found")
        stored.settle(actor, charge.approved, charge.reference, charge.reason)
        await uow.commit()
    if not charge.approved:
        raise ServiceError(ErrorCode.payment_declined, f"payment declined: {charge.reason}")
    return details(stored)


async def _charge(processor: PaymentProcessor, payment: Payment) -> Charge:
    """The processor's answer; a processor that cannot be asked fails the payment too."""
    try:
        return await processor.charge(payment)
    except Exception:
        log.exception("payment %s: the processor failed", payment.id)
        return Charge(approved=False, reason="the payment processor could not be reached")


async def list_payments(command: ListPayments, uow: UnitOfWork) -> PaymentPage:
    async with uow:
        await load_booking(uow, command.actor, command.booking_id)
        try:
            rows, cursor = await uow.payments.newest_first(
                command.booking_id, command.cursor, command.limit
            )
        except InvalidCursor as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        return PaymentPage(items=[details(payment) for payment in rows], next_cursor=cursor)
