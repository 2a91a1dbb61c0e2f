"""Activity logs: the session's assigned trainer writes them and changes their own; whoever
bookings lets see the session reads them. A log of a session the caller may not see looks
exactly like one that does not exist (docs/rest.md)."""

from contracts.bookings import ScheduleDetails
from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    ActivityLogDetails,
    ActivityLogPage,
    CreateActivityLog,
    ListActivityLogs,
    UpdateActivityLog,
)
from database.paging import InvalidCursor
from trainers.adapters.sessions import SessionDirectory
from trainers.clock import BusinessClock
from trainers.domain.activity_log import ActivityLog
from trainers.handlers.session_activity import log_details
from trainers.unit_of_work import UnitOfWork


def _not_found(log_id: int) -> ServiceError:
    return ServiceError(ErrorCode.not_found, f"activity log {log_id} not found")


async def create_activity_log(
    command: CreateActivityLog,
    uow: UnitOfWork,
    sessions: SessionDirectory,
    clock: BusinessClock,
) -> ActivityLogDetails:
    session = await sessions.session(command.schedule_id, command.actor)
    async with uow:
        log = ActivityLog.write(
            command.actor, session, command.activity, command.notes, clock.now()
        )
        uow.activity_logs.add(log)
        await uow.commit()
        return log_details(log)


async def update_activity_log(
    command: UpdateActivityLog,
    uow: UnitOfWork,
    sessions: SessionDirectory,
    clock: BusinessClock,
) -> ActivityLogDetails:
    log_id = command.activity_log_id
    async with uow:
        found = await uow.activity_logs.get(log_id)
        if found is None:
            raise _not_found(log_id)
        schedule_id = found.schedule_id
    # Not inside the transaction: no lock is held while bookings answers.
    session = await _visible(sessions, command.actor, schedule_id, log_id)
    async with uow:
        log = await uow.activity_logs.get(log_id, for_update=True)
        if log is None:
            raise _not_found(log_id)
        log.change(command.actor, session, command.activity, command.notes, clock.now())
        await uow.commit()
        return log_details(log)


async def list_activity_logs(
    command: ListActivityLogs, uow: UnitOfWork, sessions: SessionDirectory
) -> ActivityLogPage:
    session = await sessions.session(command.schedule_id, command.actor)
    async with uow:
        try:
            rows, cursor = await uow.activity_logs.newest_first(
                session.id, command.cursor, command.limit
            )
        except InvalidCursor as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        return ActivityLogPage(items=[log_details(log) for log in rows], next_cursor=cursor)


async def _visible(
    sessions: SessionDirectory, actor: Actor, schedule_id: int, log_id: int
) -> ScheduleDetails:
    """The log's session, if bookings lets `actor` see it; else the log is not found."""
    try:
        return await sessions.session(schedule_id, actor)
    except ServiceError as exc:
        if exc.code is ErrorCode.not_found:
            raise _not_found(log_id) from exc
        raise
