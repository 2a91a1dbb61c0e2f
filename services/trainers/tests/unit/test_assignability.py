"""Unit: may a trainer take a session on a day? The pure answer, every case at the date
boundaries, and the request bookings sends for it."""

from datetime import date, time

import pytest

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
from trainers.domain.absence import AbsenceRequest
from trainers.domain.assignability import assess
from trainers.domain.trainer import Trainer

from .conftest import ADMIN, OTHER_TRAINER, PARENT, TRAINER, Send
from .fakes import FakeDatabase

DEC = [date(2026, 12, day) for day in range(1, 8)]  # DEC[0] is 2026-12-01


def tom(available: list[date]) -> Trainer:
    trainer = Trainer.from_user(TRAINER.user_id, TRAINER.name, "tom@example.com")
    trainer.id = 7
    trainer.replace_availability(ADMIN, available, max_dates=366)
    return trainer


def absence(start: date, end: date, status: AbsenceStatus) -> AbsenceRequest:
    request = AbsenceRequest.request(TRAINER, tom([]), start, end, "away")
    request.status = status
    return request


def test_a_missing_trainer_is_an_answer_not_an_error() -> None:
    answer = assess(42, DEC[0], None, [])

    assert answer == Assignability(
        trainer_id=42,
        assignable=False,
        problem=AssignabilityProblem.no_such_trainer,
        reason="there is no trainer 42",
    )


def test_an_available_trainer_is_assignable_and_named() -> None:
    answer = assess(7, DEC[0], tom([DEC[0]]), [])

    assert answer == Assignability(
        trainer_id=7, assignable=True, trainer_user_id=TRAINER.user_id, trainer_name="Tom Trainer"
    )


def test_a_day_outside_the_availability_is_not_available() -> None:
    answer = assess(7, DEC[1], tom([DEC[0], DEC[2]]), [])

    assert (answer.assignable, answer.problem, answer.reason) == (
        False,
        AssignabilityProblem.not_available,
        "Tom Trainer is not available on 2026-12-02",
    )
    assert (answer.trainer_user_id, answer.trainer_name) == (TRAINER.user_id, "Tom Trainer")


@pytest.mark.parametrize(
    ("day", "absent"),
    [(DEC[1], False), (DEC[2], True), (DEC[3], True), (DEC[4], True), (DEC[5], False)],
    ids=["day before", "first day", "middle", "last day", "day after"],
)
def test_an_approved_absence_covers_its_first_and_last_day(day: date, absent: bool) -> None:
    away = absence(DEC[2], DEC[4], AbsenceStatus.approved)

    answer = assess(7, day, tom(DEC), [away])

    if absent:
        assert (answer.assignable, answer.problem, answer.reason) == (
            False,
            AssignabilityProblem.absent,
            "Tom Trainer has an approved absence from 2026-12-03 to 2026-12-05",
        )
    else:
        assert (answer.assignable, answer.problem) == (True, None)


@pytest.mark.parametrize("status", [AbsenceStatus.pending, AbsenceStatus.rejected])
def test_an_absence_not_approved_keeps_a_trainer_assignable(status: AbsenceStatus) -> None:
    answer = assess(7, DEC[2], tom(DEC), [absence(DEC[0], DEC[6], status)])
    assert answer.assignable


def test_a_day_not_offered_is_not_available_even_when_also_absent() -> None:
    answer = assess(7, DEC[2], tom([]), [absence(DEC[0], DEC[6], AbsenceStatus.approved)])
    assert answer.problem is AssignabilityProblem.not_available


# --- the request bookings sends ----------------------------------------------------------


def check(trainer_id: int, day: date, actor: Actor = ADMIN) -> CheckAssignable:
    return CheckAssignable(
        actor=actor, trainer_id=trainer_id, date=day, start_time=time(9), end_time=time(10)
    )


async def test_the_answer_follows_availability_and_approved_absences(
    send: Send, database: FakeDatabase, trainer_ids: dict[int, int]
) -> None:
    toms = trainer_ids[TRAINER.user_id]
    await send(ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=DEC[:3]))
    asked = await send(
        RequestAbsence(
            actor=TRAINER, trainer_id=toms, start_date=DEC[1], end_date=DEC[1], reason="dentist"
        )
    )

    def problems(answers: list[Assignability]) -> list[AssignabilityProblem | None]:
        return [a.problem for a in answers]

    before = [await send(check(toms, day)) for day in DEC[:4]]
    assert problems(before) == [None, None, None, AssignabilityProblem.not_available]
    await send(
        DecideAbsenceRequest(
            actor=ADMIN, absence_request_id=asked.id, status=AbsenceStatus.approved
        )
    )
    after = [await send(check(toms, day)) for day in DEC[:4]]
    assert problems(after) == [
        None,
        AssignabilityProblem.absent,
        None,
        AssignabilityProblem.not_available,
    ]
    assert after[0].trainer_user_id == TRAINER.user_id
    outbox = len(database.outbox)
    await send(check(toms, DEC[0]))
    assert len(database.outbox) == outbox, "a question emits nothing"


async def test_a_missing_trainer_is_answered(send: Send) -> None:
    answer = await send(check(999, DEC[0]))
    assert (answer.trainer_id, answer.problem) == (999, AssignabilityProblem.no_such_trainer)


@pytest.mark.parametrize("actor", [TRAINER, OTHER_TRAINER, PARENT])
async def test_only_admins_ask(send: Send, trainer_ids: dict[int, int], actor: Actor) -> None:
    with pytest.raises(ServiceError) as raised:
        await send(check(trainer_ids[TRAINER.user_id], DEC[0], actor=actor))
    assert raised.value.code is ErrorCode.forbidden
