"""An admin's bulk action on one day: every scheduled session cancelled, and one event for it
all, naming the parents and trainers it touched, instead of an event per session
(docs/triggers.md, "admin-only system change")."""

import datetime as dt
from collections.abc import Sequence

from bookings.domain import access
from bookings.domain.schedule import Schedule
from contracts.bookings import SchedulesCancelledInBulk
from contracts.envelope import Actor


def cancel_day(
    actor: Actor, day: dt.date, location: str | None, sessions: Sequence[Schedule]
) -> SchedulesCancelledInBulk | None:
    """Cancel `sessions` (the day's scheduled ones); the event to emit, if any changed."""
    access.require_admin(actor, "cancel a day's sessions")
    for session in sessions:
        session.cancel_quietly()
    if not sessions:
        return None
    return SchedulesCancelledInBulk(
        date=day,
        location=location,
        schedule_ids=[s.id for s in sessions if s.id is not None],
        parent_ids=sorted({s.parent_id for s in sessions}),
        trainer_user_ids=sorted(
            {s.trainer_user_id for s in sessions if s.trainer_user_id is not None}
        ),
        actor=actor,
    )
