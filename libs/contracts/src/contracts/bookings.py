"""Bookings context: children (with checklist), bookings, sessions (schedules), payments."""

import datetime as dt
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from contracts.envelope import Deleted, Event, Page, Reply, Request
from contracts.streams import StreamSpec

# The stream of this context's events (its `events` subtree only).
BOOKINGS_EVENTS = StreamSpec("BOOKINGS_EVENTS", ("bookings.events.>",))


NAME_MAX = 120
NOTES_MAX = 2000
LOCATION_MAX = 200


class BookingStatus(StrEnum):
    active = "active"
    cancelled = "cancelled"


class ScheduleStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"
    completed = "completed"


class PaymentStatus(StrEnum):
    pending = "pending"
    processed = "processed"
    failed = "failed"


# --- children: replies -------------------------------------------------------------------


class ChildDetails(Reply):
    id: int
    parent_id: int
    name: str
    date_of_birth: date
    checklist: dict[str, Any] | None = None
    checklist_submitted_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class ChildPage(Page):
    items: list[ChildDetails]


# --- children: requests ------------------------------------------------------------------


def _not_in_future(value: date) -> date:
    if value > date.today():
        raise ValueError("date_of_birth cannot be in the future")
    return value


class CreateChild(Request[ChildDetails]):
    """Create a child for `parent_id` (a parent always creates for themself)."""

    subject: ClassVar[str] = "bookings.requests.create_child"

    parent_id: int
    name: str = Field(min_length=1, max_length=NAME_MAX)
    date_of_birth: date

    _dob = field_validator("date_of_birth")(_not_in_future)


class ListChildren(Request[ChildPage]):
    """A parent's own children; an admin sees every child (or one parent's)."""

    subject: ClassVar[str] = "bookings.requests.list_children"

    parent_id: int | None = None
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


class GetChild(Request[ChildDetails]):
    subject: ClassVar[str] = "bookings.requests.get_child"

    child_id: int


class UpdateChild(Request[ChildDetails]):
    subject: ClassVar[str] = "bookings.requests.update_child"

    child_id: int
    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX)
    date_of_birth: date | None = None

    @field_validator("date_of_birth")
    @classmethod
    def _dob(cls, value: date | None) -> date | None:
        return None if value is None else _not_in_future(value)


class DeleteChild(Request[Deleted]):
    subject: ClassVar[str] = "bookings.requests.delete_child"

    child_id: int


class SubmitChildChecklist(Request[ChildDetails]):
    subject: ClassVar[str] = "bookings.requests.submit_child_checklist"

    child_id: int
    answers: dict[str, Any] = Field(min_length=1)


# --- bookings ----------------------------------------------------------------------------


class BookingDetails(Reply):
    id: int
    child_id: int
    parent_id: int
    status: BookingStatus
    notes: str | None = None
    created_at: datetime
    updated_at: datetime


class BookingPage(Page):
    items: list[BookingDetails]


class CreateBooking(Request[BookingDetails]):
    """Book for a child; a parent books only their own children, an admin any child."""

    subject: ClassVar[str] = "bookings.requests.create_booking"

    child_id: int
    notes: str | None = Field(default=None, max_length=NOTES_MAX)


class ListBookings(Request[BookingPage]):
    """A parent's own bookings; an admin's of everyone (or one parent's)."""

    subject: ClassVar[str] = "bookings.requests.list_bookings"

    parent_id: int | None = None
    child_id: int | None = None
    status: BookingStatus | None = None
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


class GetBooking(Request[BookingDetails]):
    subject: ClassVar[str] = "bookings.requests.get_booking"

    booking_id: int


class UpdateBooking(Request[BookingDetails]):
    """Change the notes, or cancel (`status: cancelled`, which cancels its open sessions too).
    A cancelled booking stays cancelled."""

    subject: ClassVar[str] = "bookings.requests.update_booking"

    booking_id: int
    notes: str | None = Field(default=None, max_length=NOTES_MAX)
    status: BookingStatus | None = None


class DeleteBooking(Request[Deleted]):
    """Remove a booking and its sessions. A booking with a processed payment is kept (cancel it
    instead): deleting it is a conflict."""

    subject: ClassVar[str] = "bookings.requests.delete_booking"

    booking_id: int


# --- sessions (BookingSchedule) ------------------------------------------------------------


class ScheduleDetails(Reply):
    """A session, with what other services and pages need to show it: the child, the parent,
    and the assigned trainer (profile id, user id and name as known at assignment)."""

    id: int
    booking_id: int
    child_id: int
    child_name: str
    parent_id: int
    date: date
    start_time: time
    end_time: time
    location: str
    status: ScheduleStatus
    trainer_id: int | None = None
    trainer_user_id: int | None = None
    trainer_name: str | None = None
    created_at: datetime
    updated_at: datetime


class SchedulePage(Page):
    items: list[ScheduleDetails]


def _ends_after_start(end: time | None, info: ValidationInfo) -> time | None:
    """On `end_time`, so that a 422 names that field."""
    start = info.data.get("start_time")
    if start is not None and end is not None and end <= start:
        raise ValueError("end_time must be after start_time")
    return end


class CreateSchedule(Request[ScheduleDetails]):
    """Add a session to a booking (its parent, or an admin)."""

    subject: ClassVar[str] = "bookings.requests.create_schedule"

    booking_id: int
    date: date
    start_time: time
    end_time: time
    location: str = Field(min_length=1, max_length=LOCATION_MAX)

    _end = field_validator("end_time")(_ends_after_start)


class ListSchedules(Request[SchedulePage]):
    """Sessions the actor may see: a parent's own, a trainer's assigned ones, every one for an
    admin; narrowed by the filters given. Dates are inclusive."""

    subject: ClassVar[str] = "bookings.requests.list_schedules"

    booking_id: int | None = None
    child_id: int | None = None
    trainer_id: int | None = None
    status: ScheduleStatus | None = None
    date_from: date | None = None
    date_to: date | None = None
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


class GetSchedule(Request[ScheduleDetails]):
    """One session: its parent, its assigned trainer, or an admin. Other services ask this for a
    session's parent id and trainer user id."""

    subject: ClassVar[str] = "bookings.requests.get_schedule"

    schedule_id: int


class UpdateSchedule(Request[ScheduleDetails]):
    """Change a session's slot or place, or its status (`cancelled`, `completed`). None leaves a
    field as it is."""

    subject: ClassVar[str] = "bookings.requests.update_schedule"

    schedule_id: int
    # `dt.date`: the field's default would otherwise shadow the type in this class body.
    date: dt.date | None = None
    start_time: time | None = None
    end_time: time | None = None
    location: str | None = Field(default=None, min_length=1, max_length=LOCATION_MAX)
    status: ScheduleStatus | None = None

    _end = field_validator("end_time")(_ends_after_start)


class DeleteSchedule(Request[Deleted]):
    subject: ClassVar[str] = "bookings.requests.delete_schedule"

    schedule_id: int


class AssignTrainer(Request[ScheduleDetails]):
    """An admin assigns a trainer (by trainer profile id) to a session, checked with the
    trainers service (`trainers.CheckAssignable`) and against the trainer's other sessions."""

    subject: ClassVar[str] = "bookings.requests.assign_trainer"

    schedule_id: int
    trainer_id: int


class SchedulesCancelled(Reply):
    date: date
    location: str | None = None
    schedule_ids: list[int]


class CancelSchedulesOfDay(Request[SchedulesCancelled]):
    """An admin's bulk action: cancel every scheduled session of `date` (at `location` only, when
    given) in one transaction, followed by one admin-only refresh."""

    subject: ClassVar[str] = "bookings.requests.cancel_schedules_of_day"

    date: date
    location: str | None = Field(default=None, min_length=1, max_length=LOCATION_MAX)


class DaySchedules(Reply):
    date: date
    items: list[ScheduleDetails]


class ListSchedulesOfDay(Request[DaySchedules]):
    """Every session of one date with its child and trainer, in start-time order (an admin's
    "Today" view). Not paged: one day is bounded."""

    subject: ClassVar[str] = "bookings.requests.list_schedules_of_day"

    date: date


# --- payments ------------------------------------------------------------------------------


class PaymentDetails(Reply):
    id: int
    booking_id: int
    payer_id: int
    amount: Decimal
    currency: str
    status: PaymentStatus
    reference: str | None = None
    failure_reason: str | None = None
    created_at: datetime
    updated_at: datetime


class PaymentPage(Page):
    items: list[PaymentDetails]


class MakePayment(Request[PaymentDetails]):
    """Pay for a booking (its parent). `amount` has at most the currency's minor units (2 for
    GBP, 0 for JPY); `currency` is an ISO 4217 code. A declined payment is recorded as failed
    and answered with `payment_declined`."""

    subject: ClassVar[str] = "bookings.requests.make_payment"

    booking_id: int
    amount: Decimal = Field(gt=0, max_digits=12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class ListPayments(Request[PaymentPage]):
    subject: ClassVar[str] = "bookings.requests.list_payments"

    booking_id: int
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


# --- events ------------------------------------------------------------------------------


class ChildEvent(Event):
    child_id: int
    parent_id: int


class ChildCreated(ChildEvent):
    subject: ClassVar[str] = "bookings.events.child.created"


class ChildUpdated(ChildEvent):
    subject: ClassVar[str] = "bookings.events.child.updated"


class ChildDeleted(ChildEvent):
    subject: ClassVar[str] = "bookings.events.child.deleted"


class ChildChecklistSubmitted(ChildEvent):
    subject: ClassVar[str] = "bookings.events.child.checklist_submitted"

    child_name: str


class BookingEvent(Event):
    booking_id: int
    parent_id: int
    trainer_user_ids: list[int] = []


class BookingCreated(BookingEvent):
    subject: ClassVar[str] = "bookings.events.booking.created"


class BookingUpdated(BookingEvent):
    subject: ClassVar[str] = "bookings.events.booking.updated"


class BookingDeleted(BookingEvent):
    subject: ClassVar[str] = "bookings.events.booking.deleted"


class ScheduleEvent(Event):
    schedule_id: int
    booking_id: int
    parent_id: int
    trainer_user_id: int | None = None


class ScheduleCreated(ScheduleEvent):
    subject: ClassVar[str] = "bookings.events.schedule.created"


class ScheduleUpdated(ScheduleEvent):
    subject: ClassVar[str] = "bookings.events.schedule.updated"


class ScheduleDeleted(ScheduleEvent):
    subject: ClassVar[str] = "bookings.events.schedule.deleted"


class ScheduleCancelled(ScheduleEvent):
    """A session was cancelled: by its parent, by an admin, or with its booking. (The admin's
    bulk cancel of a day is one `SchedulesCancelledInBulk` instead.)"""

    subject: ClassVar[str] = "bookings.events.schedule.cancelled"

    session_date: date
    start_time: time
    child_name: str


class SchedulesCancelledInBulk(Event):
    """An admin cancelled every scheduled session of a day at once: one event for the whole
    change, naming whom it touched."""

    subject: ClassVar[str] = "bookings.events.schedule.cancelled_in_bulk"

    date: date
    location: str | None = None
    schedule_ids: list[int]
    parent_ids: list[int]
    trainer_user_ids: list[int]


class TrainerAssigned(ScheduleEvent):
    """A trainer was assigned to a session; the schedule's trainer fields name them. A trainer
    replaced by this assignment is `previous_trainer_user_id`: their calendar changed too."""

    subject: ClassVar[str] = "bookings.events.schedule.trainer_assigned"

    trainer_id: int
    session_date: date
    previous_trainer_user_id: int | None = None
    trainer_name: str | None = None
    child_name: str | None = None
    start_time: time | None = None


class PaymentProcessed(Event):
    subject: ClassVar[str] = "bookings.events.payment.processed"

    payment_id: int
    booking_id: int
    payer_id: int
    amount: Decimal
    currency: str = Field(min_length=3, max_length=3)
