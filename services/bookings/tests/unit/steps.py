"""The steps unit tests take again and again, through the bound handlers."""

import datetime as dt
from typing import Any

import pytest

from contracts.bookings import (
    AssignTrainer,
    BookingDetails,
    ChildDetails,
    CreateBooking,
    CreateChild,
    CreateSchedule,
    ScheduleDetails,
)
from contracts.envelope import Actor, Request
from contracts.errors import ServiceError

from .conftest import ADMIN, PARENT, TOM, Send

DAY = dt.date.today() + dt.timedelta(days=30)
BORN = dt.date(2018, 4, 1)


def at(hhmm: str) -> dt.time:
    return dt.time.fromisoformat(hhmm)


async def add_child(send: Send, actor: Actor = PARENT, name: str = "Ada") -> ChildDetails:
    reply: ChildDetails = await send(
        CreateChild(actor=actor, parent_id=actor.user_id, name=name, date_of_birth=BORN)
    )
    return reply


async def book(send: Send, actor: Actor = PARENT, child_id: int | None = None) -> BookingDetails:
    if child_id is None:
        child_id = (await add_child(send, actor)).id
    reply: BookingDetails = await send(CreateBooking(actor=actor, child_id=child_id))
    return reply


async def plan(
    send: Send,
    booking_id: int,
    start: str = "09:00",
    end: str = "10:00",
    actor: Actor = PARENT,
    day: dt.date = DAY,
    location: str = "Pool",
) -> ScheduleDetails:
    reply: ScheduleDetails = await send(
        CreateSchedule(
            actor=actor,
            booking_id=booking_id,
            date=day,
            start_time=at(start),
            end_time=at(end),
            location=location,
        )
    )
    return reply


async def session(send: Send, start: str = "09:00", end: str = "10:00") -> ScheduleDetails:
    """A new session of a new booking of PARENT's."""
    return await plan(send, (await book(send)).id, start, end)


async def assign(send: Send, schedule_id: int, trainer_id: int = TOM) -> ScheduleDetails:
    reply: ScheduleDetails = await send(
        AssignTrainer(actor=ADMIN, schedule_id=schedule_id, trainer_id=trainer_id)
    )
    return reply


async def refused(send: Send, command: Request[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        await send(command)
    return raised.value
