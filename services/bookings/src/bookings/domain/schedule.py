"""A session (BookingSchedule) of a booking: planned, moved, cancelled or completed, given a
trainer, removed. It copies its booking's child and parent ids so that queries need no joins
(the child's current name is read with it: `adapters.tables`); its trainer is as the trainers
service named them at assignment."""

import datetime as dt
from typing import TYPE_CHECKING, TypeVar

from bookings.domain.calendar import Entry, Slot
from contracts.bookings import (
    BookingStatus,
    ScheduleCancelled,
    ScheduleCreated,
    ScheduleDeleted,
    ScheduleStatus,
    ScheduleUpdated,
    TrainerAssigned,
)
from contracts.envelope import Actor, Role, utc_now
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import Assignability
from domain import Aggregate

if TYPE_CHECKING:
    from bookings.domain.booking import Booking

E = TypeVar("E", ScheduleCreated, ScheduleUpdated, ScheduleDeleted)

NEXT = {ScheduleStatus.scheduled: {ScheduleStatus.cancelled, ScheduleStatus.completed}}


class Schedule(Aggregate):
    noun = "session"  # how a conflict names it

    def __init__(self, booking: "Booking", child_name: str, slot: Slot, location: str) -> None:
        self.id: int | None = None
        if booking.id is None:
            raise RuntimeError("only a made booking gets sessions")
        self.booking_id: int = booking.id
        self.child_id = booking.child_id
        self.parent_id = booking.parent_id
        self.child_name = child_name
        self.date, self.start_time, self.end_time = slot.date, slot.start, slot.end
        self.location = location
        self.status = ScheduleStatus.scheduled
        self.trainer_id: int | None = None
        self.trainer_user_id: int | None = None
        self.trainer_name: str | None = None
        self.created_at = self.updated_at = utc_now()

    @classmethod
    def plan(
        cls, actor: Actor, booking: "Booking", child_name: str, slot: Slot, location: str
    ) -> "Schedule":
        if booking.status != BookingStatus.active:
            raise ServiceError(ErrorCode.conflict, f"booking {booking.id} is cancelled")
        slot.require_valid(new_date=True)
        session = cls(booking, child_name, slot, location)
        session.record_once_identified(lambda id: session._event(ScheduleCreated, actor, id))
        return session

    @property
    def slot(self) -> Slot:
        return Slot(self.date, self.start_time, self.end_time)

    @property
    def entry(self) -> Entry:
        return Entry(self.slot, self.status, self.trainer_id)

    def moved(self, date: dt.date | None, start: dt.time | None, end: dt.time | None) -> Slot:
        """The slot after a partial change, checked against the stored values."""
        slot = Slot(
            self.date if date is None else date,
            self.start_time if start is None else start,
            self.end_time if end is None else end,
        )
        slot.require_valid(new_date=slot.date != self.date)
        return slot

    def change(
        self, actor: Actor, slot: Slot, location: str | None, status: ScheduleStatus | None
    ) -> None:
        if status == ScheduleStatus.completed and actor.role is Role.parent:
            raise ServiceError(ErrorCode.forbidden, "a parent may not mark a session completed")
        if slot != self.slot and self.trainer_id is not None and actor.role is not Role.admin:
            # Moving it books the trainer's time anew, which is an admin's to do (and the
            # trainers service answers only admins: contracts.trainers.CheckAssignable).
            message = "a session that has a trainer is moved by an admin"
            raise ServiceError(ErrorCode.forbidden, message)
        self.require_open("changed")
        if status is not None and status != self.status and status not in NEXT[self.status]:
            raise ServiceError(ErrorCode.conflict, f"a {self.status} session cannot be {status}")
        self.date, self.start_time, self.end_time = slot.date, slot.start, slot.end
        if location is not None:
            self.location = location
        cancelled = status == ScheduleStatus.cancelled and self.status != status
        if status is not None:
            self.status = status
        self.updated_at = utc_now()
        self.record(self._cancelled(actor) if cancelled else self._event(ScheduleUpdated, actor))

    def assign(self, actor: Actor, trainer: Assignability) -> bool:
        """Give the session this trainer; False (nothing recorded) if they have it already."""
        self.require_open("assigned")
        if trainer.trainer_id == self.trainer_id:
            return False
        previous = self.trainer_user_id
        self.trainer_id, self.trainer_user_id = trainer.trainer_id, trainer.trainer_user_id
        self.trainer_name = trainer.trainer_name
        self.updated_at = utc_now()
        self.record(
            TrainerAssigned(
                schedule_id=self._id(),
                booking_id=self.booking_id,
                parent_id=self.parent_id,
                trainer_user_id=self.trainer_user_id,
                trainer_id=trainer.trainer_id,
                session_date=self.date,
                previous_trainer_user_id=previous,
                trainer_name=self.trainer_name,
                child_name=self.child_name,
                start_time=self.start_time,
                actor=actor,
            )
        )
        return True

    def cancel(self, actor: Actor) -> None:
        self.cancel_quietly()
        self.record(self._cancelled(actor))

    def cancel_quietly(self) -> None:
        """Cancelled as part of a bulk change, whose one event the caller records."""
        self.require_open("cancelled")
        self.status = ScheduleStatus.cancelled
        self.updated_at = utc_now()

    def remove(self, actor: Actor) -> None:
        self.mark_removed()
        self.record(self._event(ScheduleDeleted, actor))

    def require_open(self, what: str) -> None:
        if self.status != ScheduleStatus.scheduled:
            message = f"session {self.id} is {self.status}; it cannot be {what}"
            raise ServiceError(ErrorCode.conflict, message)

    def _event(self, kind: type[E], actor: Actor, id: int | None = None) -> E:
        return kind(
            schedule_id=id or self._id(),
            booking_id=self.booking_id,
            parent_id=self.parent_id,
            trainer_user_id=self.trainer_user_id,
            actor=actor,
        )

    def _cancelled(self, actor: Actor) -> ScheduleCancelled:
        return ScheduleCancelled(
            schedule_id=self._id(),
            booking_id=self.booking_id,
            parent_id=self.parent_id,
            trainer_user_id=self.trainer_user_id,
            session_date=self.date,
            start_time=self.start_time,
            child_name=self.child_name,
            actor=actor,
        )

    def _id(self) -> int:
        if self.id is None:
            raise RuntimeError("a session changes only once it is planned")
        return self.id
