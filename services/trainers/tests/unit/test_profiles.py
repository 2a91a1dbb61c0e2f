"""Unit: trainer profiles, made from identity's `UserCreated`, and who may read them."""

from typing import Any

import pytest

from contracts.envelope import Actor, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import GetMyTrainerProfile, GetTrainer, ListTrainers, TrainerDetails

from .conftest import ADMIN, OTHER_TRAINER, PARENT, TRAINER, Deliver, Send, user_created
from .fakes import FakeDatabase


async def refused(send: Send, command: Request[Any]) -> ErrorCode:
    with pytest.raises(ServiceError) as raised:
        await send(command)
    return raised.value.code


async def test_a_new_trainer_user_gets_a_profile_and_no_event(
    deliver: Deliver, send: Send, database: FakeDatabase
) -> None:
    await deliver(user_created(TRAINER, email="tom@example.com"))

    mine: TrainerDetails = await send(GetMyTrainerProfile(actor=TRAINER))
    assert (mine.user_id, mine.name, mine.email) == (20, "Tom Trainer", "tom@example.com")
    assert mine.id != TRAINER.user_id, "a profile has its own id"
    assert mine.created_at == mine.updated_at
    assert database.outbox == []


async def test_the_same_user_announced_twice_has_one_profile(
    deliver: Deliver, database: FakeDatabase
) -> None:
    event = user_created(TRAINER)
    await deliver(event)
    await deliver(event)  # a redelivery
    await deliver(user_created(TRAINER))  # a second copy, under another event id

    assert [t.user_id for t in database.trainers.values()] == [TRAINER.user_id]


@pytest.mark.parametrize("actor", [PARENT, ADMIN])
async def test_users_of_other_roles_get_no_profile(
    deliver: Deliver, database: FakeDatabase, actor: Actor
) -> None:
    await deliver(user_created(actor))
    assert database.trainers == {}


async def test_a_trainer_without_a_profile_yet_is_told_it_is_not_found(send: Send) -> None:
    assert await refused(send, GetMyTrainerProfile(actor=TRAINER)) is ErrorCode.not_found


@pytest.mark.parametrize("actor", [PARENT, ADMIN])
async def test_only_trainers_have_a_profile_of_their_own(send: Send, actor: Actor) -> None:
    assert await refused(send, GetMyTrainerProfile(actor=actor)) is ErrorCode.forbidden


async def test_an_admin_lists_trainers_newest_first_in_pages(deliver: Deliver, send: Send) -> None:
    for user_id in range(30, 35):
        await deliver(user_created(Actor(user_id=user_id, role=TRAINER.role, name=f"T{user_id}")))

    pages = [await send(ListTrainers(actor=ADMIN, limit=2))]
    while pages[-1].next_cursor:
        pages.append(await send(ListTrainers(actor=ADMIN, limit=2, cursor=pages[-1].next_cursor)))

    assert [[t.user_id for t in page.items] for page in pages] == [[34, 33], [32, 31], [30]]


async def test_a_forged_cursor_is_invalid(send: Send) -> None:
    forged = ListTrainers(actor=ADMIN, cursor="bm90LWEtY3Vyc29y")
    assert await refused(send, forged) is ErrorCode.invalid


@pytest.mark.parametrize("actor", [TRAINER, PARENT])
async def test_only_admins_list_trainers(send: Send, actor: Actor) -> None:
    assert await refused(send, ListTrainers(actor=actor)) is ErrorCode.forbidden


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        (TRAINER, None),
        (ADMIN, None),
        (OTHER_TRAINER, ErrorCode.not_found),  # someone else's profile looks like none
        (PARENT, ErrorCode.forbidden),
    ],
)
async def test_who_may_read_a_trainers_profile(
    send: Send, trainer_ids: dict[int, int], actor: Actor, outcome: ErrorCode | None
) -> None:
    toms = trainer_ids[TRAINER.user_id]
    command = GetTrainer(actor=actor, trainer_id=toms)
    if outcome is None:
        assert (await send(command)).user_id == TRAINER.user_id
    else:
        assert await refused(send, command) is outcome


async def test_a_missing_trainer_is_not_found(send: Send) -> None:
    assert await refused(send, GetTrainer(actor=ADMIN, trainer_id=999)) is ErrorCode.not_found
