"""What every session handler shares: loading a session as the actor may see it, and its
reply."""

from bookings.domain import access
from bookings.domain.calendar import Entry
from bookings.domain.schedule import Schedule
from bookings.unit_of_work import UnitOfWork
from contracts.bookings import ScheduleDetails
from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError


def changed_meanwhile(schedule_id: int) -> str:
    return f"session {schedule_id} was changed by someone else meanwhile; reload and try again"


def details(session: Schedule) -> ScheduleDetails:
    return ScheduleDetails.model_validate(session, from_attributes=True)


async def readable(uow: UnitOfWork, actor: Actor, schedule_id: int) -> Schedule:
    """Its parent, its trainer or an admin; anyone else is told it does not exist."""
    session = await uow.schedules.get(schedule_id)
    if session is None or not access.may_read_session(actor, session):
        raise ServiceError(ErrorCode.not_found, f"session {schedule_id} not found")
    return session


async def changeable(uow: UnitOfWork, actor: Actor, schedule_id: int) -> Schedule:
    """Its parent or an admin; its trainer may only read it."""
    session = await readable(uow, actor, schedule_id)
    if not access.may_act_for(actor, session.parent_id):
        raise ServiceError(ErrorCode.forbidden, "the assigned trainer may not change a session")
    return session


async def unchanged(uow: UnitOfWork, schedule_id: int, seen: Entry) -> Schedule:
    """The session again, in a later transaction, as it was when `seen` was taken."""
    session = await uow.schedules.get(schedule_id)
    if session is None:
        raise ServiceError(ErrorCode.not_found, f"session {schedule_id} not found")
    if session.entry != seen:
        raise ServiceError(ErrorCode.conflict, changed_meanwhile(schedule_id))
    return session
