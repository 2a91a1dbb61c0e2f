"""A trainer's calendar: a session's slot, and the rule that a trainer's sessions of one day
do not overlap. Slots that only touch (09:00-10:00 and 10:00-11:00) do not overlap."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from bookings.domain.errors import invalid
from contracts.bookings import ScheduleStatus
from contracts.errors import ErrorCode, ServiceError


@dataclass(frozen=True)
class Slot:
    date: dt.date
    start: dt.time
    end: dt.time

    def require_valid(self, new_date: bool) -> None:
        """It ends after it starts, and a new date is not in the past (invalid, naming the
        field, as the contract's own validation would)."""
        if self.end <= self.start:
            raise invalid("end_time", "end_time must be after start_time")
        if new_date and self.date < dt.date.today():
            raise invalid("date", "a session cannot be in the past")

    def overlaps(self, other: "Slot") -> bool:
        return self.date == other.date and self.start < other.end and other.start < self.end

    def __str__(self) -> str:
        return f"{self.date.isoformat()} from {self.start:%H:%M} to {self.end:%H:%M}"


@dataclass(frozen=True)
class Entry:
    """What a check of a session's trainer relied on: if any of it changes before the change
    is saved, the check is stale."""

    slot: Slot
    status: ScheduleStatus
    trainer_id: int | None


class Booked(Protocol):
    """A session as the overlap rule sees it."""

    @property
    def id(self) -> int | None: ...

    @property
    def status(self) -> ScheduleStatus: ...

    @property
    def slot(self) -> Slot: ...


def require_free(trainer_name: str, slot: Slot, session_id: int, others: Iterable[Booked]) -> None:
    """Conflict naming the first of the trainer's other live sessions that `slot` overlaps."""
    clashes = [
        other
        for other in others
        if other.id != session_id
        and other.status != ScheduleStatus.cancelled
        and other.slot.overlaps(slot)
    ]
    if clashes:
        first = min(clashes, key=lambda other: (other.slot.start, other.id or 0))
        raise ServiceError(
            ErrorCode.conflict, f"{trainer_name} already has session {first.id} on {first.slot}"
        )
