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
    start_date: date | None = None
    end_date: date | None = None


class AbsenceRequestCreated(AbsenceRequestEvent):
    subject: ClassVar[str] = "trainers.events.absence_request.created"


class AbsenceRequestUpdated(AbsenceRequestEvent):
    subject: ClassVar[str] = "trainers.events.absence_request.updated"


class AbsenceRequestDeleted(AbsenceRequestEvent):
    subject: ClassVar[str] = "trainers.events.absence_request.deleted"


# --- the trainer's day: time entries, current activity, activity logs ---------------------

ACTIVITY_MAX = 200
NOTES_MAX = 2000
LOCATION_MAX = 200


class CurrentActivity(Reply):
    """What the trainer last said they are doing in a session, and when."""

    activity: str
    location: str | None = None
    at: datetime


class ActivityLogDetails(Reply):
    id: int
    schedule_id: int
    trainer_id: int
    activity: str
    notes: str | None = None
    created_at: datetime
    updated_at: datetime


class ActivityLogPage(Page):
    items: list[ActivityLogDetails]


class SessionActivity(Reply):
    """The trainer's side of one session: clock-in and clock-out (UTC), the latest activity, and
    (when asked for one session) its activity logs, newest first."""

    schedule_id: int
    trainer_id: int | None = None
    clocked_in_at: datetime | None = None
    clock_in_location: str | None = None
    clocked_out_at: datetime | None = None
    clock_out_location: str | None = None
    current_activity: CurrentActivity | None = None
    activity_logs: list[ActivityLogDetails] = []


class ClockIn(Request[SessionActivity]):
    """The session's assigned trainer clocks in, on the session's date (in the business time
    zone). On another day only an admin clocks in for them, saying so with
    `outside_session_date: true`."""

    subject: ClassVar[str] = "trainers.requests.clock_in"

    schedule_id: int
    location: str | None = Field(default=None, min_length=1, max_length=LOCATION_MAX)
    outside_session_date: bool = False


class ClockOut(Request[SessionActivity]):
    """The assigned trainer (or an admin for them) clocks out, after clocking in."""

    subject: ClassVar[str] = "trainers.requests.clock_out"

    schedule_id: int
    location: str | None = Field(default=None, min_length=1, max_length=LOCATION_MAX)


class UpdateCurrentActivity(Request[SessionActivity]):
    """What the assigned trainer is doing now; only while clocked in."""

    subject: ClassVar[str] = "trainers.requests.update_current_activity"

    schedule_id: int
    activity: str = Field(min_length=1, max_length=ACTIVITY_MAX)
    location: str | None = Field(default=None, min_length=1, max_length=LOCATION_MAX)


class GetSessionActivity(Request[SessionActivity]):
    """One session's clock state, latest activity and activity logs, for whoever may see the
    session (its parent, its trainer, an admin)."""

    subject: ClassVar[str] = "trainers.requests.get_session_activity"

    schedule_id: int


class DayActivity(Reply):
    items: list[SessionActivity]


class GetDayActivity(Request[DayActivity]):
    """Admins: the clock state and latest activity of many sessions in one answer (no activity
    logs); sessions with none are left out."""

    subject: ClassVar[str] = "trainers.requests.get_day_activity"

    schedule_ids: list[int] = Field(max_length=5000)


class CreateActivityLog(Request[ActivityLogDetails]):
    subject: ClassVar[str] = "trainers.requests.create_activity_log"

    schedule_id: int
    activity: str = Field(min_length=1, max_length=ACTIVITY_MAX)
    notes: str | None = Field(default=None, max_length=NOTES_MAX)


class UpdateActivityLog(Request[ActivityLogDetails]):
    """The trainer who wrote a log changes it; None leaves a field as it is."""

    subject: ClassVar[str] = "trainers.requests.update_activity_log"

    activity_log_id: int
    activity: str | None = Field(default=None, min_length=1, max_length=ACTIVITY_MAX)
    notes: str | None = Field(default=None, max_length=NOTES_MAX)


class ListActivityLogs(Request[ActivityLogPage]):
    """A session's activity logs, newest first: its trainer, its parent, admins."""

    subject: ClassVar[str] = "trainers.requests.list_activity_logs"

    schedule_id: int
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


# --- events ------------------------------------------------------------------------------


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
