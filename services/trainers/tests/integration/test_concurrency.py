"""Integration: several instances of the service changing one trainer at once, on both
databases: each change starts from the state the one before it committed."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    AbsenceRequestUpdated,
    AbsenceStatus,
    DecideAbsenceRequest,
    GetAvailability,
    ReplaceAvailability,
    RequestAbsence,
    TrainerAvailabilityChanged,
)
from messaging.requests import request
from runtime.process import Running
from testkit.nats_server import NatsServer
from trainers.bootstrap import start
from trainers.settings import TrainersSettings

from .conftest import ADMIN, TRAINER, events_after, typed

pytestmark = pytest.mark.usefixtures("trainers")

D1 = date(2026, 12, 1)


@pytest.fixture
async def more_instances(nats_server: NatsServer, database_url: str) -> AsyncIterator[None]:
    """Three more instances on the same database; the queue group spreads requests over all."""
    settings = TrainersSettings.model_validate(
        {"nats_url": nats_server.url, "database_url": database_url}
    )
    started: list[Running] = [await start(settings) for _ in range(3)]
    yield
    for running in started:
        await running.stop()


@pytest.mark.usefixtures("more_instances")
async def test_overlapping_replacements_each_commit_whole(
    nc: Client, js: JetStreamContext, trainer_ids: dict[int, int]
) -> None:
    toms = trainer_ids[TRAINER.user_id]
    # Overlapping sets: two replacements that both started from one state would both insert
    # the days they share.
    sets = [[D1 + timedelta(days=shift + i) for i in range(20)] for shift in range(8)]

    await asyncio.gather(
        *(request(nc, ReplaceAvailability(actor=ADMIN, trainer_id=toms, dates=s)) for s in sets)
    )

    final = (await request(nc, GetAvailability(actor=ADMIN, trainer_id=toms))).dates
    events = [typed(msg) for msg in await events_after(js, len(sets))]
    changes = [e.dates for e in events if isinstance(e, TrainerAvailabilityChanged)]
    assert sorted(map(tuple, changes)) == sorted(map(tuple, sets))
    assert final == changes[-1], "the set is the one the last commit announced"


@pytest.mark.usefixtures("more_instances")
async def test_of_two_decisions_at_once_one_wins(
    nc: Client, js: JetStreamContext, trainer_ids: dict[int, int]
) -> None:
    asked = await request(
        nc,
        RequestAbsence(
            actor=TRAINER,
            trainer_id=trainer_ids[TRAINER.user_id],
            start_date=D1,
            end_date=D1,
            reason="away",
        ),
    )

    outcomes = await asyncio.gather(
        *(
            request(nc, DecideAbsenceRequest(actor=ADMIN, absence_request_id=asked.id, status=s))
            for s in [AbsenceStatus.approved, AbsenceStatus.rejected] * 3
        ),
        return_exceptions=True,
    )

    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, ServiceError)]
    assert len(won) == 1 and len(lost) == 5
    assert {e.code for e in lost} == {ErrorCode.conflict}
    events = [typed(msg) for msg in await events_after(js, 2)]
    [decided] = [e for e in events if isinstance(e, AbsenceRequestUpdated)]
    assert decided.status == won[0].status.value
