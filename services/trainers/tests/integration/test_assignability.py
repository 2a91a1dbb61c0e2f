"""Integration: the assignability question bookings asks, through NATS, on both databases."""

from datetime import date, time

import pytest
from nats.aio.client import Client

from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    AbsenceStatus,
    Assignability,
    AssignabilityProblem,
    CheckAssignable,
    DecideAbsenceRequest,
    ReplaceAvailability,
    RequestAbsence,
)
from messaging.requests import request

from .conftest import ADMIN, PARENT, TRAINER

pytestmark = pytest.mark.usefixtures("trainers")

DEC = [date(2026, 12, day) for day in range(1, 8)]


async def check(nc: Client, trainer_id: int, day: date, actor: Actor = ADMIN) -> Assignability:
    message = CheckAssignable(
        actor=actor, trainer_id=trainer_id, date=day, start_time=time(9), end_time=time(10, 30)
    )
    reply: Assignability = await request(nc, message)
    return reply


async def test_availability_and_approved_absences_decide_the_answer(
    nc: Client, trainer_ids: dict[int, int]
) -> None:
    toms = trainer_ids[TRAINER.user_id]
    await request(nc, ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=DEC[:5]))
    away = await request(
        nc,
        RequestAbsence(
            actor=TRAINER, trainer_id=toms, start_date=DEC[1], end_date=DEC[3], reason="away"
        ),
    )
    assert [(await check(nc, toms, day)).assignable for day in DEC[:6]] == [True] * 5 + [False]

    await request(
        nc,
        DecideAbsenceRequest(
            actor=ADMIN, absence_request_id=away.id, status=AbsenceStatus.approved
        ),
    )

    answers = [await check(nc, toms, day) for day in DEC[:6]]
    assert [a.problem for a in answers] == [
        None,
        AssignabilityProblem.absent,
        AssignabilityProblem.absent,
        AssignabilityProblem.absent,
        None,
        AssignabilityProblem.not_available,
    ]
    assert answers[0] == Assignability(
        trainer_id=toms,
        assignable=True,
        trainer_user_id=TRAINER.user_id,
        trainer_name="Tom Trainer",
    )
    assert answers[1].reason == "Tom Trainer has an approved absence from 2026-12-02 to 2026-12-04"
    assert answers[5].reason == "Tom Trainer is not available on 2026-12-06"


async def test_a_missing_trainer_is_an_answer(nc: Client) -> None:
    answer = await check(nc, 999_999, DEC[0])
    assert (answer.assignable, answer.problem, answer.trainer_name) == (
        False,
        AssignabilityProblem.no_such_trainer,
        None,
    )


@pytest.mark.parametrize("actor", [TRAINER, PARENT])
async def test_only_admins_ask(nc: Client, trainer_ids: dict[int, int], actor: Actor) -> None:
    with pytest.raises(ServiceError) as raised:
        await check(nc, trainer_ids[TRAINER.user_id], DEC[0], actor=actor)
    assert raised.value.code is ErrorCode.forbidden
