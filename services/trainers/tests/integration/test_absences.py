"""Integration: absence requests through the trainers service's NATS endpoints, on both
databases: asked, decided once, withdrawn while pending, listed, and who may do what."""

from datetime import date
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.envelope import Actor, Deleted, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    AbsenceRequestCreated,
    AbsenceRequestDeleted,
    AbsenceRequestDetails,
    AbsenceRequestEvent,
    AbsenceRequestPage,
    AbsenceRequestUpdated,
    AbsenceStatus,
    DecideAbsenceRequest,
    GetAbsenceRequest,
    ListAbsenceRequests,
    RequestAbsence,
    WithdrawAbsenceRequest,
)
from messaging.requests import request

from .conftest import ADMIN, OTHER_TRAINER, PARENT, TRAINER, events_after, stream_events, typed

pytestmark = pytest.mark.usefixtures("trainers")

START, END = date(2026, 12, 1), date(2026, 12, 3)
APPROVED, REJECTED, PENDING = AbsenceStatus.approved, AbsenceStatus.rejected, AbsenceStatus.pending


async def refused(nc: Client, message: Request[Any]) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        await request(nc, message)
    return raised.value


async def ask(
    nc: Client, trainer_id: int, actor: Actor = TRAINER, reason: str = "holiday"
) -> AbsenceRequestDetails:
    reply: AbsenceRequestDetails = await request(
        nc,
        RequestAbsence(
            actor=actor, trainer_id=trainer_id, start_date=START, end_date=END, reason=reason
        ),
    )
    return reply


def decide(actor: Actor, absence_id: int, status: AbsenceStatus) -> DecideAbsenceRequest:
    return DecideAbsenceRequest(actor=actor, absence_request_id=absence_id, status=status)


@pytest.fixture
def toms(trainer_ids: dict[int, int]) -> int:
    return trainer_ids[TRAINER.user_id]


@pytest.fixture
def olgas(trainer_ids: dict[int, int]) -> int:
    return trainer_ids[OTHER_TRAINER.user_id]


async def test_asked_then_approved_then_it_stays_approved(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    asked = await ask(nc, toms)
    assert (asked.trainer_id, asked.trainer_user_id, asked.status) == (toms, 20, PENDING)
    assert (asked.start_date, asked.end_date, asked.reason) == (START, END, "holiday")

    approved = await request(nc, decide(ADMIN, asked.id, APPROVED))

    assert (approved.status, approved.decided_by) == (APPROVED, ADMIN.user_id)
    assert approved.decided_at is not None and approved.updated_at >= asked.updated_at
    read = await request(nc, GetAbsenceRequest(actor=TRAINER, absence_request_id=asked.id))
    assert read == approved
    for again in (APPROVED, REJECTED):
        error = await refused(nc, decide(ADMIN, asked.id, again))
        assert (error.code, error.message) == (
            ErrorCode.conflict,
            f"absence request {asked.id} is already approved",
        )
    withdraw = WithdrawAbsenceRequest(actor=TRAINER, absence_request_id=asked.id)
    assert (await refused(nc, withdraw)).code is ErrorCode.conflict

    events = [typed(msg) for msg in await events_after(js, 2)]
    assert [type(e) for e in events] == [AbsenceRequestCreated, AbsenceRequestUpdated]
    assert all(isinstance(e, AbsenceRequestEvent) for e in events)
    assert [
        (e.absence_request_id, e.trainer_id, e.trainer_user_id, e.status, e.actor)
        for e in events
        if isinstance(e, AbsenceRequestEvent)
    ] == [
        (asked.id, toms, TRAINER.user_id, "pending", TRAINER),
        (asked.id, toms, TRAINER.user_id, "approved", ADMIN),
    ]
    assert {(e.start_date, e.end_date) for e in events if isinstance(e, AbsenceRequestEvent)} == {
        (asked.start_date, asked.end_date)
    }


async def test_a_pending_request_is_withdrawn_and_gone(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    asked = await ask(nc, toms)
    rejected = await ask(nc, toms, reason="second")
    await request(nc, decide(ADMIN, rejected.id, REJECTED))

    withdraw = WithdrawAbsenceRequest(actor=TRAINER, absence_request_id=asked.id)
    assert await request(nc, withdraw) == Deleted(id=asked.id)

    gone = GetAbsenceRequest(actor=TRAINER, absence_request_id=asked.id)
    assert (await refused(nc, gone)).code is ErrorCode.not_found
    page = await request(nc, ListAbsenceRequests(actor=TRAINER))
    assert [a.id for a in page.items] == [rejected.id]
    events = [typed(msg) for msg in await events_after(js, 4)]
    assert [type(e) for e in events] == [
        AbsenceRequestCreated,
        AbsenceRequestCreated,
        AbsenceRequestUpdated,
        AbsenceRequestDeleted,
    ]
    deleted = events[-1]
    assert isinstance(deleted, AbsenceRequestDeleted)
    assert (deleted.absence_request_id, deleted.status) == (asked.id, "pending")
    assert (deleted.start_date, deleted.end_date) == (asked.start_date, asked.end_date)


async def test_lists_are_newest_first_filtered_and_paged(nc: Client, toms: int, olgas: int) -> None:
    mine = [(await ask(nc, toms, reason=f"r{i}")).id for i in range(3)]
    theirs = (await ask(nc, olgas, actor=OTHER_TRAINER)).id
    await request(nc, decide(ADMIN, mine[1], APPROVED))

    async def ids(actor: Actor, **filters: Any) -> list[int]:
        page: AbsenceRequestPage = await request(nc, ListAbsenceRequests(actor=actor, **filters))
        return [a.id for a in page.items]

    assert await ids(TRAINER) == mine[::-1]
    with pytest.raises(ServiceError) as named:  # another trainer's requests are not theirs
        await ids(TRAINER, trainer_id=olgas)
    assert named.value.code is ErrorCode.not_found
    assert await ids(OTHER_TRAINER) == [theirs]
    assert await ids(ADMIN) == [theirs, *mine[::-1]]
    assert await ids(ADMIN, trainer_id=olgas) == [theirs]
    assert await ids(ADMIN, status=APPROVED) == [mine[1]]
    assert await ids(TRAINER, status=PENDING) == [mine[2], mine[0]]

    pages = [await request(nc, ListAbsenceRequests(actor=ADMIN, limit=3))]
    while pages[-1].next_cursor:
        cursor = pages[-1].next_cursor
        pages.append(await request(nc, ListAbsenceRequests(actor=ADMIN, limit=3, cursor=cursor)))
    assert [[a.id for a in p.items] for p in pages] == [[theirs, mine[2], mine[1]], [mine[0]]]
    forged = ListAbsenceRequests(actor=ADMIN, cursor="bm90LWEtY3Vyc29y")
    assert (await refused(nc, forged)).code is ErrorCode.invalid


async def test_who_may_do_what_with_a_trainers_request(
    nc: Client, js: JetStreamContext, toms: int
) -> None:
    asked = await ask(nc, toms)
    by_admin = await ask(nc, toms, actor=ADMIN)
    assert by_admin.trainer_user_id == TRAINER.user_id

    for actor, code in ((OTHER_TRAINER, ErrorCode.not_found), (PARENT, ErrorCode.forbidden)):
        for message in (
            GetAbsenceRequest(actor=actor, absence_request_id=asked.id),
            WithdrawAbsenceRequest(actor=actor, absence_request_id=asked.id),
            decide(actor, asked.id, APPROVED),
            RequestAbsence(
                actor=actor, trainer_id=toms, start_date=START, end_date=END, reason="x"
            ),
        ):
            assert (await refused(nc, message)).code is code, (actor, message)
    # The trainer sees their request, but only an admin decides it.
    assert (await refused(nc, decide(TRAINER, asked.id, APPROVED))).code is ErrorCode.forbidden
    assert (await refused(nc, ListAbsenceRequests(actor=PARENT))).code is ErrorCode.forbidden
    missing = GetAbsenceRequest(actor=ADMIN, absence_request_id=999_999)
    assert (await refused(nc, missing)).code is ErrorCode.not_found

    still = await request(nc, GetAbsenceRequest(actor=ADMIN, absence_request_id=asked.id))
    assert still.status is PENDING
    await request(nc, WithdrawAbsenceRequest(actor=ADMIN, absence_request_id=asked.id))
    await events_after(js, 3)
    assert len(await stream_events(js)) == 3, "refused requests emitted nothing"


async def test_an_absence_ending_before_it_starts_is_a_field_error(nc: Client, toms: int) -> None:
    backwards = RequestAbsence.model_construct(
        actor=TRAINER, trainer_id=toms, start_date=END, end_date=START, reason="x"
    )
    error = await refused(nc, backwards)
    assert (error.code, [f.loc for f in error.fields]) == (ErrorCode.invalid, [["end_date"]])
