"""Reading sessions: one (its parent, its trainer, an admin; other services ask it for a
session's parent and trainer), a list as the actor may see it, and an admin's whole day."""

from bookings.domain import access
from bookings.domain.filters import ScheduleFilter
from bookings.handlers.bookings import load_booking
from bookings.handlers.sessions import details, readable
from bookings.unit_of_work import UnitOfWork
from contracts.bookings import (
    DaySchedules,
    GetSchedule,
    ListSchedules,
    ListSchedulesOfDay,
    ScheduleDetails,
    SchedulePage,
)
from contracts.envelope import Role
from contracts.errors import ErrorCode, ServiceError
from database.paging import InvalidCursor


async def get_schedule(command: GetSchedule, uow: UnitOfWork) -> ScheduleDetails:
    async with uow:
        return details(await readable(uow, command.actor, command.schedule_id))


async def list_schedules(command: ListSchedules, uow: UnitOfWork) -> SchedulePage:
    narrowed = ScheduleFilter.of(command)
    async with uow:
        if command.booking_id is not None and command.actor.role is not Role.trainer:
            # The sessions of someone else's booking: 404, as the booking itself (docs/rest.md).
            await load_booking(uow, command.actor, command.booking_id)
        try:
            rows, cursor = await uow.schedules.newest_first(narrowed, command.cursor, command.limit)
        except InvalidCursor as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        return SchedulePage(items=[details(session) for session in rows], next_cursor=cursor)


async def list_schedules_of_day(
    command: ListSchedulesOfDay, uow: UnitOfWork, limit: int
) -> DaySchedules:
    access.require_admin(command.actor, "list a whole day's sessions")
    async with uow:
        sessions = await uow.schedules.of_day(command.date, limit)
        return DaySchedules(date=command.date, items=[details(s) for s in sessions])
