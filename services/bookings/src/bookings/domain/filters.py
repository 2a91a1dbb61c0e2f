"""What a list of sessions is narrowed to: who may see them, then the filters asked for."""

import datetime as dt
from dataclasses import dataclass, replace

from bookings.domain.schedule import Schedule
from contracts.bookings import ListSchedules, ScheduleStatus
from contracts.envelope import Role


@dataclass(frozen=True)
class ScheduleFilter:
    parent_id: int | None = None
    trainer_user_id: int | None = None
    booking_id: int | None = None
    child_id: int | None = None
    trainer_id: int | None = None
    status: ScheduleStatus | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @classmethod
    def of(cls, command: ListSchedules) -> "ScheduleFilter":
        """A parent sees their own sessions, a trainer those assigned to them, an admin all."""
        asked = cls(
            booking_id=command.booking_id,
            child_id=command.child_id,
            trainer_id=command.trainer_id,
            status=command.status,
            date_from=command.date_from,
            date_to=command.date_to,
        )
        actor = command.actor
        if actor.role is Role.parent:
            return replace(asked, parent_id=actor.user_id)
        if actor.role is Role.trainer:
            return replace(asked, trainer_user_id=actor.user_id)
        return asked

    def matches(self, session: Schedule) -> bool:
        """The same narrowing as the repository's query, in Python (for fakes)."""
        wanted = {
            "parent_id": self.parent_id,
            "trainer_user_id": self.trainer_user_id,
            "booking_id": self.booking_id,
            "child_id": self.child_id,
            "trainer_id": self.trainer_id,
            "status": self.status,
        }
        return (
            all(v is None or getattr(session, k) == v for k, v in wanted.items())
            and (self.date_from is None or session.date >= self.date_from)
            and (self.date_to is None or session.date <= self.date_to)
        )
