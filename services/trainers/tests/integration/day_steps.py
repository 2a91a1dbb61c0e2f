"""The steps the trainer's-day tests take again and again, as requests over NATS to the real
bookings and trainers services: a session of Pat's child, with Tom assigned."""

import datetime as dt
from typing import Any

import pytest
from nats.aio.client import Client

from contracts.bookings import (
    AssignTrainer,
    CreateBooking,
    CreateChild,
    CreateSchedule,
    ScheduleDetails,
)
from contracts.envelope import Request
from contracts.errors import ServiceError
from contracts.trainers import ReplaceAvailability
from messaging.requests import request

from .conftest import ADMIN, PARENT


def today() -> dt.date:
    """The business day of both services by default: the machine's local date."""
    return dt.date.today()


async def make_available(nc: Client, trainer_id: int, days: int = 3) -> None:
    """The trainer is available today and on the days after it."""
    dates = [today() + dt.timedelta(days=n) for n in range(days)]
    await request(nc, ReplaceAvailability(actor=ADMIN, trainer_id=trainer_id, dates=dates))


async def new_booking(nc: Client) -> int:
    child = await request(
        nc,
        CreateChild(
            actor=PARENT, parent_id=PARENT.user_id, name="Ada", date_of_birth=dt.date(2018, 4, 1)
        ),
    )
    return (await request(nc, CreateBooking(actor=PARENT, child_id=child.id))).id


async def session_with(
    nc: Client,
    trainer_id: int | None,
    day: dt.date | None = None,
    start: dt.time = dt.time(9),
    minutes: int = 60,
    booking_id: int | None = None,
) -> ScheduleDetails:
    """A session of Pat's child on `day` (today), with the trainer assigned (None: none)."""
    if booking_id is None:
        booking_id = await new_booking(nc)
    end = (dt.datetime.combine(dt.date.min, start) + dt.timedelta(minutes=minutes)).time()
    planned = await request(
        nc,
        CreateSchedule(
            actor=PARENT,
            booking_id=booking_id,
            date=day or today(),
            start_time=start,
            end_time=end,
            location="Pool",
        ),
    )
    if trainer_id is None:
        return planned
    return await request(
        nc, AssignTrainer(actor=ADMIN, schedule_id=planned.id, trainer_id=trainer_id)
    )


async def refused(nc: Client, message: Request[Any]) -> ServiceError:
    """The error the service answers `message` with (failing if it succeeds)."""
    with pytest.raises(ServiceError) as raised:
        await request(nc, message)
    return raised.value
