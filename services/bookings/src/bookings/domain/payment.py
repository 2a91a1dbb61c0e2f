"""A payment for a booking, by its parent: recorded pending before the charge, then processed
(which tells the rest of the system) or failed (which tells no one but the payer's reply)."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from bookings.domain import money
from contracts.bookings import BookingStatus, PaymentProcessed, PaymentStatus
from contracts.envelope import Actor, utc_now
from contracts.errors import ErrorCode, ServiceError
from domain import Aggregate

if TYPE_CHECKING:
    from bookings.domain.booking import Booking


class Payment(Aggregate):
    def __init__(self, booking_id: int, payer_id: int, amount: Decimal, currency: str) -> None:
        self.id: int | None = None
        self.booking_id = booking_id
        self.payer_id = payer_id
        self.amount = amount
        self.currency = currency
        self.status = PaymentStatus.pending
        self.reference: str | None = None
        self.failure_reason: str | None = None
        self.created_at: datetime = utc_now()
        self.updated_at: datetime = self.created_at

    @classmethod
    def request(cls, actor: Actor, booking: "Booking", amount: Decimal, currency: str) -> "Payment":
        """For a booking the actor may see (the handler found it so); only its parent pays."""
        if actor.user_id != booking.parent_id:
            raise ServiceError(ErrorCode.forbidden, "only the booking's parent pays for it")
        if booking.status != BookingStatus.active:
            raise ServiceError(ErrorCode.conflict, f"booking {booking.id} is cancelled")
        if booking.id is None:
            raise RuntimeError("only a made booking is paid for")
        return cls(booking.id, booking.parent_id, money.checked(amount, currency), currency)

    def settle(
        self, actor: Actor, approved: bool, reference: str | None, reason: str | None
    ) -> None:
        """The processor's answer: processed (PaymentProcessed) or failed (no event)."""
        if self.status != PaymentStatus.pending:
            raise ServiceError(ErrorCode.conflict, f"payment {self.id} is already {self.status}")
        self.reference = reference
        self.updated_at = utc_now()
        if not approved:
            self.status = PaymentStatus.failed
            self.failure_reason = reason or "declined"
            return
        self.status = PaymentStatus.processed
        self.record(
            PaymentProcessed(
                payment_id=self._id(),
                booking_id=self.booking_id,
                payer_id=self.payer_id,
                amount=money.in_currency(self.amount, self.currency),
                currency=self.currency,
                actor=actor,
            )
        )

    def _id(self) -> int:
        if self.id is None:
            raise RuntimeError("a payment is settled only once it is recorded")
        return self.id
