"""Trainer profiles: an admin reads every one, a trainer their own. Someone else's profile looks
exactly like one that does not exist."""

from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    GetMyTrainerProfile,
    GetTrainer,
    ListTrainers,
    TrainerDetails,
    TrainerPage,
)
from database.paging import InvalidCursor
from trainers.domain import access
from trainers.domain.trainer import Trainer
from trainers.unit_of_work import UnitOfWork


def details(trainer: Trainer) -> TrainerDetails:
    return TrainerDetails.model_validate(trainer, from_attributes=True)


async def load_trainer(
    uow: UnitOfWork, actor: Actor, trainer_id: int, for_update: bool = False
) -> Trainer:
    """The trainer `actor` may act for: 403 for a parent, 404 for anyone else's."""
    access.require_staff(actor)
    trainer = await uow.trainers.get(trainer_id, for_update=for_update)
    if trainer is None or not access.may_act_for(actor, trainer.user_id):
        raise ServiceError(ErrorCode.not_found, f"trainer {trainer_id} not found")
    return trainer


async def list_trainers(command: ListTrainers, uow: UnitOfWork) -> TrainerPage:
    access.require_admin(command.actor, "list trainers")
    async with uow:
        try:
            rows, cursor = await uow.trainers.newest_first(command.cursor, command.limit)
        except InvalidCursor as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        return TrainerPage(items=[details(trainer) for trainer in rows], next_cursor=cursor)


async def get_trainer(command: GetTrainer, uow: UnitOfWork) -> TrainerDetails:
    async with uow:
        return details(await load_trainer(uow, command.actor, command.trainer_id))


async def get_my_profile(command: GetMyTrainerProfile, uow: UnitOfWork) -> TrainerDetails:
    access.require_trainer(command.actor, "have a trainer profile")
    async with uow:
        trainer = await uow.trainers.for_user(command.actor.user_id)
        if trainer is None:
            # The profile follows the user's `UserCreated`, so a new trainer may not have it yet.
            raise ServiceError(ErrorCode.not_found, "you have no trainer profile yet")
        return details(trainer)
