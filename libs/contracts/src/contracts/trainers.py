"""Trainers context: availability, absence requests, clock-in/out, current activity, logs."""

from datetime import date, datetime
from typing import ClassVar

from contracts.envelope import Event
from contracts.streams import StreamSpec

# The stream of this context's events (its `events` subtree only).
TRAINERS_EVENTS = StreamSpec("TRAINERS_EVENTS", ("trainers.events.>",))


class TrainerAvailabilityChanged(Event):
    """One event per bulk change, published after its transaction commits."""

    subject: ClassVar[str] = "trainers.events.availability.changed"

    trainer_id: int
    trainer_user_id: int
    dates: list[date]


class AbsenceRequestEvent(Event):
    absence_request_id: int
    trainer_id: int
    trainer_user_id: int
    status: str


class AbsenceRequestCreated(AbsenceRequestEvent):
    subject: ClassVar[str] = "trainers.events.absence_request.created"


class AbsenceRequestUpdated(AbsenceRequestEvent):
    subject: ClassVar[str] = "trainers.events.absence_request.updated"


class AbsenceRequestDeleted(AbsenceRequestEvent):
    subject: ClassVar[str] = "trainers.events.absence_request.deleted"


class SessionActivityEvent(Event):
    """Something a trainer did in a session that the parent and admins watch live."""

    schedule_id: int
    trainer_id: int
    trainer_user_id: int
    parent_id: int


class TrainerClockedIn(SessionActivityEvent):
    subject: ClassVar[str] = "trainers.events.time_entry.clocked_in"

    at: datetime


class TrainerClockedOut(SessionActivityEvent):
    subject: ClassVar[str] = "trainers.events.time_entry.clocked_out"

    at: datetime


class CurrentActivityUpdated(SessionActivityEvent):
    subject: ClassVar[str] = "trainers.events.current_activity.updated"

    activity: str
    location: str | None = None


class ActivityLogCreated(SessionActivityEvent):
    subject: ClassVar[str] = "trainers.events.activity_log.created"

    activity_log_id: int


class ActivityLogUpdated(SessionActivityEvent):
    subject: ClassVar[str] = "trainers.events.activity_log.updated"

    activity_log_id: int
