"""Unit: assigning a trainer, and moving a session that has one: the trainers service's answer,
the trainer's other sessions, and a session changed while the trainers service was asked."""

import datetime as dt

import pytest

from bookings.domain.calendar import Slot
from contracts.bookings import (
    AssignTrainer,
    GetSchedule,
    ScheduleStatus,
    ScheduleUpdated,
    TrainerAssigned,
    UpdateSchedule,
)
from contracts.errors import ErrorCode
from contracts.trainers import AssignabilityProblem

from .conftest import ADMIN, OTHER_TRAINER, PARENT, TESS, TOM, TRAINER, Send
from .fakes import FakeDatabase, FakeTrainerDirectory
from .steps import DAY, assign, at, book, plan, refused, session


def slot(start: str, end: str, day: dt.date = DAY) -> Slot:
    return Slot(day, at(start), at(end))


@pytest.mark.parametrize(
    ("other", "overlaps"),
    [
        (slot("10:00", "11:00"), False),  # touching at the end
        (slot("08:00", "09:00"), False),  # touching at the start
        (slot("09:59", "11:00"), True),
        (slot("08:00", "09:01"), True),
        (slot("09:15", "09:45"), True),  # inside
        (slot("08:00", "11:00"), True),  # around
        (slot("09:00", "10:00"), True),  # the same
        (slot("09:00", "10:00", DAY + dt.timedelta(days=1)), False),  # another day
    ],
)
def test_when_two_slots_overlap(other: Slot, overlaps: bool) -> None:
    mine = slot("09:00", "10:00")
    assert mine.overlaps(other) is overlaps
    assert other.overlaps(mine) is overlaps


async def test_an_admin_assigns_a_trainer_as_the_trainers_service_names_them(
    send: Send, database: FakeDatabase, trainers: FakeTrainerDirectory
) -> None:
    planned = await session(send)

    assigned = await assign(send, planned.id)

    assert (assigned.trainer_id, assigned.trainer_user_id, assigned.trainer_name) == (
        TOM,
        TRAINER.user_id,
        TRAINER.name,
    )
    assert trainers.asked == [(TOM, DAY, at("09:00"), at("10:00"))]
    assert database.locked == [TOM]
    event = database.outbox[-1]
    assert isinstance(event, TrainerAssigned)
    assert (event.schedule_id, event.parent_id, event.trainer_user_id, event.trainer_id) == (
        planned.id,
        PARENT.user_id,
        TRAINER.user_id,
        TOM,
    )
    assert (event.session_date, event.previous_trainer_user_id) == (DAY, None)
    assert (event.trainer_name, event.child_name, event.start_time) == (
        TRAINER.name,
        "Ada",
        at("09:00"),
    )


async def test_a_new_trainer_replaces_the_old_and_the_event_names_both(
    send: Send, database: FakeDatabase
) -> None:
    planned = await session(send)
    await assign(send, planned.id, TOM)

    replaced = await assign(send, planned.id, TESS)

    assert replaced.trainer_user_id == OTHER_TRAINER.user_id
    event = database.outbox[-1]
    assert isinstance(event, TrainerAssigned)
    assert (event.trainer_user_id, event.previous_trainer_user_id) == (
        OTHER_TRAINER.user_id,
        TRAINER.user_id,
    )


async def test_the_same_trainer_again_changes_and_records_nothing(
    send: Send, database: FakeDatabase, trainers: FakeTrainerDirectory
) -> None:
    planned = await session(send)
    first = await assign(send, planned.id)
    before, commits = len(database.outbox), database.commits

    again = await assign(send, planned.id)

    assert again == first
    assert (len(database.outbox), database.commits, len(trainers.asked)) == (before, commits, 1)


async def test_an_overlapping_session_of_the_trainer_is_a_conflict_naming_it(
    send: Send, database: FakeDatabase
) -> None:
    busy = await session(send, "09:00", "10:00")
    await assign(send, busy.id)
    clashing = await session(send, "09:30", "10:30")
    before = len(database.outbox)

    error = await refused(send, AssignTrainer(actor=ADMIN, schedule_id=clashing.id, trainer_id=TOM))

    assert error.code is ErrorCode.conflict
    assert error.message == (
        f"Tom Trainer already has session {busy.id} on {DAY.isoformat()} from 09:00 to 10:00"
    )
    assert database.schedules[clashing.id].trainer_id is None
    assert len(database.outbox) == before


async def test_touching_sessions_and_other_days_do_not_clash(send: Send) -> None:
    await assign(send, (await session(send, "09:00", "10:00")).id)
    after = await session(send, "10:00", "11:00")
    before = await session(send, "08:00", "09:00")
    booking = await book(send)
    next_day = await plan(send, booking.id, "09:00", "10:00", day=DAY + dt.timedelta(days=1))

    for free in (after, before, next_day):
        assert (await assign(send, free.id)).trainer_id == TOM


async def test_a_cancelled_session_frees_the_slot_but_a_completed_one_does_not(send: Send) -> None:
    cancelled = await session(send, "09:00", "10:00")
    completed = await session(send, "11:00", "12:00")
    for planned, status in (
        (cancelled, ScheduleStatus.cancelled),
        (completed, ScheduleStatus.completed),
    ):
        await assign(send, planned.id)
        await send(UpdateSchedule(actor=ADMIN, schedule_id=planned.id, status=status))

    assert (await assign(send, (await session(send, "09:00", "10:00")).id)).trainer_id == TOM
    late = await session(send, "11:30", "12:30")
    error = await refused(send, AssignTrainer(actor=ADMIN, schedule_id=late.id, trainer_id=TOM))
    assert error.code is ErrorCode.conflict and f"session {completed.id}" in error.message


@pytest.mark.parametrize("status", [ScheduleStatus.cancelled, ScheduleStatus.completed])
async def test_a_closed_session_cannot_be_assigned(
    send: Send, trainers: FakeTrainerDirectory, status: ScheduleStatus
) -> None:
    planned = await session(send)
    await send(UpdateSchedule(actor=ADMIN, schedule_id=planned.id, status=status))

    error = await refused(send, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=TOM))

    assert error.code is ErrorCode.conflict
    assert f"session {planned.id} is {status.value}" in error.message
    assert trainers.asked == []


@pytest.mark.parametrize(
    "problem", [AssignabilityProblem.not_available, AssignabilityProblem.absent]
)
async def test_a_trainer_the_trainers_service_refuses_is_a_conflict_with_its_reason(
    send: Send,
    database: FakeDatabase,
    trainers: FakeTrainerDirectory,
    problem: AssignabilityProblem,
) -> None:
    planned = await session(send)
    trainers.refusals[TOM] = problem

    error = await refused(send, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=TOM))

    assert (error.code, error.message) == (ErrorCode.conflict, f"Tom Trainer is {problem.value}")
    assert database.schedules[planned.id].trainer_id is None
    error = await refused(send, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=99))
    assert (error.code, error.message) == (ErrorCode.conflict, "no such trainer")


async def test_trainers_down_is_unavailable_and_nothing_changes(
    send: Send, database: FakeDatabase, trainers: FakeTrainerDirectory
) -> None:
    planned = await session(send)
    trainers.down = True
    before, commits = len(database.outbox), database.commits

    error = await refused(send, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=TOM))

    assert error.code is ErrorCode.unavailable
    assert database.schedules[planned.id].trainer_id is None
    assert (len(database.outbox), database.commits, database.locked) == (before, commits, [])


async def test_a_session_changed_while_the_trainers_service_was_asked_is_a_conflict(
    send: Send, database: FakeDatabase, trainers: FakeTrainerDirectory
) -> None:
    planned = await session(send)

    async def another_admin_assigns_meanwhile(*_: object) -> None:
        trainers.meanwhile = None
        await assign(send, planned.id, TESS)

    trainers.meanwhile = another_admin_assigns_meanwhile
    error = await refused(send, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=TOM))

    assert error.code is ErrorCode.conflict
    assert error.message == (
        f"session {planned.id} was changed by someone else meanwhile; reload and try again"
    )
    assert database.schedules[planned.id].trainer_id == TESS
    assert [type(e) for e in database.outbox].count(TrainerAssigned) == 1


# --- moving a session that has a trainer ---------------------------------------------------


async def test_moving_a_session_with_a_trainer_asks_again_and_checks_the_new_slot(
    send: Send, database: FakeDatabase, trainers: FakeTrainerDirectory
) -> None:
    busy = await session(send, "11:00", "12:00")
    await assign(send, busy.id)
    planned = await session(send, "09:00", "10:00")
    await assign(send, planned.id)

    moved = await send(UpdateSchedule(actor=ADMIN, schedule_id=planned.id, end_time=at("11:00")))
    assert moved.end_time == at("11:00")
    assert trainers.asked[-1] == (TOM, DAY, at("09:00"), at("11:00"))
    assert isinstance(database.outbox[-1], ScheduleUpdated)

    error = await refused(
        send, UpdateSchedule(actor=ADMIN, schedule_id=planned.id, end_time=at("11:30"))
    )
    assert error.code is ErrorCode.conflict and f"session {busy.id}" in error.message
    trainers.refusals[TOM] = AssignabilityProblem.absent
    later = DAY + dt.timedelta(days=2)
    error = await refused(send, UpdateSchedule(actor=ADMIN, schedule_id=planned.id, date=later))
    assert (error.code, error.message) == (ErrorCode.conflict, "Tom Trainer is absent")
    trainers.down = True
    error = await refused(send, UpdateSchedule(actor=ADMIN, schedule_id=planned.id, date=later))
    assert error.code is ErrorCode.unavailable

    stored = await send(GetSchedule(actor=PARENT, schedule_id=planned.id))
    assert (stored.date, stored.start_time, stored.end_time) == (DAY, at("09:00"), at("11:00"))


async def test_a_parent_moves_a_session_only_while_it_has_no_trainer(
    send: Send, database: FakeDatabase, trainers: FakeTrainerDirectory
) -> None:
    planned = await session(send, "09:00", "10:00")
    await send(UpdateSchedule(actor=PARENT, schedule_id=planned.id, end_time=at("10:30")))
    await assign(send, planned.id)
    before = len(database.outbox)

    error = await refused(
        send, UpdateSchedule(actor=PARENT, schedule_id=planned.id, start_time=at("08:00"))
    )

    assert (error.code, error.message) == (
        ErrorCode.forbidden,
        "a session that has a trainer is moved by an admin",
    )
    assert len(trainers.asked) == 1 and len(database.outbox) == before
    assert database.schedules[planned.id].start_time == at("09:00")
    relocated = await send(UpdateSchedule(actor=PARENT, schedule_id=planned.id, location="Gym"))
    assert relocated.location == "Gym"


async def test_changes_that_book_no_new_time_do_not_ask_the_trainers_service(
    send: Send, trainers: FakeTrainerDirectory
) -> None:
    unassigned = await session(send, "13:00", "14:00")
    await send(UpdateSchedule(actor=PARENT, schedule_id=unassigned.id, end_time=at("15:00")))
    planned = await session(send)
    await assign(send, planned.id)
    trainers.down = True

    await send(UpdateSchedule(actor=PARENT, schedule_id=planned.id, location="Gym"))
    await send(UpdateSchedule(actor=PARENT, schedule_id=planned.id, start_time=at("09:00")))
    await send(
        UpdateSchedule(
            actor=ADMIN,
            schedule_id=planned.id,
            end_time=at("12:00"),
            status=ScheduleStatus.cancelled,
        )
    )

    assert len(trainers.asked) == 1  # the assignment's own question
