"""The steps integration tests take again and again, as requests over NATS."""

import datetime as dt
from typing import Any

import pytest
from nats.aio.client import Client

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
from messaging.requests import request

from .conftest import ADMIN, PARENT, TOM

DAY = dt.date.today() + dt.timedelta(days=30)


def at(hhmm: str) -> dt.time:
    return dt.time.fromisoformat(hhmm)


async def add_child(nc: Client, actor: Actor = PARENT, name: str = "Ada") -> ChildDetails:
    return await request(
        nc,
        CreateChild(
            actor=actor, parent_id=actor.user_id, name=name, date_of_birth=dt.date(2018, 4, 1)
        ),
    )


async def book(nc: Client, actor: Actor = PARENT, child_id: int | None = None) -> BookingDetails:
    if child_id is None:
        child_id = (await add_child(nc, actor)).id
    return await request(nc, CreateBooking(actor=actor, child_id=child_id))


async def plan(
    nc: Client,
    booking_id: int,
    start: str = "09:00",
    end: str = "10:00",
    actor: Actor = PARENT,
    day: dt.date = DAY,
    location: str = "Pool",
) -> ScheduleDetails:
    return await request(
        nc,
        CreateSchedule(
            actor=actor,
            booking_id=booking_id,
            date=day,
            start_time=at(start),
            end_time=at(end),
            location=location,
        ),
    )


async def assign(nc: Client, schedule_id: int, trainer_id: int = TOM) -> ScheduleDetails:
    return await request(
        nc, AssignTrainer(actor=ADMIN, schedule_id=schedule_id, trainer_id=trainer_id)
    )


async def refused(nc: Client, message: Request[Any]) -> ServiceError:
    """The error the service answers `message` with (failing if it succeeds)."""
    with pytest.raises(ServiceError) as raised:
        await request(nc, message)
    return raised.value
