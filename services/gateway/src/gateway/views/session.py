"""`GET /schedules/{id}`: the session as bookings knows it, joined with its clock state, latest
activity and activity logs from trainers, so the parent's page refetches one resource."""

from datetime import datetime

from contracts import bookings as b
from contracts import trainers as t
from contracts.envelope import Actor
from gateway.views.asking import Asks, ask_service


class SessionView(b.ScheduleDetails):
    """A session (`ScheduleDetails`) with the trainer's side of it (`SessionActivity`)."""

    clocked_in_at: datetime | None = None
    clocked_out_at: datetime | None = None
    current_activity: t.CurrentActivity | None = None
    activity_logs: list[t.ActivityLogDetails] = []


async def session_view(services: Asks, actor: Actor, schedule_id: int) -> SessionView:
    """Bookings first: it decides who sees the session, and its 404 ends the view there."""
    session = await ask_service(
        services, "bookings", "the session", b.GetSchedule(actor=actor, schedule_id=schedule_id)
    )
    activity = await ask_service(
        services,
        "trainers",
        "the session's clock-in state and activity",
        t.GetSessionActivity(actor=actor, schedule_id=schedule_id),
    )
    return SessionView(
        **session.model_dump(),
        clocked_in_at=activity.clocked_in_at,
        clocked_out_at=activity.clocked_out_at,
        current_activity=activity.current_activity,
        activity_logs=activity.activity_logs,
    )
