"""The question bookings asks (with the assigning admin as actor) before it assigns a trainer to
a session: may this trainer take a session on this day? A missing trainer is an answer too."""

from contracts.trainers import Assignability, CheckAssignable
from trainers.domain import access
from trainers.domain.assignability import assess
from trainers.unit_of_work import UnitOfWork


async def check_assignable(command: CheckAssignable, uow: UnitOfWork) -> Assignability:
    access.require_admin(command.actor, "assign trainers")
    async with uow:
        trainer = await uow.trainers.get(command.trainer_id)
        absences = (
            []
            if trainer is None
            else await uow.absences.approved_covering(command.trainer_id, command.date)
        )
        return assess(command.trainer_id, command.date, trainer, absences)
