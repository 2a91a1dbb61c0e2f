"""Integration: trainer profiles made from identity's `UserCreated` on JetStream, exactly once,
and read through the trainers service's NATS endpoints, on both databases."""

from typing import Any

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.envelope import Actor, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.streams import DEAD_LETTERS
from contracts.trainers import (
    GetMyTrainerProfile,
    GetTrainer,
    ListTrainers,
    ReplaceAvailability,
    TrainerAvailabilityChanged,
    TrainerPage,
)
from messaging.requests import request
from testkit.waiting import eventually

from .conftest import (
    ADMIN,
    OTHER_TRAINER,
    PARENT,
    TRAINER,
    events_after,
    profile_of,
    profiles_settled,
    publish,
    typed,
    user_created,
)

pytestmark = pytest.mark.usefixtures("trainers")


async def refused(nc: Client, message: Request[Any]) -> ErrorCode:
    with pytest.raises(ServiceError) as raised:
        await request(nc, message)
    return raised.value.code


async def all_trainers(nc: Client) -> list[int]:
    page: TrainerPage = await request(nc, ListTrainers(actor=ADMIN))
    return [t.user_id for t in page.items]


async def test_a_new_trainer_user_gets_a_profile_without_an_event(
    nc: Client, js: JetStreamContext
) -> None:
    assert await refused(nc, GetMyTrainerProfile(actor=TRAINER)) is ErrorCode.not_found

    await publish(js, user_created(TRAINER))
    mine = await profile_of(nc, TRAINER)

    assert (mine.user_id, mine.name, mine.email) == (20, "Tom Trainer", "user20@example.com")
    assert await request(nc, GetTrainer(actor=ADMIN, trainer_id=mine.id)) == mine
    # The outbox goes out in commit order: had the profile emitted, it would come first.
    await request(nc, ReplaceAvailability(actor=TRAINER, trainer_id=mine.id, dates=[]))
    [first] = [typed(msg) for msg in await events_after(js, 1)]
    assert isinstance(first, TrainerAvailabilityChanged)


async def test_the_same_user_created_delivered_again_changes_nothing(
    nc: Client, js: JetStreamContext
) -> None:
    event = user_created(TRAINER)
    await publish(js, event)
    first = await profile_of(nc, TRAINER)

    # The same event again (past the stream's duplicate check, as a redelivery would be), and
    # a second copy of it under a new event id: the inbox and the unique user id stop both.
    await publish(js, event, msg_id="redelivered")
    await publish(js, user_created(TRAINER))
    await publish(js, user_created(OTHER_TRAINER))  # a marker: handled after the copies
    await profile_of(nc, OTHER_TRAINER)
    await eventually(lambda: profiles_settled(js))

    assert await all_trainers(nc) == [OTHER_TRAINER.user_id, TRAINER.user_id]
    assert await request(nc, GetMyTrainerProfile(actor=TRAINER)) == first
    assert (await js.stream_info(DEAD_LETTERS.name)).state.messages == 0


@pytest.mark.parametrize("actor", [PARENT, ADMIN])
async def test_users_of_other_roles_get_no_profile(
    nc: Client, js: JetStreamContext, actor: Actor
) -> None:
    await publish(js, user_created(actor))
    await eventually(lambda: profiles_settled(js))

    assert await all_trainers(nc) == []


async def test_an_admin_lists_trainers_newest_first_in_pages(
    nc: Client, js: JetStreamContext
) -> None:
    users = [Actor(user_id=30 + i, role=TRAINER.role, name=f"T{i}") for i in range(5)]
    for user in users:
        await publish(js, user_created(user))
    await profile_of(nc, users[-1])

    pages: list[TrainerPage] = [await request(nc, ListTrainers(actor=ADMIN, limit=2))]
    while pages[-1].next_cursor:
        cursor = pages[-1].next_cursor
        pages.append(await request(nc, ListTrainers(actor=ADMIN, limit=2, cursor=cursor)))

    assert [[t.user_id for t in page.items] for page in pages] == [[34, 33], [32, 31], [30]]
    assert [t.name for t in pages[0].items] == ["T4", "T3"]
    assert await refused(nc, ListTrainers(actor=ADMIN, cursor="bm90LWEtY3Vyc29y")) is (
        ErrorCode.invalid
    )


async def test_who_may_read_profiles(nc: Client, trainer_ids: dict[int, int]) -> None:
    toms = trainer_ids[TRAINER.user_id]

    assert (await request(nc, GetTrainer(actor=TRAINER, trainer_id=toms))).user_id == 20
    assert (await request(nc, GetTrainer(actor=ADMIN, trainer_id=toms))).user_id == 20
    # Someone else's profile looks exactly like one that does not exist.
    assert await refused(nc, GetTrainer(actor=OTHER_TRAINER, trainer_id=toms)) is (
        ErrorCode.not_found
    )
    assert await refused(nc, GetTrainer(actor=ADMIN, trainer_id=999_999)) is ErrorCode.not_found
    assert await refused(nc, GetTrainer(actor=PARENT, trainer_id=toms)) is ErrorCode.forbidden
    for actor in (TRAINER, PARENT):
        assert await refused(nc, ListTrainers(actor=actor)) is ErrorCode.forbidden
    for actor in (PARENT, ADMIN):
        assert await refused(nc, GetMyTrainerProfile(actor=actor)) is ErrorCode.forbidden
