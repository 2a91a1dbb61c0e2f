"""The rules table: every field a rule names exists on its event, and each rule says what it
should to whom."""

from datetime import date, time
from decimal import Decimal

import pytest

from contracts import bookings as b
from contracts import trainers as t
from contracts.envelope import Event
from contracts.notifications import Category
from notifications.bootstrap import FEED_STREAMS
from notifications.consumers.dispatcher import recipients
from notifications.domain.rules import ADMINS, RULES, Rule, subjects

from .conftest import ADMIN, PARENT, TRAINER

ALL_RULES = [(event, rule) for event, rules in RULES.items() for rule in rules]


@pytest.mark.parametrize(("event", "rule"), ALL_RULES, ids=lambda v: getattr(v, "__name__", ""))
def test_every_field_a_rule_names_is_a_field_of_its_event(event: type[Event], rule: Rule) -> None:
    missing = rule.fields() - set(event.model_fields)
    assert not missing, f"{event.__name__} has no field(s) {sorted(missing)}"


def test_a_rule_naming_a_missing_field_is_caught() -> None:
    wrong = Rule(Category.payment, (), "t", "{nope}", "/x/{also_nope}", when={"gone": frozenset()})
    assert wrong.fields() - set(b.PaymentProcessed.model_fields) == {"nope", "also_nope", "gone"}


def test_every_rule_subject_is_in_exactly_one_consumed_stream() -> None:
    def carried_by(subject: str) -> list[str]:
        return [
            stream.name
            for stream in FEED_STREAMS
            if any(subject.startswith(p.removesuffix(">")) for p in stream.subjects)
        ]

    assert subjects()
    for subject in subjects():
        assert len(carried_by(subject)) == 1, subject


def _rendered(event: Event) -> list[tuple[Category, list[int], str, str, str | None]]:
    return [
        (rule.category, [u for u, _ in recipients(rule, event, [1, 2])], *rule.render(event))
        for rule in RULES[type(event)]
        if rule.applies(event)
    ]


def test_a_checklist_tells_every_admin() -> None:
    event = b.ChildChecklistSubmitted(child_id=7, parent_id=10, child_name="Sam", actor=PARENT)
    assert _rendered(event) == [
        (
            Category.child_checklist,
            [1, 2],
            "Child checklist submitted",
            "Sam's checklist was submitted",
            "/children/7",
        )
    ]


def test_an_assignment_tells_the_parent_and_the_trainer() -> None:
    event = b.TrainerAssigned(
        schedule_id=3,
        booking_id=4,
        parent_id=10,
        trainer_user_id=20,
        trainer_id=7,
        session_date=date(2026, 12, 3),
        trainer_name="Tom Trainer",
        child_name="Sam",
        actor=ADMIN,
    )
    [to_parent, to_trainer] = _rendered(event)
    assert to_parent == (
        Category.trainer_assigned,
        [10],
        "Trainer assigned to session",
        "Tom Trainer will lead Sam's session on 2026-12-03",
        "/schedules/3",
    )
    assert to_trainer[:2] == (Category.trainer_assigned, [20])
    assert to_trainer[3] == "You will lead Sam's session on 2026-12-03"


def test_an_assignment_without_names_reads_well() -> None:
    event = b.TrainerAssigned(
        schedule_id=3,
        booking_id=4,
        parent_id=10,
        trainer_user_id=20,
        trainer_id=7,
        session_date=date(2026, 12, 3),
    )
    assert _rendered(event)[0][3] == "A trainer will lead your child's session on 2026-12-03"


def test_a_payment_tells_the_payer_even_though_they_paid() -> None:
    event = b.PaymentProcessed(
        payment_id=5,
        booking_id=4,
        payer_id=10,
        amount=Decimal("25.00"),
        currency="GBP",
        actor=PARENT,
    )
    [(category, told, title, body, link)] = _rendered(event)
    assert (category, told, body, link) == (
        Category.payment,
        [10],
        "Your payment of 25.00 GBP was processed",
        "/bookings/4",
    )
    assert title == "Payment processed"


@pytest.mark.parametrize(("status", "told"), [("approved", 1), ("rejected", 1), ("pending", 0)])
def test_an_absence_tells_the_trainer_only_once_decided(status: str, told: int) -> None:
    event = t.AbsenceRequestUpdated(
        absence_request_id=9,
        trainer_id=7,
        trainer_user_id=20,
        status=status,
        start_date=date(2026, 12, 1),
        end_date=date(2026, 12, 2),
        actor=ADMIN,
    )
    rendered = _rendered(event)
    assert len(rendered) == told
    if told:
        assert rendered[0][1:] == (
            [20],
            f"Absence request {status}",
            f"Your absence from 2026-12-01 to 2026-12-02 was {status}",
            "/absence-requests/9",
        )


def test_a_cancelled_session_tells_the_parent_and_the_trainer() -> None:
    event = b.ScheduleCancelled(
        schedule_id=3,
        booking_id=4,
        parent_id=10,
        trainer_user_id=20,
        session_date=date(2026, 12, 3),
        start_time=time(9),
        child_name="Sam",
        actor=ADMIN,
    )
    [(category, told, _, body, link)] = _rendered(event)
    assert (category, told, link) == (Category.session_cancelled, [10, 20], "/schedules/3")
    assert body == "Sam's session on 2026-12-03 at 09:00:00 was cancelled"


def test_a_bulk_cancel_tells_each_affected_user_once() -> None:
    event = b.SchedulesCancelledInBulk(
        date=date(2026, 12, 3),
        schedule_ids=[1, 2, 3],
        parent_ids=[10, 11, 10],
        trainer_user_ids=[20, 20],
        actor=ADMIN,
    )
    [(category, told, _, body, _)] = _rendered(event)
    assert (category, told) == (Category.session_cancelled, [10, 11, 20])
    assert body == "Every session on 2026-12-03 at every location was cancelled"


def test_the_actor_is_not_told_of_their_own_action() -> None:
    event = b.ScheduleCancelled(
        schedule_id=3,
        booking_id=4,
        parent_id=10,
        trainer_user_id=20,
        session_date=date(2026, 12, 3),
        start_time=time(9),
        child_name="Sam",
        actor=TRAINER,
    )
    assert _rendered(event)[0][1] == [10]
    checklist = b.ChildChecklistSubmitted(child_id=7, parent_id=10, child_name="S", actor=ADMIN)
    assert _rendered(checklist)[0][1] == [2]
    assert ADMINS == "every admin"
