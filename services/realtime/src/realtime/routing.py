"""Who hears of each domain event, and which contexts it refreshes: the seed's trigger points.

Kept as data: one row per event type, naming the payload fields that hold recipient user ids.
"""

from dataclasses import dataclass

from contracts import bookings as b
from contracts import notifications as n
from contracts import trainers as t
from contracts.envelope import Event
from contracts.live import Context, LiveRefreshRequested

C = Context


@dataclass(frozen=True)
class Route:
    contexts: tuple[Context, ...]
    user_fields: tuple[str, ...]
    admins: bool


SESSION = (C.bookings, C.trainer_schedules)
AVAILABILITY = (C.trainer_availability, C.trainer_schedules)
PARENT_AND_TRAINER = ("parent_id", "trainer_user_id")

ROUTES: dict[type[Event], Route] = {
    n.NotificationCreated: Route((C.notifications,), ("recipient_id",), admins=False),
    **dict.fromkeys(
        (b.BookingCreated, b.BookingUpdated, b.BookingDeleted),
        Route((C.bookings,), ("parent_id", "trainer_user_ids"), admins=True),
    ),
    **dict.fromkeys(
        (b.ScheduleCreated, b.ScheduleUpdated, b.ScheduleDeleted, b.TrainerAssigned),
        Route(SESSION, PARENT_AND_TRAINER, admins=True),
    ),
    **dict.fromkeys(
        (b.ChildCreated, b.ChildUpdated, b.ChildDeleted, b.ChildChecklistSubmitted),
        Route((C.children,), ("parent_id",), admins=True),
    ),
    t.TrainerAvailabilityChanged: Route(AVAILABILITY, ("trainer_user_id",), admins=True),
    **dict.fromkeys(
        (t.AbsenceRequestCreated, t.AbsenceRequestUpdated, t.AbsenceRequestDeleted),
        Route(AVAILABILITY, ("trainer_user_id",), admins=True),
    ),
    **dict.fromkeys(
        (
            t.TrainerClockedIn,
            t.TrainerClockedOut,
            t.CurrentActivityUpdated,
            t.ActivityLogCreated,
            t.ActivityLogUpdated,
        ),
        Route(SESSION, PARENT_AND_TRAINER, admins=True),
    ),
    # The payer hears of a payment through its UserNotification (NotificationCreated), which
    # exists by the time the bell refetches; a frame now would refetch too early.
    b.PaymentProcessed: Route((), (), admins=False),
}


@dataclass(frozen=True)
class Delivery:
    contexts: tuple[Context, ...]
    user_ids: frozenset[int]
    admins: bool


def resolve(event: Event) -> Delivery | None:
    """The contexts and recipients of `event`; None for an event that refreshes nothing."""
    if isinstance(event, LiveRefreshRequested):
        return Delivery(tuple(event.contexts), frozenset(event.user_ids), event.notify_admins)
    route = ROUTES.get(type(event))
    if route is None or not route.contexts:
        return None
    users: set[int] = set()
    for name in route.user_fields:
        value = getattr(event, name)
        if isinstance(value, list):
            users.update(value)
        elif value is not None:
            users.add(value)
    return Delivery(route.contexts, frozenset(users), route.admins)
