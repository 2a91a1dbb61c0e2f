"""Unit: one session's activity for whoever may see it (with its newest logs), and many
sessions' at once for an admin, without a question to bookings per session."""

from datetime import timedelta

import pytest

from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    ClockIn,
    ClockOut,
    CreateActivityLog,
    CurrentActivity,
    DayActivity,
    GetDayActivity,
    GetSessionActivity,
    SessionActivity,
    UpdateCurrentActivity,
)

from .conftest import (
    ADMIN,
    NOW,
    OTHER_PARENT,
    OTHER_TRAINER,
    PARENT,
    PROFILE_IDS,
    SESSION,
    SESSION_LOGS,
    TRAINER,
    FixedClock,
    Send,
    scheduled,
)
from .fakes import FakeDatabase, FakeSessionDirectory

TOMS = PROFILE_IDS[TRAINER.user_id]


async def activity(
    send: Send, actor: Actor = PARENT, schedule_id: int = SESSION
) -> SessionActivity:
    reply: SessionActivity = await send(GetSessionActivity(actor=actor, schedule_id=schedule_id))
    return reply


async def test_a_session_with_nothing_yet_answers_its_id_and_trainer(send: Send) -> None:
    assert await activity(send) == SessionActivity(schedule_id=SESSION, trainer_id=TOMS)


async def test_a_session_without_a_trainer_answers_empty(
    send: Send, sessions: FakeSessionDirectory
) -> None:
    sessions.add(scheduled(2, trainer=None))
    assert await activity(send, ADMIN, 2) == SessionActivity(schedule_id=2)


async def test_the_parent_sees_the_clock_the_activity_and_the_newest_logs(
    send: Send, clock: FixedClock
) -> None:
    await send(CreateActivityLog(actor=TRAINER, schedule_id=SESSION, activity="Plan"))
    await send(ClockIn(actor=TRAINER, schedule_id=SESSION, location="Gate"))
    for minute in range(1, SESSION_LOGS + 2):
        clock.at = NOW + timedelta(minutes=minute)
        await send(CreateActivityLog(actor=TRAINER, schedule_id=SESSION, activity=f"step {minute}"))
    await send(UpdateCurrentActivity(actor=TRAINER, schedule_id=SESSION, activity="Diving"))

    seen = await activity(send, PARENT)

    assert (seen.trainer_id, seen.clocked_in_at, seen.clock_in_location) == (TOMS, NOW, "Gate")
    assert seen.current_activity == CurrentActivity(activity="Diving", at=clock.at)
    assert seen.clocked_out_at is None
    # Capped at the service's setting, newest first.
    assert [log.activity for log in seen.activity_logs] == [
        f"step {m}" for m in range(SESSION_LOGS + 1, 1, -1)
    ]
    assert await activity(send, TRAINER) == seen
    assert await activity(send, ADMIN) == seen


async def test_the_replies_of_changes_are_the_whole_session_activity(send: Send) -> None:
    await send(CreateActivityLog(actor=TRAINER, schedule_id=SESSION, activity="Plan"))
    clocked: SessionActivity = await send(ClockIn(actor=TRAINER, schedule_id=SESSION))
    out: SessionActivity = await send(ClockOut(actor=TRAINER, schedule_id=SESSION))

    assert [log.activity for log in clocked.activity_logs] == ["Plan"]
    assert out == await activity(send)


@pytest.mark.parametrize("stranger", [OTHER_PARENT, OTHER_TRAINER])
async def test_someone_who_may_not_see_the_session_is_told_it_does_not_exist(
    send: Send, stranger: Actor
) -> None:
    with pytest.raises(ServiceError) as raised:
        await activity(send, stranger)
    assert (raised.value.code, raised.value.message) == (
        ErrorCode.not_found,
        f"session {SESSION} not found",
    )


async def test_an_admins_day_is_one_query_and_no_question_to_bookings(
    send: Send, sessions: FakeSessionDirectory, database: FakeDatabase
) -> None:
    for schedule_id in range(2, 6):
        sessions.add(scheduled(schedule_id))
    for schedule_id in (2, 4, 5):
        await send(ClockIn(actor=TRAINER, schedule_id=schedule_id))
    await send(UpdateCurrentActivity(actor=TRAINER, schedule_id=4, activity="Diving"))
    await send(CreateActivityLog(actor=TRAINER, schedule_id=4, activity="Lengths"))
    sessions.asked.clear()

    day: DayActivity = await send(GetDayActivity(actor=ADMIN, schedule_ids=[5, 3, 4, 2, 4, 999]))

    # In the order asked, each once; sessions with no entry (3, and 999 unknown) left out.
    assert [item.schedule_id for item in day.items] == [5, 4, 2]
    assert {item.trainer_id for item in day.items} == {TOMS}
    assert day.items[1].current_activity == CurrentActivity(activity="Diving", at=NOW)
    assert all(item.activity_logs == [] for item in day.items), "no logs in a day's view"
    assert (sessions.asked, database.entry_batches) == ([], 1)


async def test_an_empty_day_is_empty(send: Send) -> None:
    day: DayActivity = await send(GetDayActivity(actor=ADMIN, schedule_ids=[]))
    assert day.items == []


@pytest.mark.parametrize("actor", [PARENT, TRAINER, OTHER_TRAINER])
async def test_only_admins_read_many_sessions_at_once(send: Send, actor: Actor) -> None:
    with pytest.raises(ServiceError) as raised:
        await send(GetDayActivity(actor=actor, schedule_ids=[SESSION]))
    assert raised.value.code is ErrorCode.forbidden
