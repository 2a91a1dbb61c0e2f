"""Time entries: the session's assigned trainer (or an admin for them) clocks in and out, and
the trainer says what they are doing in between. Bookings is asked about the session first,
with the caller as actor; if it does not answer, nothing is written."""

from contracts.trainers import ClockIn, ClockOut, SessionActivity, UpdateCurrentActivity
from trainers.adapters.sessions import SessionDirectory
from trainers.clock import BusinessClock
from trainers.domain import time_entry
from trainers.domain.time_entry import TimeEntry
from trainers.handlers.session_activity import answer
from trainers.unit_of_work import UnitOfWork


async def _clocked_in(uow: UnitOfWork, schedule_id: int) -> TimeEntry:
    entry = await uow.time_entries.for_session(schedule_id, for_update=True)
    if entry is None:
        raise time_entry.not_clocked_in(schedule_id)
    return entry


async def clock_in(
    command: ClockIn,
    uow: UnitOfWork,
    sessions: SessionDirectory,
    clock: BusinessClock,
    logs_limit: int,
) -> SessionActivity:
    session = await sessions.session(command.schedule_id, command.actor)
    now = clock.now()
    async with uow:
        earlier = await uow.time_entries.for_session(session.id)
        entry = TimeEntry.clock_in(
            command.actor,
            session,
            earlier,
            now,
            clock.day_of(now),
            command.location,
            command.outside_session_date,
        )
        await uow.time_entries.insert(entry)
        await uow.commit()
        return await answer(uow, session, entry, logs_limit)


async def clock_out(
    command: ClockOut,
    uow: UnitOfWork,
    sessions: SessionDirectory,
    clock: BusinessClock,
    logs_limit: int,
) -> SessionActivity:
    session = await sessions.session(command.schedule_id, command.actor)
    # Before the entry is looked at: a parent is refused, whether clocked in or not.
    time_entry.require_timekeeper(command.actor, session, "clocks out", closing=True)
    async with uow:
        entry = await _clocked_in(uow, session.id)
        entry.clock_out(command.actor, session, clock.now(), command.location)
        await uow.commit()
        return await answer(uow, session, entry, logs_limit)


async def update_current_activity(
    command: UpdateCurrentActivity,
    uow: UnitOfWork,
    sessions: SessionDirectory,
    clock: BusinessClock,
    logs_limit: int,
) -> SessionActivity:
    session = await sessions.session(command.schedule_id, command.actor)
    time_entry.require_activity_keeper(command.actor, session)
    async with uow:
        entry = await _clocked_in(uow, session.id)
        entry.update_activity(
            command.actor, session, clock.now(), command.activity, command.location
        )
        await uow.commit()
        return await answer(uow, session, entry, logs_limit)
