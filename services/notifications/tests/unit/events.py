"""Source events the unit tests deliver."""

from datetime import date, time
from decimal import Decimal

from contracts import bookings as b
from contracts.envelope import Actor

from .conftest import ADMIN, PARENT, TRAINER


def checklist(parent: Actor = PARENT, child_id: int = 7) -> b.ChildChecklistSubmitted:
    return b.ChildChecklistSubmitted(
        child_id=child_id, parent_id=parent.user_id, child_name="Sam", actor=parent
    )


def assigned(parent: Actor = PARENT, trainer: Actor = TRAINER) -> b.TrainerAssigned:
    return b.TrainerAssigned(
        schedule_id=3,
        booking_id=4,
        parent_id=parent.user_id,
        trainer_user_id=trainer.user_id,
        trainer_id=7,
        session_date=date(2026, 12, 3),
        trainer_name=trainer.name,
        child_name="Sam",
        actor=ADMIN,
    )


def cancelled(parent: Actor = PARENT, trainer: Actor = TRAINER) -> b.ScheduleCancelled:
    return b.ScheduleCancelled(
        schedule_id=3,
        booking_id=4,
        parent_id=parent.user_id,
        trainer_user_id=trainer.user_id,
        session_date=date(2026, 12, 3),
        start_time=time(9),
        child_name="Sam",
        actor=ADMIN,
    )


def paid(parent: Actor = PARENT) -> b.PaymentProcessed:
    return b.PaymentProcessed(
        payment_id=5,
        booking_id=4,
        payer_id=parent.user_id,
        amount=Decimal("25.00"),
        currency="GBP",
        actor=parent,
    )
