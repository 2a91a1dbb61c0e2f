"""Who hears of each domain event, and which contexts it refreshes: the trigger points of
docs/triggers.md, as data.

One row per event type, naming the payload fields that hold recipient user ids. Every event on a
stream the router reads has a row, `SILENT` when it refreshes nothing on purpose. A new trigger
is one row here: the router's consumers (`routed_streams`, `routed_subjects`) follow the table.
"""

from dataclasses import dataclass

from contracts import bookings as b
from contracts import notifications as n
from contracts import trainers as t
from contracts.catalogue import stream_of
from contracts.envelope import Event
from contracts.live import Context, LiveRefreshRequested
from contracts.streams import StreamSpec

C = Context


@dataclass(frozen=True)
class Trigger:
    contexts: tuple[Context, ...]
    # Payload fields holding a user id, a list of them, or None.
    user_fields: tuple[str, ...]
    admins: bool


# An event the router reads and, on purpose, sends no frame for.
SILENT = Trigger((), (), admins=False)

SESSION = (C.bookings, C.trainer_schedules)
AVAILABILITY = (C.trainer_availability, C.trainer_schedules)
PARENT_AND_TRAINER = ("parent_id", "trainer_user_id")

TRIGGERS: dict[type[Event], Trigger] = {
    **dict.fromkeys(
        (
            n.NotificationCreated,
            n.NotificationMarkedRead,
            n.NotificationsMarkedRead,
            n.NotificationArchived,
        ),
        Trigger((C.notifications,), ("recipient_id",), admins=False),
    ),
    n.ActivityRecorded: Trigger((C.activity,), (), admins=True),
    **dict.fromkeys(
        (b.BookingCreated, b.BookingUpdated, b.BookingDeleted),
        Trigger((C.bookings,), ("parent_id", "trainer_user_ids"), admins=True),
    ),
    **dict.fromkeys(
        (b.ScheduleCreated, b.ScheduleUpdated, b.ScheduleCancelled, b.ScheduleDeleted),
        Trigger(SESSION, PARENT_AND_TRAINER, admins=True),
    ),
    # A bulk action is one admin-only refresh; those it touched hear of it by notification.
    b.SchedulesCancelledInBulk: Trigger(SESSION, (), admins=True),
    # A reassignment changes the replaced trainer's calendar as well.
    b.TrainerAssigned: Trigger(
        SESSION, (*PARENT_AND_TRAINER, "previous_trainer_user_id"), admins=True
    ),
    **dict.fromkeys(
        (b.ChildCreated, b.ChildUpdated, b.ChildDeleted, b.ChildChecklistSubmitted),
        Trigger((C.children,), ("parent_id",), admins=True),
    ),
    t.TrainerAvailabilityChanged: Trigger(AVAILABILITY, ("trainer_user_id",), admins=True),
    **dict.fromkeys(
        (t.AbsenceRequestCreated, t.AbsenceRequestUpdated, t.AbsenceRequestDeleted),
        Trigger(AVAILABILITY, ("trainer_user_id",), admins=True),
    ),
    **dict.fromkeys(
        (
            t.TrainerClockedIn,
            t.TrainerClockedOut,
            t.CurrentActivityUpdated,
            t.ActivityLogCreated,
            t.ActivityLogUpdated,
        ),
        Trigger(SESSION, PARENT_AND_TRAINER, admins=True),
    ),
    # The payer hears of a payment through its UserNotification (NotificationCreated), which
    # exists by the time the bell refetches; a frame now would refetch too early.
    b.PaymentProcessed: SILENT,
}

# What the router reads: the table's events, and the generic order that names its own recipients.
ROUTED: tuple[type[Event], ...] = (*TRIGGERS, LiveRefreshRequested)


def routed_streams() -> list[StreamSpec]:
    """The streams the router consumes, one durable consumer on each."""
    return sorted({stream_of(event.subject) for event in ROUTED}, key=lambda s: s.name)


def routed_subjects(stream: StreamSpec) -> list[str]:
    """The subjects the router's consumer on `stream` filters on."""
    return [event.subject for event in ROUTED if stream_of(event.subject) == stream]


@dataclass(frozen=True)
class Delivery:
    contexts: tuple[Context, ...]
    user_ids: frozenset[int]
    admins: bool


def resolve(event: Event) -> Delivery | None:
    """The contexts and recipients of `event`; None for an event that refreshes nothing."""
    if isinstance(event, LiveRefreshRequested):
        return Delivery(tuple(event.contexts), frozenset(event.user_ids), event.notify_admins)
    trigger = TRIGGERS.get(type(event))
    if trigger is None or not trigger.contexts:
        return None
    users: set[int] = set()
    for name in trigger.user_fields:
        value = getattr(event, name)
        if isinstance(value, list):
            users.update(value)
        elif value is not None:
            users.add(value)
    return Delivery(trigger.contexts, frozenset(users), trigger.admins)
