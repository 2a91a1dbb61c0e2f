"""Unit: a trainer's available days, replaced as a whole with one event, and who may do it."""

from datetime import date, timedelta
from typing import Any

import pytest

from contracts.envelope import Actor, Event, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    Availability,
    GetAvailability,
    ReplaceAvailability,
    TrainerAvailabilityChanged,
)
from trainers.domain.trainer import Trainer

from .conftest import ADMIN, MAX_DATES, OTHER_TRAINER, PARENT, TRAINER, Send
from .fakes import FakeDatabase

D1, D2, D3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)


async def refused(send: Send, command: Request[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        await send(command)
    return raised.value


def changes(events: list[Event]) -> list[TrainerAvailabilityChanged]:
    assert all(isinstance(e, TrainerAvailabilityChanged) for e in events), events
    return [e for e in events if isinstance(e, TrainerAvailabilityChanged)]


@pytest.fixture
def toms(trainer_ids: dict[int, int]) -> int:
    return trainer_ids[TRAINER.user_id]


async def test_a_replacement_counts_duplicates_once_and_emits_one_sorted_event(
    send: Send, database: FakeDatabase, toms: int
) -> None:
    reply = await send(ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=[D3, D1, D3, D1]))

    assert reply == Availability(trainer_id=toms, dates=[D1, D3])
    [event] = database.outbox
    assert isinstance(event, TrainerAvailabilityChanged)
    assert (event.trainer_id, event.trainer_user_id, event.dates, event.actor) == (
        toms,
        TRAINER.user_id,
        [D1, D3],
        TRAINER,
    )
    assert database.commits == 3, "two profiles, then one transaction for the whole set"


async def test_a_replacement_replaces_the_whole_set(
    send: Send, database: FakeDatabase, toms: int
) -> None:
    await send(ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=[D1, D2]))
    await send(ReplaceAvailability(actor=ADMIN, trainer_id=toms, dates=[D2, D3]))

    read = await send(GetAvailability(actor=TRAINER, trainer_id=toms))
    assert read.dates == [D2, D3]
    assert [(e.dates, e.actor) for e in changes(database.outbox)] == [
        ([D1, D2], TRAINER),
        ([D2, D3], ADMIN),
    ]

    await send(ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=[]))
    assert (await send(GetAvailability(actor=TRAINER, trainer_id=toms))).dates == []
    assert len(database.outbox) == 3


async def test_the_limit_counts_distinct_dates(
    send: Send, database: FakeDatabase, toms: int
) -> None:
    days = [D1 + timedelta(days=i) for i in range(MAX_DATES)]
    await send(ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=days + days))

    too_many = [*days, D1 + timedelta(days=MAX_DATES)]
    error = await refused(send, ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=too_many))

    assert error.code is ErrorCode.invalid
    assert [f.loc for f in error.fields] == [["dates"]]
    assert str(MAX_DATES) in error.fields[0].msg
    assert (await send(GetAvailability(actor=TRAINER, trainer_id=toms))).dates == days
    assert len(database.outbox) == 1, "a refused replacement emits nothing"


async def test_a_read_may_be_limited_to_a_range_of_days(send: Send, toms: int) -> None:
    days = [D1 + timedelta(days=i) for i in range(5)]
    await send(ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=days))

    def read(**bounds: date) -> GetAvailability:
        return GetAvailability(actor=ADMIN, trainer_id=toms, **bounds)

    assert (await send(read(date_from=days[1], date_to=days[3]))).dates == days[1:4]
    assert (await send(read(date_from=days[3]))).dates == days[3:]
    assert (await send(read(date_to=days[0]))).dates == days[:1]
    assert (await send(read(date_from=days[4] + timedelta(days=1)))).dates == []
    reversed_range = await refused(send, read(date_from=days[3], date_to=days[1]))
    assert reversed_range.code is ErrorCode.invalid
    assert [f.loc for f in reversed_range.fields] == [["date_to"]]


async def test_queries_emit_nothing(send: Send, database: FakeDatabase, toms: int) -> None:
    await send(GetAvailability(actor=TRAINER, trainer_id=toms))
    assert database.outbox == []


# --- who may do what ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        (TRAINER, None),
        (ADMIN, None),
        (OTHER_TRAINER, ErrorCode.not_found),
        (PARENT, ErrorCode.forbidden),
    ],
)
async def test_who_may_read_and_replace_a_trainers_availability(
    send: Send, database: FakeDatabase, toms: int, actor: Actor, outcome: ErrorCode | None
) -> None:
    await send(ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=[D1]))

    commands: list[Request[Any]] = [
        GetAvailability(actor=actor, trainer_id=toms),
        ReplaceAvailability(actor=actor, trainer_id=toms, dates=[D2]),
    ]
    for command in commands:
        if outcome is None:
            assert (await send(command)).trainer_id == toms
        else:
            assert (await refused(send, command)).code is outcome, command

    expected = [D2] if outcome is None else [D1]
    assert database.trainers[toms].available_dates() == expected
    assert len(database.outbox) == (2 if outcome is None else 1)


async def test_a_missing_trainer_has_no_availability(send: Send) -> None:
    error = await refused(send, ReplaceAvailability(actor=ADMIN, trainer_id=999, dates=[D1]))
    assert error.code is ErrorCode.not_found


# --- the aggregate itself ----------------------------------------------------------------


def test_a_replacement_keeps_the_values_of_the_days_that_stay() -> None:
    trainer = Trainer.from_user(20, "Tom Trainer", "tom@example.com")
    trainer.id = 7
    trainer.replace_availability(TRAINER, [D1, D2], MAX_DATES)
    kept = trainer.availability[D2]

    trainer.replace_availability(TRAINER, [D2, D3], MAX_DATES)

    # Only the days that change become row deletes and inserts; a kept day is the same value.
    assert trainer.availability[D2] is kept
    assert trainer.available_dates() == [D2, D3]
    assert trainer.is_available_on(D3) and not trainer.is_available_on(D1)
    assert [e.dates for e in changes(trainer.collect_events())] == [[D1, D2], [D2, D3]]


def test_a_new_profile_records_nothing_and_cannot_change_before_it_is_stored() -> None:
    trainer = Trainer.from_user(20, "Tom Trainer", "tom@example.com")
    assert trainer.collect_events() == []
    with pytest.raises(RuntimeError, match="stored"):
        trainer.replace_availability(TRAINER, [D1], MAX_DATES)
    assert trainer.availability == {}
