"""An admin's bulk cancel of a day's sessions: one transaction, one `SchedulesCancelledInBulk`."""

from bookings.domain.day import cancel_day
from bookings.unit_of_work import UnitOfWork
from contracts.bookings import CancelSchedulesOfDay, SchedulesCancelled


async def cancel_schedules_of_day(
    command: CancelSchedulesOfDay, uow: UnitOfWork
) -> SchedulesCancelled:
    async with uow:
        sessions = await uow.schedules.scheduled_on(command.date, command.location)
        cancelled = cancel_day(command.actor, command.date, command.location, sessions)
        if cancelled is not None:
            uow.emit(cancelled)
            await uow.commit()
        return SchedulesCancelled(
            date=command.date,
            location=command.location,
            schedule_ids=[session.id for session in sessions if session.id is not None],
        )
