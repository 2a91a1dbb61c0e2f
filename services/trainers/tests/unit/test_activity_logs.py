"""Unit: activity logs, written by the session's trainer (clocked in or not, not on a cancelled
session), changed only by the trainer who wrote them, read by whoever may see the session."""

from datetime import timedelta
from typing import Any

import pytest

from contracts.bookings import ScheduleStatus
from contracts.envelope import Actor, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    ActivityLogCreated,
    ActivityLogDetails,
    ActivityLogPage,
    ActivityLogUpdated,
    CreateActivityLog,
    ListActivityLogs,
    SessionActivityEvent,
    UpdateActivityLog,
)
from trainers.adapters.sessions import BOOKINGS_AWAY

from .conftest import (
    ADMIN,
    NOW,
    OTHER_PARENT,
    OTHER_TRAINER,
    PARENT,
    PROFILE_IDS,
    SESSION,
    TRAINER,
    FixedClock,
    Send,
    scheduled,
)
from .fakes import FakeDatabase, FakeSessionDirectory

CONFLICT, FORBIDDEN, NOT_FOUND = ErrorCode.conflict, ErrorCode.forbidden, ErrorCode.not_found
TOMS = PROFILE_IDS[TRAINER.user_id]


async def refused(send: Send, command: Request[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        await send(command)
    return raised.value


def events(database: FakeDatabase) -> list[SessionActivityEvent]:
    return [e for e in database.outbox if isinstance(e, SessionActivityEvent)]


async def write(
    send: Send,
    activity: str = "Lengths",
    notes: str | None = None,
    schedule_id: int = SESSION,
    actor: Actor = TRAINER,
) -> ActivityLogDetails:
    reply: ActivityLogDetails = await send(
        CreateActivityLog(actor=actor, schedule_id=schedule_id, activity=activity, notes=notes)
    )
    return reply


async def test_the_trainer_writes_a_log_without_clocking_in_and_it_is_announced(
    send: Send, database: FakeDatabase
) -> None:
    written = await write(send, "Lengths", "Ada swam 4 lengths")

    assert (written.schedule_id, written.trainer_id, written.activity, written.notes) == (
        SESSION,
        TOMS,
        "Lengths",
        "Ada swam 4 lengths",
    )
    assert written.created_at == written.updated_at == NOW
    [event] = events(database)
    assert isinstance(event, ActivityLogCreated)
    assert (event.activity_log_id, event.schedule_id, event.trainer_id) == (
        written.id,
        SESSION,
        TOMS,
    )
    assert (event.trainer_user_id, event.parent_id, event.actor) == (
        TRAINER.user_id,
        PARENT.user_id,
        TRAINER,
    )


@pytest.mark.parametrize(("actor", "code"), [(ADMIN, FORBIDDEN), (PARENT, FORBIDDEN)])
async def test_only_the_sessions_trainer_writes_logs(
    send: Send, database: FakeDatabase, actor: Actor, code: ErrorCode
) -> None:
    error = await refused(
        send, CreateActivityLog(actor=actor, schedule_id=SESSION, activity="Lengths")
    )

    assert (error.code, error.message) == (
        code,
        "only the session's assigned trainer writes its activity logs",
    )
    assert (database.activity_logs, database.outbox) == ({}, [])


async def test_another_trainer_cannot_see_the_session_to_write_on_it(send: Send) -> None:
    error = await refused(
        send, CreateActivityLog(actor=OTHER_TRAINER, schedule_id=SESSION, activity="Lengths")
    )
    assert (error.code, error.message) == (NOT_FOUND, f"session {SESSION} not found")


async def test_a_cancelled_session_takes_no_logs_but_a_completed_one_does(
    send: Send, sessions: FakeSessionDirectory, database: FakeDatabase
) -> None:
    sessions.add(scheduled(2, status=ScheduleStatus.cancelled))
    sessions.add(scheduled(3, status=ScheduleStatus.completed))

    error = await refused(send, CreateActivityLog(actor=TRAINER, schedule_id=2, activity="Lengths"))

    assert (error.code, error.message) == (
        CONFLICT,
        "session 2 is cancelled; its activity logs are closed",
    )
    written = await write(send, "Write-up", schedule_id=3)
    assert [log.schedule_id for log in database.activity_logs.values()] == [written.schedule_id]


async def test_the_logs_of_a_session_cancelled_since_no_longer_change(
    send: Send, sessions: FakeSessionDirectory, database: FakeDatabase
) -> None:
    written = await write(send, "Lengths")
    sessions.change(SESSION, status=ScheduleStatus.cancelled)

    error = await refused(
        send, UpdateActivityLog(actor=TRAINER, activity_log_id=written.id, notes="x")
    )

    assert (error.code, error.message) == (
        CONFLICT,
        f"session {SESSION} is cancelled; its activity logs are closed",
    )
    assert database.activity_logs[written.id].notes is None


async def test_the_writer_changes_a_log_field_by_field(
    send: Send, database: FakeDatabase, clock: FixedClock
) -> None:
    written = await write(send, "Lengths", "4 lengths")
    clock.at = later = NOW + timedelta(minutes=10)

    changed: ActivityLogDetails = await send(
        UpdateActivityLog(actor=TRAINER, activity_log_id=written.id, notes="6 lengths")
    )

    assert (changed.activity, changed.notes) == ("Lengths", "6 lengths")
    assert (changed.created_at, changed.updated_at) == (NOW, later)
    _, updated = events(database)
    assert isinstance(updated, ActivityLogUpdated)
    assert (updated.activity_log_id, updated.trainer_user_id, updated.parent_id) == (
        written.id,
        TRAINER.user_id,
        PARENT.user_id,
    )


async def test_a_change_that_changes_nothing_announces_nothing(
    send: Send, database: FakeDatabase
) -> None:
    written = await write(send, "Lengths")

    same: ActivityLogDetails = await send(
        UpdateActivityLog(actor=TRAINER, activity_log_id=written.id, activity="Lengths")
    )

    assert same == written
    assert len(events(database)) == 1


@pytest.mark.parametrize(
    ("actor", "code"),
    [
        (ADMIN, FORBIDDEN),
        (PARENT, FORBIDDEN),
        (OTHER_TRAINER, NOT_FOUND),
        (OTHER_PARENT, NOT_FOUND),
    ],
)
async def test_only_the_writer_changes_a_log(
    send: Send, database: FakeDatabase, actor: Actor, code: ErrorCode
) -> None:
    written = await write(send, "Lengths")

    error = await refused(
        send, UpdateActivityLog(actor=actor, activity_log_id=written.id, activity="Diving")
    )

    assert error.code is code
    if code is NOT_FOUND:
        assert error.message == f"activity log {written.id} not found", "not the session's id"
    else:
        assert error.message == f"only the trainer who wrote activity log {written.id} changes it"
    assert database.activity_logs[written.id].activity == "Lengths"


async def test_a_writer_taken_off_the_session_no_longer_sees_their_log(
    send: Send, sessions: FakeSessionDirectory
) -> None:
    written = await write(send, "Lengths")
    sessions.change(
        SESSION,
        trainer_id=PROFILE_IDS[OTHER_TRAINER.user_id],
        trainer_user_id=OTHER_TRAINER.user_id,
    )

    error = await refused(
        send, UpdateActivityLog(actor=TRAINER, activity_log_id=written.id, activity="Diving")
    )
    assert error.code is NOT_FOUND
    error = await refused(
        send, UpdateActivityLog(actor=OTHER_TRAINER, activity_log_id=written.id, activity="x")
    )
    assert error.code is FORBIDDEN, "the new trainer sees it, but did not write it"


async def test_a_log_that_does_not_exist_is_not_found_without_asking_bookings(
    send: Send, sessions: FakeSessionDirectory
) -> None:
    error = await refused(send, UpdateActivityLog(actor=TRAINER, activity_log_id=99, notes="x"))

    assert (error.code, error.message) == (NOT_FOUND, "activity log 99 not found")
    assert sessions.asked == []


async def test_bookings_away_writes_and_changes_nothing(
    send: Send, sessions: FakeSessionDirectory, database: FakeDatabase
) -> None:
    written = await write(send, "Lengths")
    sessions.down = True

    for command in (
        CreateActivityLog(actor=TRAINER, schedule_id=SESSION, activity="Diving"),
        UpdateActivityLog(actor=TRAINER, activity_log_id=written.id, activity="Diving"),
        ListActivityLogs(actor=TRAINER, schedule_id=SESSION),
    ):
        error = await refused(send, command)
        assert (error.code, error.message) == (ErrorCode.unavailable, BOOKINGS_AWAY)

    [log] = database.activity_logs.values()
    assert log.activity == "Lengths"
    assert len(events(database)) == 1


async def test_logs_list_newest_first_page_by_page_for_who_may_see_the_session(
    send: Send, sessions: FakeSessionDirectory
) -> None:
    sessions.add(scheduled(2))
    ids = [(await write(send, f"step {i}")).id for i in range(5)]
    await write(send, "another session", schedule_id=2)

    for reader in (PARENT, TRAINER, ADMIN):
        first: ActivityLogPage = await send(
            ListActivityLogs(actor=reader, schedule_id=SESSION, limit=3)
        )
        rest: ActivityLogPage = await send(
            ListActivityLogs(actor=reader, schedule_id=SESSION, limit=3, cursor=first.next_cursor)
        )
        assert [log.id for log in first.items + rest.items] == ids[::-1]
        assert rest.next_cursor is None
    for stranger in (OTHER_PARENT, OTHER_TRAINER):
        error = await refused(send, ListActivityLogs(actor=stranger, schedule_id=SESSION))
        assert error.code is NOT_FOUND


async def test_a_forged_cursor_is_invalid(send: Send) -> None:
    error = await refused(
        send, ListActivityLogs(actor=TRAINER, schedule_id=SESSION, cursor="not-ours")
    )
    assert error.code is ErrorCode.invalid
