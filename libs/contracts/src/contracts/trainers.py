"""Trainers context: availability, absence requests, clock-in/out, current activity, logs."""

from datetime import date, datetime, time
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from contracts.envelope import Deleted, Event, Page, Reply, Request
from contracts.streams import StreamSpec

# The stream of this context's events (its `events` subtree only).
TRAINERS_EVENTS = StreamSpec("TRAINERS_EVENTS", ("trainers.events.>",))

REASON_MAX = 500
# A hard ceiling on one availability set; the service's own setting may be lower.
AVAILABILITY_DATES_MAX = 1000


class AbsenceStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


# --- trainer profiles ----------------------------------------------------------------------


class TrainerDetails(Reply):
    """A trainer profile, created for every user whose role is `trainer` (identity's
    `UserCreated`)."""

    id: int
    user_id: int
    name: str
    email: str
    created_at: datetime
    updated_at: datetime


class TrainerPage(Page):
    items: list[TrainerDetails]


class ListTrainers(Request[TrainerPage]):
    """Every trainer, for admins."""

    subject: ClassVar[str] = "trainers.requests.list_trainers"

    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


class GetTrainer(Request[TrainerDetails]):
    """One profile: an admin reads any, a trainer their own."""

    subject: ClassVar[str] = "trainers.requests.get_trainer"

    trainer_id: int


class GetMyTrainerProfile(Request[TrainerDetails]):
    """The profile of the trainer user making the request."""

    subject: ClassVar[str] = "trainers.requests.get_my_profile"


# --- availability --------------------------------------------------------------------------


class Availability(Reply):
    trainer_id: int
    dates: list[date]


class GetAvailability(Request[Availability]):
    """A trainer's available dates in order, optionally within `date_from`..`date_to`
    (inclusive). The trainer reads their own, an admin any."""

    subject: ClassVar[str] = "trainers.requests.get_availability"

    trainer_id: int
    date_from: date | None = None
    date_to: date | None = None


class ReplaceAvailability(Request[Availability]):
    """Replace the whole set of available dates in one transaction, then one
    `TrainerAvailabilityChanged`. Duplicates count once."""

    subject: ClassVar[str] = "trainers.requests.replace_availability"

    trainer_id: int
    dates: list[date] = Field(max_length=AVAILABILITY_DATES_MAX)


# --- absence requests ----------------------------------------------------------------------


class AbsenceRequestDetails(Reply):
    id: int
    trainer_id: int
    trainer_user_id: int
    start_date: date
    end_date: date
    reason: str
    status: AbsenceStatus
    decided_by: int | None = None
    decided_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class AbsenceRequestPage(Page):
    items: list[AbsenceRequestDetails]


class RequestAbsence(Request[AbsenceRequestDetails]):
    """A trainer asks to be away from `start_date` to `end_date` (inclusive)."""

    subject: ClassVar[str] = "trainers.requests.request_absence"

    trainer_id: int
    start_date: date
    end_date: date
    reason: str = Field(min_length=1, max_length=REASON_MAX)

    @field_validator("end_date")
    @classmethod
    def _ordered(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start_date")
        if start is not None and end < start:
            raise ValueError("end_date must not be before start_date")
        return end


class ListAbsenceRequests(Request[AbsenceRequestPage]):
    """A trainer's own requests; an admin's of every trainer (or one)."""

    subject: ClassVar[str] = "trainers.requests.list_absence_requests"

    trainer_id: int | None = None
    status: AbsenceStatus | None = None
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


class GetAbsenceRequest(Request[AbsenceRequestDetails]):
    subject: ClassVar[str] = "trainers.requests.get_absence_request"

    absence_request_id: int


class DecideAbsenceRequest(Request[AbsenceRequestDetails]):
    """An admin approves or rejects a pending request; a decided one stays decided."""

    subject: ClassVar[str] = "trainers.requests.decide_absence_request"

    absence_request_id: int
    status: Literal[AbsenceStatus.approved, AbsenceStatus.rejected]


class WithdrawAbsenceRequest(Request[Deleted]):
    """The trainer (or an admin) withdraws a request that is still pending."""

    subject: ClassVar[str] = "trainers.requests.withdraw_absence_request"

    absence_request_id: int


# --- assignability (asked by bookings before it assigns a trainer) ------------------------


class AssignabilityProblem(StrEnum):
    no_such_trainer = "no_such_trainer"
    not_available = "not_available"
    absent = "absent"


class Assignability(Reply):
    """Whether the trainer may take a session then, and if not, why (`problem`, and `reason` in
    words). Overlaps with other sessions are for bookings to check: it owns the sessions."""

    trainer_id: int
    assignable: bool
    problem: AssignabilityProblem | None = None
    reason: str | None = None
    trainer_user_id: int | None = None
    trainer_name: str | None = None


class CheckAssignable(Request[Assignability]):
    subject: ClassVar[str] = "trainers.requests.check_assignable"

    trainer_id: int
    date: date
    start_time: time
    end_time: time


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
