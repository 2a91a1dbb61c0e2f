"""Integration: availability through the trainers service's NATS endpoints, on both databases:
one transaction and exactly one event per replacement."""

from datetime import date, timedelta
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.envelope import Request
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    AVAILABILITY_DATES_MAX,
    Availability,
    GetAvailability,
    ReplaceAvailability,
    TrainerAvailabilityChanged,
)
from messaging.requests import request
from trainers.settings import MAX_AVAILABILITY_DATES

from .conftest import ADMIN, OTHER_TRAINER, PARENT, TRAINER, events_after, stream_events, typed

pytestmark = pytest.mark.usefixtures("trainers")

D1 = date(2026, 12, 1)


def days(count: int, first: date = D1) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


async def refused(nc: Client, message: Request[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        await request(nc, message)
    return raised.value


@pytest.fixture
def toms(trainer_ids: dict[int, int]) -> int:
    return trainer_ids[TRAINER.user_id]


async def test_a_replacement_is_one_event_with_the_distinct_dates_in_order(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    asked = [*days(30)[::-1], *days(30)]  # every date twice, out of order

    reply = await request(nc, ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=asked))

    assert reply == Availability(trainer_id=toms, dates=days(30))
    assert (await request(nc, GetAvailability(actor=ADMIN, trainer_id=toms))).dates == days(30)
    [msg] = await events_after(js, 1)
    event = typed(msg)
    assert isinstance(event, TrainerAvailabilityChanged)
    assert (event.trainer_id, event.trainer_user_id, event.dates, event.actor) == (
        toms,
        TRAINER.user_id,
        days(30),
        TRAINER,
    )
    assert (msg.headers or {})["Nats-Msg-Id"] == str(event.event_id)


async def test_a_replacement_replaces_the_whole_set(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    await request(nc, ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=days(5)))
    later = days(5, first=D1 + timedelta(days=3))  # two kept, three new, three dropped

    await request(nc, ReplaceAvailability(actor=ADMIN, trainer_id=toms, dates=later))
    assert (await request(nc, GetAvailability(actor=TRAINER, trainer_id=toms))).dates == later
    await request(nc, ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=[]))
    assert (await request(nc, GetAvailability(actor=TRAINER, trainer_id=toms))).dates == []

    events = [typed(msg) for msg in await events_after(js, 3)]
    assert [(e.dates, e.actor) for e in events if isinstance(e, TrainerAvailabilityChanged)] == [
        (days(5), TRAINER),
        (later, ADMIN),
        ([], TRAINER),
    ]


async def test_a_read_may_be_limited_to_a_range_of_days(nc: Client, toms: int) -> None:
    await request(nc, ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=days(10)))

    ranged = GetAvailability(
        actor=TRAINER, trainer_id=toms, date_from=days(10)[2], date_to=days(10)[4]
    )
    assert (await request(nc, ranged)).dates == days(10)[2:5]
    from_only = GetAvailability(actor=TRAINER, trainer_id=toms, date_from=days(10)[8])
    assert (await request(nc, from_only)).dates == days(10)[8:]
    backwards = GetAvailability(
        actor=TRAINER, trainer_id=toms, date_from=D1, date_to=D1 - timedelta(1)
    )
    error = await refused(nc, backwards)
    assert (error.code, [f.loc for f in error.fields]) == (ErrorCode.invalid, [["date_to"]])


async def test_the_service_limit_and_the_contract_cap_are_field_errors(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    at_limit = days(MAX_AVAILABILITY_DATES)
    await request(nc, ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=at_limit))

    for too_many in (days(MAX_AVAILABILITY_DATES + 1), days(AVAILABILITY_DATES_MAX + 1)):
        message = ReplaceAvailability.model_construct(
            actor=TRAINER, trainer_id=toms, dates=too_many
        )
        error = await refused(nc, message)
        assert error.code is ErrorCode.invalid
        assert [f.loc for f in error.fields] == [["dates"]]

    assert (await request(nc, GetAvailability(actor=TRAINER, trainer_id=toms))).dates == at_limit
    [msg] = await events_after(js, 1)
    event = typed(msg)
    assert isinstance(event, TrainerAvailabilityChanged) and event.dates == at_limit


async def test_who_may_read_and_replace_availability(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    await request(nc, ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=[D1]))

    for actor, code in ((OTHER_TRAINER, ErrorCode.not_found), (PARENT, ErrorCode.forbidden)):
        assert (await refused(nc, GetAvailability(actor=actor, trainer_id=toms))).code is code
        replace = ReplaceAvailability(actor=actor, trainer_id=toms, dates=days(3))
        assert (await refused(nc, replace)).code is code
    missing = ReplaceAvailability(actor=ADMIN, trainer_id=999_999, dates=[D1])
    assert (await refused(nc, missing)).code is ErrorCode.not_found

    assert (await request(nc, GetAvailability(actor=TRAINER, trainer_id=toms))).dates == [D1]
    # A marker event: everything refused before it emitted nothing.
    await request(nc, ReplaceAvailability(actor=ADMIN, trainer_id=toms, dates=[]))
    await events_after(js, 2)
    assert len(await stream_events(js)) == 2
