"""An admin's bulk action on one day: every scheduled session cancelled, and one admin-only
refresh for it all instead of an event per session (docs/triggers.md, "admin-only system
change")."""

from collections.abc import Sequence

from bookings.domain import access
from bookings.domain.schedule import Schedule
from contracts.envelope import Actor
from contracts.live import Context, LiveRefreshRequested


def cancel_day(actor: Actor, sessions: Sequence[Schedule]) -> LiveRefreshRequested | None:
    """Cancel `sessions` (the day's scheduled ones); the refresh to emit, if any changed."""
    access.require_admin(actor, "cancel a day's sessions")
    for session in sessions:
        session.cancel_quietly()
    if not sessions:
        return None
    return LiveRefreshRequested(
        contexts=[Context.bookings, Context.trainer_schedules],
        user_ids=[],
        notify_admins=True,
        actor=actor,
    )
