"""A session's activity as whoever bookings lets see the session reads it (clock state, latest
activity, its newest logs), and many sessions' at once for an admin's day, in one query."""

from contracts.bookings import ScheduleDetails
from contracts.trainers import (
    ActivityLogDetails,
    CurrentActivity,
    DayActivity,
    GetDayActivity,
    GetSessionActivity,
    SessionActivity,
)
from trainers.adapters.sessions import SessionDirectory
from trainers.domain import access
from trainers.domain.activity_log import ActivityLog
from trainers.domain.time_entry import TimeEntry
from trainers.unit_of_work import UnitOfWork


def log_details(log: ActivityLog) -> ActivityLogDetails:
    return ActivityLogDetails.model_validate(log, from_attributes=True)


def activity_of(
    schedule_id: int,
    trainer_id: int | None,
    entry: TimeEntry | None,
    logs: list[ActivityLog] | None = None,
) -> SessionActivity:
    """The reply for a session; with no entry, only its trainer (and logs, if any)."""
    written = [log_details(log) for log in logs or []]
    if entry is None:
        return SessionActivity(
            schedule_id=schedule_id, trainer_id=trainer_id, activity_logs=written
        )
    current = None
    if entry.activity is not None and entry.activity_at is not None:
        current = CurrentActivity(
            activity=entry.activity, location=entry.activity_location, at=entry.activity_at
        )
    return SessionActivity(
        schedule_id=entry.schedule_id,
        trainer_id=entry.trainer_id,
        clocked_in_at=entry.clocked_in_at,
        clock_in_location=entry.clock_in_location,
        clocked_out_at=entry.clocked_out_at,
        clock_out_location=entry.clock_out_location,
        current_activity=current,
        activity_logs=written,
    )


async def answer(
    uow: UnitOfWork, session: ScheduleDetails, entry: TimeEntry | None, logs_limit: int
) -> SessionActivity:
    """The whole of one session's activity, its newest `logs_limit` logs included."""
    logs, _ = await uow.activity_logs.newest_first(session.id, None, logs_limit)
    return activity_of(session.id, session.trainer_id, entry, logs)


async def get_session_activity(
    command: GetSessionActivity, uow: UnitOfWork, sessions: SessionDirectory, logs_limit: int
) -> SessionActivity:
    session = await sessions.session(command.schedule_id, command.actor)
    async with uow:
        entry = await uow.time_entries.for_session(session.id)
        return await answer(uow, session, entry, logs_limit)


async def get_day_activity(command: GetDayActivity, uow: UnitOfWork) -> DayActivity:
    """No question to bookings: only admins ask, and they may see every session."""
    access.require_admin(command.actor, "read many sessions' activity at once")
    wanted = list(dict.fromkeys(command.schedule_ids))
    async with uow:
        # Built inside the transaction: leaving it expires what it loaded.
        entries = {e.schedule_id: e for e in await uow.time_entries.for_sessions(wanted)}
        return DayActivity(
            items=[
                activity_of(schedule_id, entries[schedule_id].trainer_id, entries[schedule_id])
                for schedule_id in wanted
                if schedule_id in entries
            ]
        )
