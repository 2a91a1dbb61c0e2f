"""Availability: the trainer reads and replaces their own set of days, an admin anyone's; a
replacement is one transaction and one `TrainerAvailabilityChanged` (docs/rest.md)."""

from contracts.errors import ErrorCode, FieldError, ServiceError
from contracts.trainers import Availability, GetAvailability, ReplaceAvailability
from trainers.handlers.trainers import load_trainer
from trainers.unit_of_work import UnitOfWork


async def get_availability(command: GetAvailability, uow: UnitOfWork) -> Availability:
    if command.date_from and command.date_to and command.date_to < command.date_from:
        raise ServiceError(
            ErrorCode.invalid,
            "date_to must not be before date_from",
            [FieldError(loc=["date_to"], msg="must not be before date_from", type="value_error")],
        )
    async with uow:
        trainer = await load_trainer(uow, command.actor, command.trainer_id)
        return Availability(
            trainer_id=command.trainer_id,
            dates=trainer.available_dates(command.date_from, command.date_to),
        )


async def replace_availability(
    command: ReplaceAvailability, uow: UnitOfWork, max_dates: int
) -> Availability:
    async with uow:
        trainer = await load_trainer(uow, command.actor, command.trainer_id, for_update=True)
        trainer.replace_availability(command.actor, command.dates, max_dates)
        await uow.commit()
        return Availability(trainer_id=command.trainer_id, dates=trainer.available_dates())
