"""The trigger table without NATS: what `resolve` makes of every row, and that the table names
every event on the streams the router reads, routed or explicitly silent."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from contracts import bookings as b
from contracts import notifications as n
from contracts import trainers as t
from contracts.catalogue import EVENTS, stream_of
from contracts.envelope import Event, Role
from contracts.identity import UserCreated
from contracts.live import Context, LiveRefreshRequested
from realtime.live_refresh.triggers import (
    ROUTED,
    SILENT,
    TRIGGERS,
    Delivery,
    resolve,
    routed_streams,
    routed_subjects,
)

C = Context
PARENT, TRAINER, OTHER_TRAINER = 11, 22, 23
NOW = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
SESSION = {"schedule_id": 5, "trainer_id": 3, "trainer_user_id": TRAINER, "parent_id": PARENT}
ABSENCE = {"absence_request_id": 4, "trainer_id": 3, "trainer_user_id": TRAINER}
SCHEDULE = {"schedule_id": 5, "booking_id": 2, "parent_id": PARENT, "trainer_user_id": TRAINER}
BOOKING = {"booking_id": 2, "parent_id": PARENT, "trainer_user_ids": [TRAINER, OTHER_TRAINER]}
CHILD = {"child_id": 9, "parent_id": PARENT}

SESSION_CONTEXTS = (C.bookings, C.trainer_schedules)
AVAILABILITY_CONTEXTS = (C.trainer_availability, C.trainer_schedules)


def to(contexts: tuple[Context, ...], *users: int, admins: bool = True) -> Delivery:
    return Delivery(contexts, frozenset(users), admins)


# (event, what resolve makes of it): one case per event the router reads.
CASES: list[tuple[Event, Delivery | None]] = [
    (
        n.NotificationCreated(notification_id=1, recipient_id=PARENT, category="c", title="t"),
        to((C.notifications,), PARENT, admins=False),
    ),
    (
        n.NotificationMarkedRead(notification_id=1, recipient_id=PARENT),
        to((C.notifications,), PARENT, admins=False),
    ),
    (
        n.NotificationsMarkedRead(recipient_id=PARENT, up_to_id=9, marked=3),
        to((C.notifications,), PARENT, admins=False),
    ),
    (
        n.NotificationArchived(notification_id=1, recipient_id=PARENT),
        to((C.notifications,), PARENT, admins=False),
    ),
    (n.ActivityRecorded(entry_id=1, verb="created", object_type="child"), to((C.activity,))),
    (b.BookingCreated(**BOOKING), to((C.bookings,), PARENT, TRAINER, OTHER_TRAINER)),
    (b.BookingUpdated(**BOOKING), to((C.bookings,), PARENT, TRAINER, OTHER_TRAINER)),
    (b.BookingDeleted(**BOOKING), to((C.bookings,), PARENT, TRAINER, OTHER_TRAINER)),
    (b.ScheduleCreated(**SCHEDULE), to(SESSION_CONTEXTS, PARENT, TRAINER)),
    (b.ScheduleUpdated(**SCHEDULE), to(SESSION_CONTEXTS, PARENT, TRAINER)),
    (b.ScheduleDeleted(**SCHEDULE), to(SESSION_CONTEXTS, PARENT, TRAINER)),
    (
        b.ScheduleCancelled(
            **SCHEDULE, session_date=date(2026, 1, 2), start_time=time(9), child_name="Sam"
        ),
        to(SESSION_CONTEXTS, PARENT, TRAINER),
    ),
    (
        b.SchedulesCancelledInBulk(
            date=date(2026, 1, 2), schedule_ids=[5], parent_ids=[PARENT], trainer_user_ids=[TRAINER]
        ),
        to(SESSION_CONTEXTS),
    ),
    (
        b.TrainerAssigned(**SCHEDULE, trainer_id=3, session_date=date(2026, 1, 2)),
        to(SESSION_CONTEXTS, PARENT, TRAINER),
    ),
    (b.ChildCreated(**CHILD), to((C.children,), PARENT)),
    (b.ChildUpdated(**CHILD), to((C.children,), PARENT)),
    (b.ChildDeleted(**CHILD), to((C.children,), PARENT)),
    (b.ChildChecklistSubmitted(**CHILD, child_name="Sam"), to((C.children,), PARENT)),
    (
        b.PaymentProcessed(
            payment_id=1, booking_id=2, payer_id=PARENT, amount=Decimal("10.00"), currency="GBP"
        ),
        None,
    ),
    (
        t.TrainerAvailabilityChanged(
            trainer_id=3, trainer_user_id=TRAINER, dates=[date(2026, 1, 2)]
        ),
        to(AVAILABILITY_CONTEXTS, TRAINER),
    ),
    (
        t.AbsenceRequestCreated(**ABSENCE, status="pending"),
        to(AVAILABILITY_CONTEXTS, TRAINER),
    ),
    (
        t.AbsenceRequestUpdated(**ABSENCE, status="approved"),
        to(AVAILABILITY_CONTEXTS, TRAINER),
    ),
    (
        t.AbsenceRequestDeleted(**ABSENCE, status="pending"),
        to(AVAILABILITY_CONTEXTS, TRAINER),
    ),
    (t.TrainerClockedIn(**SESSION, at=NOW), to(SESSION_CONTEXTS, PARENT, TRAINER)),
    (t.TrainerClockedOut(**SESSION, at=NOW), to(SESSION_CONTEXTS, PARENT, TRAINER)),
    (
        t.CurrentActivityUpdated(**SESSION, activity="warm-up", location="hall"),
        to(SESSION_CONTEXTS, PARENT, TRAINER),
    ),
    (t.ActivityLogCreated(**SESSION, activity_log_id=8), to(SESSION_CONTEXTS, PARENT, TRAINER)),
    (t.ActivityLogUpdated(**SESSION, activity_log_id=8), to(SESSION_CONTEXTS, PARENT, TRAINER)),
    (
        LiveRefreshRequested(
            contexts=[C.bookings, C.children], user_ids=[PARENT, TRAINER], notify_admins=True
        ),
        to((C.bookings, C.children), PARENT, TRAINER),
    ),
]


@pytest.mark.parametrize(
    ("event", "delivery"), CASES, ids=[type(event).__name__ for event, _ in CASES]
)
def test_resolve_names_the_contexts_and_recipients_of_each_row(
    event: Event, delivery: Delivery | None
) -> None:
    assert resolve(event) == delivery


def test_the_cases_cover_every_event_the_router_reads() -> None:
    assert sorted(type(event).__name__ for event, _ in CASES) == sorted(e.__name__ for e in ROUTED)


def test_a_reassignment_also_refreshes_the_replaced_trainer() -> None:
    reassigned = b.TrainerAssigned(
        **SCHEDULE,
        trainer_id=3,
        session_date=date(2026, 1, 2),
        previous_trainer_user_id=OTHER_TRAINER,
    )
    assert resolve(reassigned) == to(SESSION_CONTEXTS, PARENT, TRAINER, OTHER_TRAINER)


def test_an_empty_list_field_adds_no_recipient() -> None:
    alone = resolve(b.BookingUpdated(booking_id=2, parent_id=PARENT, trainer_user_ids=[]))
    assert alone == to((C.bookings,), PARENT)


def test_a_none_field_adds_no_recipient() -> None:
    unassigned = b.ScheduleCreated(schedule_id=5, booking_id=2, parent_id=PARENT)
    assert unassigned.trainer_user_id is None
    assert resolve(unassigned) == to(SESSION_CONTEXTS, PARENT)


def test_a_refresh_order_names_its_own_recipients_and_admins_only_when_asked() -> None:
    admins_only = LiveRefreshRequested(contexts=[C.bookings], notify_admins=True)
    assert resolve(admins_only) == to((C.bookings,))
    users_only = LiveRefreshRequested(contexts=[C.activity], user_ids=[PARENT])
    assert resolve(users_only) == to((C.activity,), PARENT, admins=False)


def test_a_payment_is_explicitly_silent() -> None:
    assert TRIGGERS[b.PaymentProcessed] is SILENT


def test_an_event_of_a_stream_the_router_does_not_read_resolves_to_nothing() -> None:
    user = UserCreated(user_id=PARENT, email="pat@example.com", name="Pat", role=Role.parent)
    assert stream_of(UserCreated.subject) not in routed_streams()
    assert resolve(user) is None


def test_every_event_on_a_routed_stream_has_a_row() -> None:
    """A new event on bookings, trainers, notifications or live fails here until the table
    routes it or marks it `SILENT`."""
    streams = routed_streams()
    assert {s.name for s in streams} >= {
        "BOOKINGS_EVENTS",
        "TRAINERS_EVENTS",
        "NOTIFICATIONS_EVENTS",
        "LIVE_EVENTS",
    }
    on_routed_streams = {e for e in EVENTS.values() if stream_of(e.subject) in streams}
    missing = sorted(e.__name__ for e in on_routed_streams - set(ROUTED))
    assert missing == [], f"add a row (or SILENT) to TRIGGERS for {missing}"


@pytest.mark.parametrize(
    ("event", "field"),
    [(event, name) for event, trigger in TRIGGERS.items() for name in trigger.user_fields],
    ids=lambda value: value.__name__ if isinstance(value, type) else value,
)
def test_every_user_field_is_a_user_id_field_of_its_event(event: type[Event], field: str) -> None:
    assert field in event.model_fields
    assert event.model_fields[field].annotation in (int, int | None, list[int])


def test_the_router_filters_each_stream_on_exactly_the_subjects_of_its_rows() -> None:
    by_stream = {stream: routed_subjects(stream) for stream in routed_streams()}
    every = [subject for subjects in by_stream.values() for subject in subjects]
    assert sorted(every) == sorted(e.subject for e in ROUTED)
    for stream, subjects in by_stream.items():
        assert all(stream_of(subject) == stream for subject in subjects)
    assert LiveRefreshRequested.subject in every
