"""`GET /admin/today`: every session of a business day with its child, trainer, clock state and
latest activity, in two round trips whatever the number of sessions (docs/rest.md)."""

import datetime as dt

from pydantic import BaseModel

from contracts import bookings as b
from contracts import trainers as t
from contracts.envelope import Actor
from gateway.views.asking import Asks, ask_service


class Person(BaseModel):
    id: int
    name: str


class LatestActivity(BaseModel):
    activity: str
    location: str | None = None
    at: dt.datetime


class TodayEntry(BaseModel):
    """One session of the day, as the admin's "Today's activity" shows it."""

    schedule_id: int
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    location: str
    status: b.ScheduleStatus
    child: Person
    trainer: Person | None = None
    clocked_in_at: dt.datetime | None = None
    clocked_out_at: dt.datetime | None = None
    latest_activity: LatestActivity | None = None


class TodayView(BaseModel):
    """The day's sessions in three lists, each in start-time order; cancelled ones left out."""

    date: dt.date
    time_zone: str
    in_progress: list[TodayEntry] = []
    upcoming: list[TodayEntry] = []
    finished: list[TodayEntry] = []


def entry(session: b.ScheduleDetails, activity: t.SessionActivity | None) -> TodayEntry:
    """A session joined with its activity (None: nothing recorded yet)."""
    trainer = (
        None
        if session.trainer_id is None
        else Person(id=session.trainer_id, name=session.trainer_name or "")
    )
    current = None if activity is None else activity.current_activity
    latest = (
        None
        if current is None
        else LatestActivity(activity=current.activity, location=current.location, at=current.at)
    )
    return TodayEntry(
        schedule_id=session.id,
        date=session.date,
        start_time=session.start_time,
        end_time=session.end_time,
        location=session.location,
        status=session.status,
        child=Person(id=session.child_id, name=session.child_name),
        trainer=trainer,
        clocked_in_at=None if activity is None else activity.clocked_in_at,
        clocked_out_at=None if activity is None else activity.clocked_out_at,
        latest_activity=latest,
    )


def bucketed(
    day: dt.date, time_zone: str, sessions: list[b.ScheduleDetails], activity: t.DayActivity
) -> TodayView:
    """Clocked out or completed: finished; clocked in: in progress; else upcoming."""
    by_session = {item.schedule_id: item for item in activity.items}
    view = TodayView(date=day, time_zone=time_zone)
    for session in sorted(sessions, key=lambda s: (s.start_time, s.end_time, s.id)):
        if session.status is b.ScheduleStatus.cancelled:
            continue
        item = entry(session, by_session.get(session.id))
        if item.clocked_out_at is not None or session.status is b.ScheduleStatus.completed:
            view.finished.append(item)
        elif item.clocked_in_at is not None:
            view.in_progress.append(item)
        else:
            view.upcoming.append(item)
    return view


async def today_view(services: Asks, actor: Actor, day: dt.date, time_zone: str) -> TodayView:
    """One ListSchedulesOfDay, then one GetDayActivity for all of that day's sessions."""
    sessions = await ask_service(
        services, "bookings", "the day's sessions", b.ListSchedulesOfDay(actor=actor, date=day)
    )
    shown = [s for s in sessions.items if s.status is not b.ScheduleStatus.cancelled]
    activity = await ask_service(
        services,
        "trainers",
        "the day's clock-ins and activity",
        t.GetDayActivity(actor=actor, schedule_ids=[s.id for s in shown]),
    )
    return bucketed(day, time_zone, shown, activity)
