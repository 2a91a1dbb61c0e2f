"""Unit: who may do what with a session's time and logs, in one table. Bookings decides who
sees the session (its parent, its trainer, admins); strangers are told it does not exist."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from contracts.envelope import Actor, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    ActivityLogDetails,
    ClockIn,
    ClockOut,
    CreateActivityLog,
    GetDayActivity,
    GetSessionActivity,
    ListActivityLogs,
    UpdateActivityLog,
    UpdateCurrentActivity,
)

from .conftest import ADMIN, OTHER_PARENT, OTHER_TRAINER, PARENT, SESSION, TRAINER, Send

OK = None
F, NF = ErrorCode.forbidden, ErrorCode.not_found
ACTORS = [PARENT, OTHER_PARENT, TRAINER, OTHER_TRAINER, ADMIN]

Setup = Callable[[Send], Awaitable[int]]
Command = Callable[[Actor, int], Request[Any]]


async def nothing(send: Send) -> int:
    return 0


async def clocked_in(send: Send) -> int:
    await send(ClockIn(actor=TRAINER, schedule_id=SESSION))
    return 0


async def logged(send: Send) -> int:
    log: ActivityLogDetails = await send(
        CreateActivityLog(actor=TRAINER, schedule_id=SESSION, activity="Lengths")
    )
    return log.id


# operation: (what is there first, the request, the outcome for each of ACTORS)
MATRIX: dict[str, tuple[Setup, Command, list[ErrorCode | None]]] = {
    "clock in": (
        nothing,
        lambda a, _: ClockIn(actor=a, schedule_id=SESSION),
        [F, NF, OK, NF, OK],
    ),
    "clock out": (
        clocked_in,
        lambda a, _: ClockOut(actor=a, schedule_id=SESSION),
        [F, NF, OK, NF, OK],
    ),
    "current activity": (
        clocked_in,
        lambda a, _: UpdateCurrentActivity(actor=a, schedule_id=SESSION, activity="Diving"),
        [F, NF, OK, NF, F],
    ),
    "session activity": (
        clocked_in,
        lambda a, _: GetSessionActivity(actor=a, schedule_id=SESSION),
        [OK, NF, OK, NF, OK],
    ),
    "day activity": (
        clocked_in,
        lambda a, _: GetDayActivity(actor=a, schedule_ids=[SESSION]),
        [F, F, F, F, OK],
    ),
    "write a log": (
        nothing,
        lambda a, _: CreateActivityLog(actor=a, schedule_id=SESSION, activity="Lengths"),
        [F, NF, OK, NF, F],
    ),
    "change a log": (
        logged,
        lambda a, log_id: UpdateActivityLog(actor=a, activity_log_id=log_id, notes="more"),
        [F, NF, OK, NF, F],
    ),
    "list logs": (
        logged,
        lambda a, _: ListActivityLogs(actor=a, schedule_id=SESSION),
        [OK, NF, OK, NF, OK],
    ),
}

CASES = [
    pytest.param(setup, command, actor, outcome, id=f"{operation}-{actor.name}")
    for operation, (setup, command, outcomes) in MATRIX.items()
    for actor, outcome in zip(ACTORS, outcomes, strict=True)
]


@pytest.mark.parametrize(("setup", "command", "actor", "outcome"), CASES)
async def test_access(
    send: Send, setup: Setup, command: Command, actor: Actor, outcome: ErrorCode | None
) -> None:
    made = await setup(send)
    if outcome is OK:
        await send(command(actor, made))
        return
    with pytest.raises(ServiceError) as raised:
        await send(command(actor, made))
    assert raised.value.code is outcome
