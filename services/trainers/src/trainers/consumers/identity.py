"""Identity's events as trainers reads them: every new trainer user gets a trainer profile."""

from contracts.envelope import Event, Role
from contracts.identity import UserCreated
from trainers.domain.trainer import Trainer
from trainers.unit_of_work import UnitOfWork

DURABLE = "trainers_profiles"


async def on_user_created(event: Event, uow: UnitOfWork) -> None:
    """Add the profile of a trainer user, unless they have one (the same user announced again
    under another event id); other roles have none."""
    assert isinstance(event, UserCreated)
    if event.role is not Role.trainer:
        return
    if await uow.trainers.for_user(event.user_id) is not None:
        return
    uow.trainers.add(Trainer.from_user(event.user_id, event.name, event.email))
