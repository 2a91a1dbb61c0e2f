"""A booking: a child's, made by its parent (or an admin for them), its notes changed,
cancelled with its open sessions, or removed with them. Each change records its event, which
names the trainers of the booking's sessions (they see the booking too: docs/triggers.md)."""

from collections.abc import Sequence
from typing import TypeVar

from bookings.domain.child import Child
from bookings.domain.payment import Payment
from bookings.domain.schedule import Schedule
from contracts.bookings import (
    BookingCreated,
    BookingDeleted,
    BookingStatus,
    BookingUpdated,
    PaymentStatus,
    ScheduleStatus,
)
from contracts.envelope import Actor, utc_now
from contracts.errors import ErrorCode, ServiceError
from domain import Aggregate

E = TypeVar("E", BookingUpdated, BookingDeleted)


def trainers_of(sessions: Sequence[Schedule]) -> list[int]:
    """The distinct trainer users of these sessions, in order."""
    return sorted({s.trainer_user_id for s in sessions if s.trainer_user_id is not None})


class Booking(Aggregate):
    def __init__(self, child_id: int, parent_id: int, notes: str | None) -> None:
        self.id: int | None = None
        self.child_id = child_id
        self.parent_id = parent_id
        self.status = BookingStatus.active
        self.notes = notes
        self.created_at = self.updated_at = utc_now()

    @classmethod
    def book(cls, actor: Actor, child: Child, notes: str | None) -> "Booking":
        """For a child the actor may act for (the handler found it so)."""
        if child.id is None:
            raise RuntimeError("only a registered child is booked")
        booking = cls(child.id, child.parent_id, notes)
        booking.record_once_identified(
            lambda booking_id: BookingCreated(
                booking_id=booking_id, parent_id=child.parent_id, actor=actor
            )
        )
        return booking

    def change(
        self,
        actor: Actor,
        notes: str | None,
        status: BookingStatus | None,
        sessions: Sequence[Schedule],
    ) -> None:
        """None leaves a field as it is. Cancelling cancels the sessions still scheduled."""
        if self.status != BookingStatus.active:
            raise ServiceError(ErrorCode.conflict, f"booking {self.id} is cancelled")
        if notes is not None:
            self.notes = notes
        if status == BookingStatus.cancelled:
            self.status = BookingStatus.cancelled
            for session in sessions:
                if session.status == ScheduleStatus.scheduled:
                    session.cancel(actor)
        self.updated_at = utc_now()
        self.record(self._event(BookingUpdated, actor, sessions))

    def remove(
        self, actor: Actor, sessions: Sequence[Schedule], payments: Sequence[Payment]
    ) -> None:
        """With its sessions and its failed payments; money taken (or being taken) keeps it."""
        for payment in payments:
            if payment.status == PaymentStatus.processed:
                raise ServiceError(
                    ErrorCode.conflict,
                    f"booking {self.id} has a processed payment; cancel it instead",
                )
            if payment.status == PaymentStatus.pending:
                raise ServiceError(
                    ErrorCode.conflict, f"booking {self.id} has a payment in progress"
                )
        event = self._event(BookingDeleted, actor, sessions)
        for session in sessions:
            session.remove(actor)
        for payment in payments:
            payment.mark_removed()
        self.mark_removed()
        self.record(event)

    def _event(self, kind: type[E], actor: Actor, sessions: Sequence[Schedule]) -> E:
        if self.id is None:
            raise RuntimeError("a booking changes only once it is made")
        return kind(
            booking_id=self.id,
            parent_id=self.parent_id,
            trainer_user_ids=trainers_of(sessions),
            actor=actor,
        )
