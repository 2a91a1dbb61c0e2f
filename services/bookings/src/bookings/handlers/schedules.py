"""Sessions: planned, changed and removed by the booking's parent or an admin; a trainer is
assigned by an admin. Whatever books a trainer's time (an assignment, or moving a session that
has a trainer) asks the trainers service first, then, in one transaction serialised per trainer,
checks the trainer's other sessions and saves."""

from bookings.adapters.trainer_directory import TrainerDirectory
from bookings.domain import access
from bookings.domain.calendar import Entry, Slot, require_free
from bookings.domain.schedule import Schedule
from bookings.handlers.bookings import load_booking
from bookings.handlers.sessions import changeable, details, readable, unchanged
from bookings.unit_of_work import UnitOfWork
from contracts.bookings import (
    AssignTrainer,
    CreateSchedule,
    DeleteSchedule,
    ScheduleDetails,
    UpdateSchedule,
)
from contracts.envelope import Actor, Deleted
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import Assignability


async def create_schedule(command: CreateSchedule, uow: UnitOfWork) -> ScheduleDetails:
    async with uow:
        booking = await load_booking(uow, command.actor, command.booking_id)
        child = await uow.children.get(booking.child_id)
        if child is None:
            raise ServiceError(ErrorCode.not_found, f"child {booking.child_id} not found")
        slot = Slot(command.date, command.start_time, command.end_time)
        session = Schedule.plan(command.actor, booking, child.name, slot, command.location)
        uow.schedules.add(session)
        await uow.commit()
        return details(session)


async def update_schedule(
    command: UpdateSchedule, uow: UnitOfWork, trainers: TrainerDirectory
) -> ScheduleDetails:
    actor, schedule_id = command.actor, command.schedule_id
    async with uow:
        session = await changeable(uow, actor, schedule_id)
        seen = session.entry
        slot = session.moved(command.date, command.start_time, command.end_time)
        session.change(actor, slot, command.location, command.status)
        if seen.trainer_id is None or slot == seen.slot or session.status != seen.status:
            await uow.commit()  # no trainer's time is booked anew
            return details(session)
    # Not committed: the trainer's new time is checked first; nothing changes if it is refused.
    answer = await _ask(trainers, actor, schedule_id, seen.trainer_id, slot)
    async with uow:
        session = await _booked(uow, seen.trainer_id, schedule_id, seen, answer, slot)
        session.change(actor, slot, command.location, command.status)
        await uow.commit()
        return details(session)


async def assign_trainer(
    command: AssignTrainer, uow: UnitOfWork, trainers: TrainerDirectory
) -> ScheduleDetails:
    actor, schedule_id, trainer_id = command.actor, command.schedule_id, command.trainer_id
    async with uow:
        session = await readable(uow, actor, schedule_id)
        access.require_admin(actor, "assign trainers")
        session.require_open("assigned")
        if session.trainer_id == trainer_id:
            return details(session)  # the same trainer again changes nothing
        seen = session.entry
    answer = await _ask(trainers, actor, schedule_id, trainer_id, seen.slot)
    async with uow:
        session = await _booked(uow, trainer_id, schedule_id, seen, answer, seen.slot)
        if session.assign(actor, answer):
            await uow.commit()
        return details(session)


async def delete_schedule(command: DeleteSchedule, uow: UnitOfWork) -> Deleted:
    async with uow:
        session = await changeable(uow, command.actor, command.schedule_id)
        session.remove(command.actor)
        await uow.commit()
        return Deleted(id=command.schedule_id)


async def _ask(
    trainers: TrainerDirectory, actor: Actor, schedule_id: int, trainer_id: int, slot: Slot
) -> Assignability:
    answer = await trainers.assignable(trainer_id, slot.date, slot.start, slot.end, actor)
    if not answer.assignable:
        reason = answer.reason or f"trainer {trainer_id} cannot take session {schedule_id}"
        raise ServiceError(ErrorCode.conflict, reason)
    return answer


async def _booked(
    uow: UnitOfWork,
    trainer_id: int,
    schedule_id: int,
    seen: Entry,
    answer: Assignability,
    slot: Slot,
) -> Schedule:
    """The session, unchanged since `seen`, with `slot` free in the trainer's calendar; the
    calendar stays locked until this transaction ends."""
    # First, before any read: a second booking of this trainer waits here until the first
    # commits, and then its reads below see it.
    await uow.calendars.lock(trainer_id)
    session = await unchanged(uow, schedule_id, seen)
    name = answer.trainer_name or f"trainer {trainer_id}"
    require_free(name, slot, schedule_id, await uow.schedules.of_trainer_on(trainer_id, slot.date))
    return session
