"""Contract: every reply the trainers service gives and every event it emits matches the
CHECKED-IN JSON Schema, byte for byte as it travels (not as our models would re-read it)."""

from datetime import date, time
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.micro.request import ERROR_HEADER

from contracts.envelope import Request
from contracts.trainers import (
    AbsenceRequestDetails,
    AbsenceRequestPage,
    AbsenceStatus,
    CheckAssignable,
    DecideAbsenceRequest,
    GetAbsenceRequest,
    GetAvailability,
    GetMyTrainerProfile,
    GetTrainer,
    ListAbsenceRequests,
    ListTrainers,
    ReplaceAvailability,
    RequestAbsence,
    TrainerDetails,
    WithdrawAbsenceRequest,
)
from messaging.codec import decode, encode
from testkit.contracts import assert_valid

from .conftest import ADMIN, TRAINER, events_after, profile_of, publish, user_created

pytestmark = pytest.mark.usefixtures("trainers")

D1, D2, D3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)


async def exchange(nc: Client, message: Request[Any]) -> bytes:
    """Send a request exactly as `messaging.requests.request` would; return the raw reply."""
    body = encode(message)
    assert_valid(body, message.subject)  # what we send is in the contract too
    reply = await nc.request(message.subject, body, timeout=5)
    assert ERROR_HEADER not in (reply.headers or {}), reply.data
    assert_valid(reply.data, message.reply.__name__)
    return reply.data


async def test_every_reply_and_event_matches_the_checked_in_schemas(
    nc: Client, js: JetStreamContext
) -> None:
    created = user_created(TRAINER)
    assert_valid(encode(created), created.subject)
    await publish(js, created)
    await profile_of(nc, TRAINER)
    toms = decode(TrainerDetails, await exchange(nc, GetMyTrainerProfile(actor=TRAINER))).id

    await exchange(nc, ListTrainers(actor=ADMIN))
    await exchange(nc, GetTrainer(actor=TRAINER, trainer_id=toms))
    await exchange(nc, ReplaceAvailability(actor=TRAINER, trainer_id=toms, dates=[D2, D1, D2]))
    await exchange(nc, GetAvailability(actor=ADMIN, trainer_id=toms, date_from=D1, date_to=D3))
    asked = [
        decode(
            AbsenceRequestDetails,
            await exchange(
                nc,
                RequestAbsence(
                    actor=TRAINER, trainer_id=toms, start_date=D1, end_date=D3, reason=reason
                ),
            ),
        )
        for reason in ("holiday", "course")
    ]
    await exchange(
        nc,
        DecideAbsenceRequest(
            actor=ADMIN, absence_request_id=asked[0].id, status=AbsenceStatus.approved
        ),
    )
    await exchange(nc, GetAbsenceRequest(actor=TRAINER, absence_request_id=asked[0].id))
    first_page = decode(
        AbsenceRequestPage, await exchange(nc, ListAbsenceRequests(actor=ADMIN, limit=1))
    )
    await exchange(nc, ListAbsenceRequests(actor=ADMIN, limit=1, cursor=first_page.next_cursor))
    await exchange(nc, WithdrawAbsenceRequest(actor=TRAINER, absence_request_id=asked[1].id))
    for trainer_id, day in ((toms, D1), (toms, D2), (toms, D3), (999_999, D1)):
        await exchange(
            nc,
            CheckAssignable(
                actor=ADMIN, trainer_id=trainer_id, date=day, start_time=time(9), end_time=time(10)
            ),
        )

    events = await events_after(js, 5)

    assert len(events) == 5  # availability, two created, one updated, one deleted
    for msg in events:
        assert_valid(msg.data or b"", msg.subject or "")
