"""Bookings context: children (with checklist), bookings, sessions (schedules), payments."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import Field, field_validator

from contracts.envelope import Deleted, Event, Page, Reply, Request
from contracts.streams import StreamSpec

# The stream of this context's events (its `events` subtree only).
BOOKINGS_EVENTS = StreamSpec("BOOKINGS_EVENTS", ("bookings.events.>",))


NAME_MAX = 120


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


class TrainerAssigned(ScheduleEvent):
    """A trainer was assigned to a session; the schedule's trainer fields name them."""

    subject: ClassVar[str] = "bookings.events.schedule.trainer_assigned"

    trainer_id: int
    session_date: date


class PaymentProcessed(Event):
    subject: ClassVar[str] = "bookings.events.payment.processed"

    payment_id: int
    booking_id: int
    payer_id: int
    amount: Decimal
    currency: str = Field(min_length=3, max_length=3)
