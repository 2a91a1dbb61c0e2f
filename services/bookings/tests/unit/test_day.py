"""Unit: an admin's day: the bulk cancel (one event naming whom it touched, no event per
session) and the whole
day's sessions in start-time order."""

import datetime as dt

import pytest

from contracts.bookings import (
    CancelSchedulesOfDay,
    GetSchedule,
    ListSchedulesOfDay,
    SchedulesCancelledInBulk,
    ScheduleStatus,
    UpdateSchedule,
)
from contracts.envelope import Actor
from contracts.errors import ErrorCode

from .conftest import ADMIN, DAY_LIMIT, OTHER_PARENT, OTHER_TRAINER, PARENT, TESS, TRAINER, Send
from .fakes import FakeDatabase
from .steps import DAY, assign, book, plan, refused


async def test_a_bulk_cancel_cancels_the_days_scheduled_sessions_with_one_event(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)
    pool = [await plan(send, booking.id, f"{h:02}:00", f"{h:02}:30") for h in (9, 10, 11)]
    gym = await plan(send, booking.id, "12:00", "13:00", location="Gym")
    done = await plan(send, booking.id, "14:00", "15:00")
    await send(UpdateSchedule(actor=ADMIN, schedule_id=done.id, status=ScheduleStatus.completed))
    other_day = await plan(send, booking.id, day=DAY + dt.timedelta(days=1))
    await assign(send, pool[0].id)
    await assign(send, pool[1].id)  # the same trainer twice: named once
    other = await plan(send, (await book(send, OTHER_PARENT)).id, "16:00", "17:00", OTHER_PARENT)
    await assign(send, other.id, TESS)
    before = len(database.outbox)

    reply = await send(CancelSchedulesOfDay(actor=ADMIN, date=DAY))

    assert (reply.date, reply.location) == (DAY, None)
    assert sorted(reply.schedule_ids) == sorted([s.id for s in pool] + [gym.id, other.id])
    [event] = database.outbox[before:]
    assert isinstance(event, SchedulesCancelledInBulk)
    assert (event.date, event.location, event.actor) == (DAY, None, ADMIN)
    assert sorted(event.schedule_ids) == sorted(reply.schedule_ids)
    assert event.parent_ids == sorted({PARENT.user_id, OTHER_PARENT.user_id})
    assert event.trainer_user_ids == [TRAINER.user_id, OTHER_TRAINER.user_id]
    statuses = {
        s.id: (await send(GetSchedule(actor=ADMIN, schedule_id=s.id))).status
        for s in (*pool, gym, done, other_day, other)
    }
    assert statuses == {
        **{s.id: ScheduleStatus.cancelled for s in (*pool, gym)},
        other.id: ScheduleStatus.cancelled,
        done.id: ScheduleStatus.completed,
        other_day.id: ScheduleStatus.scheduled,
    }


async def test_a_bulk_cancel_at_one_location_leaves_the_others(
    send: Send, database: FakeDatabase
) -> None:
    booking = await book(send)
    pool = await plan(send, booking.id, location="Pool")
    gym = await plan(send, booking.id, location="Gym")

    reply = await send(CancelSchedulesOfDay(actor=ADMIN, date=DAY, location="Gym"))

    assert reply.schedule_ids == [gym.id]
    assert database.schedules[pool.id].status is ScheduleStatus.scheduled
    event = database.outbox[-1]
    assert isinstance(event, SchedulesCancelledInBulk)
    assert (event.location, event.schedule_ids, event.parent_ids, event.trainer_user_ids) == (
        "Gym",
        [gym.id],
        [PARENT.user_id],
        [],
    )


async def test_a_bulk_cancel_with_nothing_to_cancel_emits_nothing(
    send: Send, database: FakeDatabase
) -> None:
    await book(send)
    before = len(database.outbox)
    reply = await send(CancelSchedulesOfDay(actor=ADMIN, date=DAY))
    assert reply.schedule_ids == [] and len(database.outbox) == before


@pytest.mark.parametrize("actor", [PARENT, TRAINER])
async def test_only_admins_cancel_a_day_or_list_it(
    send: Send, database: FakeDatabase, actor: Actor
) -> None:
    booking = await book(send)
    planned = await plan(send, booking.id)
    await assign(send, planned.id)
    before = len(database.outbox)

    for command in (
        CancelSchedulesOfDay(actor=actor, date=DAY),
        ListSchedulesOfDay(actor=actor, date=DAY),
    ):
        assert (await refused(send, command)).code is ErrorCode.forbidden
    assert database.schedules[planned.id].status is ScheduleStatus.scheduled
    assert len(database.outbox) == before


async def test_a_day_lists_in_start_time_order_with_child_and_trainer(send: Send) -> None:
    booking = await book(send)
    late = await plan(send, booking.id, "15:00", "16:00")
    early = await plan(send, booking.id, "08:00", "09:00")
    await plan(send, booking.id, day=DAY + dt.timedelta(days=1))
    await assign(send, late.id)

    day = await send(ListSchedulesOfDay(actor=ADMIN, date=DAY))

    assert day.date == DAY
    assert [s.id for s in day.items] == [early.id, late.id]
    assert [(s.child_name, s.trainer_name) for s in day.items] == [
        ("Ada", None),
        ("Ada", TRAINER.name),
    ]


async def test_a_day_answers_at_most_its_limit(send: Send) -> None:
    booking = await book(send)
    for hour in range(8, 8 + DAY_LIMIT + 2):
        await plan(send, booking.id, f"{hour:02}:00", f"{hour:02}:30")
    day = await send(ListSchedulesOfDay(actor=ADMIN, date=DAY))
    assert [s.start_time.hour for s in day.items] == list(range(8, 8 + DAY_LIMIT))
