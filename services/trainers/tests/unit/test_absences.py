"""Unit: absence requests, from asking to deciding or withdrawing, and who may do what."""

from datetime import date
from typing import Any

import pytest

from contracts.envelope import Actor, Deleted, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    AbsenceRequestCreated,
    AbsenceRequestDeleted,
    AbsenceRequestDetails,
    AbsenceRequestEvent,
    AbsenceRequestUpdated,
    AbsenceStatus,
    DecideAbsenceRequest,
    GetAbsenceRequest,
    ListAbsenceRequests,
    RequestAbsence,
    WithdrawAbsenceRequest,
)
from trainers.domain.absence import AbsenceRequest
from trainers.domain.trainer import Trainer

from .conftest import ADMIN, OTHER_TRAINER, PARENT, TRAINER, Send
from .fakes import FakeDatabase

START, END = date(2026, 12, 1), date(2026, 12, 3)
APPROVED, REJECTED = AbsenceStatus.approved, AbsenceStatus.rejected
NOT_FOUND, FORBIDDEN, CONFLICT = ErrorCode.not_found, ErrorCode.forbidden, ErrorCode.conflict


async def refused(send: Send, command: Request[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        await send(command)
    return raised.value


def events(database: FakeDatabase) -> list[AbsenceRequestEvent]:
    assert all(isinstance(e, AbsenceRequestEvent) for e in database.outbox), database.outbox
    return [e for e in database.outbox if isinstance(e, AbsenceRequestEvent)]


@pytest.fixture
def toms(trainer_ids: dict[int, int]) -> int:
    return trainer_ids[TRAINER.user_id]


@pytest.fixture
def olgas(trainer_ids: dict[int, int]) -> int:
    return trainer_ids[OTHER_TRAINER.user_id]


async def ask(
    send: Send, trainer_id: int, actor: Actor = TRAINER, reason: str = "holiday"
) -> AbsenceRequestDetails:
    reply: AbsenceRequestDetails = await send(
        RequestAbsence(
            actor=actor, trainer_id=trainer_id, start_date=START, end_date=END, reason=reason
        )
    )
    return reply


async def test_a_trainer_asks_for_an_absence_and_it_is_pending(
    send: Send, database: FakeDatabase, toms: int
) -> None:
    asked = await ask(send, toms)

    assert (asked.trainer_id, asked.trainer_user_id, asked.start_date, asked.end_date) == (
        toms,
        TRAINER.user_id,
        START,
        END,
    )
    assert (asked.reason, asked.status, asked.decided_by, asked.decided_at) == (
        "holiday",
        AbsenceStatus.pending,
        None,
        None,
    )
    [event] = events(database)
    assert isinstance(event, AbsenceRequestCreated)
    assert (event.absence_request_id, event.trainer_id, event.trainer_user_id) == (
        asked.id,
        toms,
        TRAINER.user_id,
    )
    assert (event.status, event.actor) == ("pending", TRAINER)
    assert (event.start_date, event.end_date) == (START, END)


async def test_an_admin_asks_on_a_trainers_behalf(
    send: Send, database: FakeDatabase, olgas: int
) -> None:
    asked = await ask(send, olgas, actor=ADMIN)

    assert (asked.trainer_id, asked.trainer_user_id) == (olgas, OTHER_TRAINER.user_id)
    assert events(database)[0].actor == ADMIN


@pytest.mark.parametrize("status", [APPROVED, REJECTED])
async def test_an_admin_decides_once_and_a_decided_request_stays_decided(
    send: Send, database: FakeDatabase, toms: int, status: AbsenceStatus
) -> None:
    asked = await ask(send, toms)

    decided = await send(
        DecideAbsenceRequest(actor=ADMIN, absence_request_id=asked.id, status=status)
    )

    assert (decided.status, decided.decided_by) == (status, ADMIN.user_id)
    assert decided.decided_at == decided.updated_at and decided.updated_at >= asked.updated_at
    event = events(database)[-1]
    assert isinstance(event, AbsenceRequestUpdated)
    assert (event.absence_request_id, event.status, event.actor) == (asked.id, status.value, ADMIN)
    assert (event.start_date, event.end_date) == (START, END)

    for again in (APPROVED, REJECTED):
        error = await refused(
            send, DecideAbsenceRequest(actor=ADMIN, absence_request_id=asked.id, status=again)
        )
        assert error.code is CONFLICT
        assert error.message == f"absence request {asked.id} is already {status.value}"
    assert (await send(GetAbsenceRequest(actor=TRAINER, absence_request_id=asked.id))).status is (
        status
    )
    assert len(database.outbox) == 2


async def test_a_pending_request_is_withdrawn_and_gone(
    send: Send, database: FakeDatabase, toms: int
) -> None:
    asked = await ask(send, toms)

    withdrawn = await send(WithdrawAbsenceRequest(actor=TRAINER, absence_request_id=asked.id))

    assert withdrawn == Deleted(id=asked.id)
    assert database.absences == {}
    event = events(database)[-1]
    assert isinstance(event, AbsenceRequestDeleted)
    assert (event.absence_request_id, event.trainer_user_id, event.status) == (
        asked.id,
        TRAINER.user_id,
        "pending",
    )
    assert (event.start_date, event.end_date) == (START, END)
    gone = await refused(send, GetAbsenceRequest(actor=TRAINER, absence_request_id=asked.id))
    assert gone.code is NOT_FOUND


@pytest.mark.parametrize("status", [APPROVED, REJECTED])
async def test_a_decided_request_cannot_be_withdrawn(
    send: Send, database: FakeDatabase, toms: int, status: AbsenceStatus
) -> None:
    asked = await ask(send, toms)
    await send(DecideAbsenceRequest(actor=ADMIN, absence_request_id=asked.id, status=status))

    for actor in (TRAINER, ADMIN):
        error = await refused(
            send, WithdrawAbsenceRequest(actor=actor, absence_request_id=asked.id)
        )
        assert (error.code, error.message) == (
            CONFLICT,
            f"absence request {asked.id} is already {status.value}",
        )
    assert asked.id in database.absences
    assert len(database.outbox) == 2


async def test_a_list_is_newest_first_filtered_and_paged(send: Send, toms: int, olgas: int) -> None:
    mine = [(await ask(send, toms, reason=f"r{i}")).id for i in range(3)]
    theirs = (await ask(send, olgas, actor=OTHER_TRAINER)).id
    await send(DecideAbsenceRequest(actor=ADMIN, absence_request_id=mine[1], status=APPROVED))

    async def ids(actor: Actor, **filters: Any) -> list[int]:
        page = await send(ListAbsenceRequests(actor=actor, **filters))
        return [a.id for a in page.items]

    assert await ids(TRAINER) == mine[::-1]
    # Another trainer's requests do not exist for a trainer.
    with pytest.raises(ServiceError) as named:
        await ids(TRAINER, trainer_id=olgas)
    assert named.value.code is ErrorCode.not_found
    assert await ids(OTHER_TRAINER) == [theirs]
    assert await ids(ADMIN) == [theirs, *mine[::-1]]
    assert await ids(ADMIN, trainer_id=toms) == mine[::-1]
    assert await ids(ADMIN, status=APPROVED) == [mine[1]]
    assert await ids(ADMIN, status=AbsenceStatus.pending) == [theirs, mine[2], mine[0]]
    assert await ids(TRAINER, status=REJECTED) == []

    pages = [await send(ListAbsenceRequests(actor=ADMIN, limit=3))]
    while pages[-1].next_cursor:
        cursor = pages[-1].next_cursor
        pages.append(await send(ListAbsenceRequests(actor=ADMIN, limit=3, cursor=cursor)))
    assert [[a.id for a in page.items] for page in pages] == [[theirs, mine[2], mine[1]], [mine[0]]]


async def test_a_forged_cursor_is_invalid(send: Send) -> None:
    forged = ListAbsenceRequests(actor=ADMIN, cursor="bm90LWEtY3Vyc29y")
    assert (await refused(send, forged)).code is ErrorCode.invalid


async def test_parents_list_no_absences(send: Send) -> None:
    assert (await refused(send, ListAbsenceRequests(actor=PARENT))).code is FORBIDDEN


# --- who may do what ---------------------------------------------------------------------

# (actor, outcome on TRAINER's request): someone else's request looks like no request at all.
ACTORS_ON_A_REQUEST = [
    (TRAINER, None),
    (ADMIN, None),
    (OTHER_TRAINER, NOT_FOUND),
    (PARENT, FORBIDDEN),
]


@pytest.mark.parametrize(("actor", "outcome"), ACTORS_ON_A_REQUEST)
async def test_who_may_read_and_withdraw_a_request(
    send: Send, database: FakeDatabase, toms: int, actor: Actor, outcome: ErrorCode | None
) -> None:
    asked = await ask(send, toms)

    for command in (
        GetAbsenceRequest(actor=actor, absence_request_id=asked.id),
        WithdrawAbsenceRequest(actor=actor, absence_request_id=asked.id),
    ):
        if outcome is None:
            await send(command)
        else:
            assert (await refused(send, command)).code is outcome, command

    if outcome is None:
        assert database.absences == {}, "the last command withdrew it"
    else:
        assert database.absences[asked.id].status is AbsenceStatus.pending
        assert len(database.outbox) == 1, "a refused request emits nothing"


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        (ADMIN, None),
        (TRAINER, FORBIDDEN),  # sees their own request, but may not decide it
        (OTHER_TRAINER, NOT_FOUND),
        (PARENT, FORBIDDEN),
    ],
)
async def test_only_an_admin_decides(
    send: Send, database: FakeDatabase, toms: int, actor: Actor, outcome: ErrorCode | None
) -> None:
    asked = await ask(send, toms)
    command = DecideAbsenceRequest(actor=actor, absence_request_id=asked.id, status=APPROVED)

    if outcome is None:
        assert (await send(command)).status is APPROVED
    else:
        assert (await refused(send, command)).code is outcome
        assert database.absences[asked.id].status is AbsenceStatus.pending
        assert len(database.outbox) == 1


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        (TRAINER, None),
        (ADMIN, None),
        (OTHER_TRAINER, NOT_FOUND),
        (PARENT, FORBIDDEN),
    ],
)
async def test_who_may_ask_for_a_trainers_absence(
    send: Send, database: FakeDatabase, toms: int, actor: Actor, outcome: ErrorCode | None
) -> None:
    if outcome is None:
        assert (await ask(send, toms, actor=actor)).trainer_user_id == TRAINER.user_id
        assert len(database.outbox) == 1
    else:
        with pytest.raises(ServiceError) as raised:
            await ask(send, toms, actor=actor)
        assert raised.value.code is outcome
        assert database.absences == {} and database.outbox == []


async def test_an_absence_for_a_missing_trainer_is_not_found(send: Send) -> None:
    with pytest.raises(ServiceError) as raised:
        await ask(send, 999, actor=ADMIN)
    assert raised.value.code is NOT_FOUND


async def test_someone_elses_request_answers_exactly_like_a_missing_one(
    send: Send, toms: int
) -> None:
    asked = await ask(send, toms)

    theirs = await refused(
        send, GetAbsenceRequest(actor=OTHER_TRAINER, absence_request_id=asked.id)
    )
    missing = await refused(send, GetAbsenceRequest(actor=ADMIN, absence_request_id=asked.id + 1))

    assert theirs.code is missing.code is NOT_FOUND
    assert theirs.message == f"absence request {asked.id} not found"


# --- the aggregate itself ----------------------------------------------------------------


def stored_trainer() -> Trainer:
    trainer = Trainer.from_user(TRAINER.user_id, TRAINER.name, "tom@example.com")
    trainer.id = 7
    return trainer


def test_a_request_records_its_creation_only_once_it_has_an_id() -> None:
    absence = AbsenceRequest.request(TRAINER, stored_trainer(), START, END, "holiday")

    with pytest.raises(RuntimeError, match="no id yet"):
        absence.collect_events()
    absence.id = 3
    [created] = absence.collect_events()
    assert isinstance(created, AbsenceRequestCreated)
    assert (created.absence_request_id, created.trainer_id, created.status) == (3, 7, "pending")


def test_a_request_covers_its_days_inclusive() -> None:
    absence = AbsenceRequest.request(TRAINER, stored_trainer(), START, END, "holiday")

    days = [date(2026, 11, 30), START, date(2026, 12, 2), END, date(2026, 12, 4)]
    assert [absence.covers(day) for day in days] == [False, True, True, True, False]


def test_a_request_ends_no_earlier_than_it_starts() -> None:
    with pytest.raises(ServiceError) as raised:
        AbsenceRequest.request(TRAINER, stored_trainer(), END, START, "backwards")
    assert raised.value.code is ErrorCode.invalid


def test_a_decision_approves_or_rejects() -> None:
    absence = AbsenceRequest.request(TRAINER, stored_trainer(), START, END, "holiday")
    absence.id = 3
    with pytest.raises(ServiceError) as raised:
        absence.decide(ADMIN, AbsenceStatus.pending)
    assert raised.value.code is ErrorCode.invalid
    assert absence.status is AbsenceStatus.pending
