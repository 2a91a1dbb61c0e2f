"""Integration: an admin cancels a day's sessions in one transaction, and the system hears of
it once: one SchedulesCancelledInBulk on BOOKINGS_EVENTS naming whom it touched, no event per
session and no LiveRefreshRequested."""

import datetime as dt

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.bookings import (
    CancelSchedulesOfDay,
    GetSchedule,
    SchedulesCancelledInBulk,
    ScheduleStatus,
    UpdateSchedule,
)
from contracts.errors import ErrorCode
from contracts.live import LIVE_EVENTS
from messaging.requests import request
from testkit.contracts import assert_valid

from .conftest import ADMIN, PARENT, events_after, stream_events, typed
from .steps import DAY, book, plan, refused

pytestmark = pytest.mark.usefixtures("bookings")


async def test_a_days_sessions_are_cancelled_with_one_event(
    nc: Client, js: JetStreamContext
) -> None:
    booking = await book(nc)
    pool = [await plan(nc, booking.id, f"{h:02}:00", f"{h:02}:45") for h in range(8, 14)]
    gym = await plan(nc, booking.id, "15:00", "16:00", location="Gym")
    done = await plan(nc, booking.id, "17:00", "18:00")
    await request(
        nc, UpdateSchedule(actor=ADMIN, schedule_id=done.id, status=ScheduleStatus.completed)
    )
    tomorrow = await plan(nc, booking.id, day=DAY + dt.timedelta(days=1))
    before = len(await events_after(js, 12))

    reply = await request(nc, CancelSchedulesOfDay(actor=ADMIN, date=DAY, location="Pool"))

    assert sorted(reply.schedule_ids) == [s.id for s in pool]
    msg = (await events_after(js, before + 1))[-1]
    assert msg.subject == SchedulesCancelledInBulk.subject
    assert_valid(msg.data or b"", msg.subject or "")
    event = typed(msg)
    assert isinstance(event, SchedulesCancelledInBulk)
    assert (event.date, event.location, event.actor) == (DAY, "Pool", ADMIN)
    assert sorted(event.schedule_ids) == sorted(reply.schedule_ids)
    assert (event.parent_ids, event.trainer_user_ids) == ([PARENT.user_id], [])
    statuses = {
        s.id: (await request(nc, GetSchedule(actor=PARENT, schedule_id=s.id))).status
        for s in (*pool, gym, done, tomorrow)
    }
    assert statuses == {
        **{s.id: ScheduleStatus.cancelled for s in pool},
        gym.id: ScheduleStatus.scheduled,
        done.id: ScheduleStatus.completed,
        tomorrow.id: ScheduleStatus.scheduled,
    }

    again = await request(nc, CancelSchedulesOfDay(actor=ADMIN, date=DAY, location="Pool"))
    assert again.schedule_ids == []
    assert len(await stream_events(js)) == before + 1, "one event, none per session or again"
    assert await stream_events(js, LIVE_EVENTS.name) == [], "and no refresh of its own"


async def test_only_an_admin_cancels_a_day(nc: Client, js: JetStreamContext) -> None:
    booking = await book(nc)
    session = await plan(nc, booking.id)

    error = await refused(nc, CancelSchedulesOfDay(actor=PARENT, date=DAY))

    assert error.code is ErrorCode.forbidden
    stored = await request(nc, GetSchedule(actor=PARENT, schedule_id=session.id))
    assert stored.status is ScheduleStatus.scheduled
    assert await stream_events(js, LIVE_EVENTS.name) == []
