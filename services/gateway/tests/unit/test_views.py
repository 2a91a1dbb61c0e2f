"""The composed views without a network: what they ask, in what order, and how they join and
bucket the answers (docs/rest.md, "Composed views")."""

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from contracts import bookings as b
from contracts import trainers as t
from contracts.envelope import Actor, R, Request, Role
from contracts.errors import ErrorCode, ServiceError
from gateway.business_day import local_time_zone_name, zone_of
from gateway.settings import GatewaySettings
from gateway.views.session import session_view
from gateway.views.today import today_view

ADMIN = Actor(user_id=1, role=Role.admin, name="Ada")
DAY = date(2026, 12, 1)
AT = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)


class Services:
    """Answers each contract type with a canned reply (or error) and records what was asked."""

    def __init__(self, answers: dict[type[Any], Any]) -> None:
        self.answers = answers
        self.asked: list[Request[Any]] = []

    async def ask(self, message: Request[R]) -> R:
        self.asked.append(message)
        answer = self.answers[type(message)]
        if isinstance(answer, ServiceError):
            raise answer
        reply: R = answer
        return reply

    def subjects(self) -> list[str]:
        return [message.subject for message in self.asked]


def session(
    schedule_id: int,
    start: int,
    status: b.ScheduleStatus = b.ScheduleStatus.scheduled,
    trainer: bool = True,
) -> b.ScheduleDetails:
    return b.ScheduleDetails(
        id=schedule_id,
        booking_id=1,
        child_id=10 + schedule_id,
        child_name=f"Child {schedule_id}",
        parent_id=2,
        date=DAY,
        start_time=time(start),
        end_time=time(start + 1),
        location="Hall",
        status=status,
        trainer_id=7 if trainer else None,
        trainer_user_id=3 if trainer else None,
        trainer_name="Tom" if trainer else None,
        created_at=AT,
        updated_at=AT,
    )


def activity(schedule_id: int, clocked_in: bool = True, out: bool = False) -> t.SessionActivity:
    return t.SessionActivity(
        schedule_id=schedule_id,
        trainer_id=7,
        clocked_in_at=AT if clocked_in else None,
        clocked_out_at=AT if out else None,
        current_activity=t.CurrentActivity(activity="Drills", location="Pitch", at=AT),
    )


def away(subject: str) -> ServiceError:
    return ServiceError(ErrorCode.unavailable, f"no service answers {subject}")


async def test_today_asks_each_service_once_and_buckets_by_clock_and_status() -> None:
    sessions = [
        session(1, 15),
        session(2, 9),  # clocked in
        session(3, 8, trainer=False),
        session(4, 10),  # clocked out
        session(5, 11, b.ScheduleStatus.completed),
        session(6, 7, b.ScheduleStatus.cancelled),
        session(7, 12),  # clocked in
    ]
    day = t.DayActivity(items=[activity(2), activity(4, out=True), activity(7)])
    services = Services(
        {b.ListSchedulesOfDay: b.DaySchedules(date=DAY, items=sessions), t.GetDayActivity: day}
    )

    view = await today_view(services, ADMIN, DAY, "Europe/London")

    assert services.subjects() == [b.ListSchedulesOfDay.subject, t.GetDayActivity.subject]
    asked_day = services.asked[1]
    assert isinstance(asked_day, t.GetDayActivity)
    assert asked_day.schedule_ids == [1, 2, 3, 4, 5, 7]
    assert (view.date, view.time_zone) == (DAY, "Europe/London")
    assert [e.schedule_id for e in view.in_progress] == [2, 7]
    assert [e.schedule_id for e in view.upcoming] == [3, 1]
    assert [e.schedule_id for e in view.finished] == [4, 5]
    running = view.in_progress[0]
    assert running.trainer is not None and running.trainer.model_dump() == {"id": 7, "name": "Tom"}
    assert running.child.model_dump() == {"id": 12, "name": "Child 2"}
    assert running.clocked_in_at == AT and running.clocked_out_at is None
    assert running.latest_activity is not None
    latest = running.latest_activity.model_dump()
    assert latest == {"activity": "Drills", "location": "Pitch", "at": AT}
    untouched = view.upcoming[0]
    assert untouched.trainer is None and untouched.latest_activity is None
    assert untouched.clocked_in_at is None


async def test_an_empty_day_still_asks_trainers_once() -> None:
    services = Services(
        {
            b.ListSchedulesOfDay: b.DaySchedules(date=DAY, items=[]),
            t.GetDayActivity: t.DayActivity(items=[]),
        }
    )
    view = await today_view(services, ADMIN, DAY, "UTC")
    assert len(services.asked) == 2
    assert view.in_progress == view.upcoming == view.finished == []


@pytest.mark.parametrize("missing", ["bookings", "trainers"])
async def test_a_service_away_is_named_in_the_503(missing: str) -> None:
    answers: dict[type[Any], Any] = {
        b.ListSchedulesOfDay: b.DaySchedules(date=DAY, items=[session(1, 9)]),
        t.GetDayActivity: t.DayActivity(items=[]),
        b.GetSchedule: session(1, 9),
        t.GetSessionActivity: activity(1),
    }
    for contract in answers:
        if contract.subject.startswith(missing):
            answers[contract] = away(contract.subject)
    for view in (
        today_view(Services(answers), ADMIN, DAY, "UTC"),
        session_view(Services(answers), ADMIN, 1),
    ):
        with pytest.raises(ServiceError) as raised:
            await view
        assert raised.value.code is ErrorCode.unavailable
        assert f"the {missing} service is unavailable" in raised.value.message
        assert f"no service answers {missing}.requests." in raised.value.message


async def test_the_session_view_asks_bookings_first_and_stops_at_its_404() -> None:
    hidden = ServiceError(ErrorCode.not_found, "schedule 1 not found")
    services = Services({b.GetSchedule: hidden, t.GetSessionActivity: activity(1)})
    with pytest.raises(ServiceError) as raised:
        await session_view(services, ADMIN, 1)
    assert raised.value is hidden
    assert services.subjects() == [b.GetSchedule.subject]


async def test_the_session_view_joins_the_session_and_its_activity() -> None:
    log = t.ActivityLogDetails(
        id=5, schedule_id=1, trainer_id=7, activity="Drills", created_at=AT, updated_at=AT
    )
    mine = activity(1).model_copy(update={"activity_logs": [log]})
    services = Services({b.GetSchedule: session(1, 9), t.GetSessionActivity: mine})
    view = await session_view(services, ADMIN, 1)
    assert services.subjects() == [b.GetSchedule.subject, t.GetSessionActivity.subject]
    fields = set(b.ScheduleDetails.model_fields)
    assert view.model_dump(include=fields) == session(1, 9).model_dump()
    assert (view.clocked_in_at, view.clocked_out_at) == (AT, None)
    assert view.current_activity == mine.current_activity
    assert view.activity_logs == [log]


def test_the_business_time_zone_is_an_iana_name_checked_at_load() -> None:
    assert GatewaySettings(business_time_zone="Europe/London").business_zone == zone_of(
        "Europe/London"
    )
    for bad in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(ValueError, match="IANA"):
            GatewaySettings(business_time_zone=bad)
    assert zone_of(GatewaySettings().business_time_zone) == zone_of(local_time_zone_name())


def test_the_machine_zone_follows_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert local_time_zone_name() == "Asia/Tokyo"
    monkeypatch.setenv("TZ", "Nowhere/Atall")
    assert zone_of(local_time_zone_name())  # falls back to a real zone
