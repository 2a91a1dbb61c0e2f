"""Contract: every reply the bookings service gives and every event it emits matches the
CHECKED-IN JSON Schema, byte for byte as it travels (not as our models would re-read it)."""

from datetime import date

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.micro.request import ERROR_HEADER

from contracts.bookings import (
    ChildDetails,
    CreateChild,
    DeleteChild,
    GetChild,
    ListChildren,
    SubmitChildChecklist,
    UpdateChild,
)
from contracts.envelope import Request
from messaging.codec import decode, encode
from testkit.contracts import assert_valid

from .conftest import ADMIN, PARENT, events_after

pytestmark = pytest.mark.usefixtures("bookings")


async def exchange(nc: Client, message: Request) -> bytes:
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
    created = decode(
        ChildDetails,
        await exchange(
            nc,
            CreateChild(
                actor=PARENT, parent_id=PARENT.user_id, name="Ada", date_of_birth=date(2018, 4, 1)
            ),
        ),
    )
    await exchange(
        nc,
        CreateChild(
            actor=ADMIN, parent_id=PARENT.user_id, name="Bo", date_of_birth=date(2019, 4, 1)
        ),
    )
    first_page = decode(ListChildren.reply, await exchange(nc, ListChildren(actor=PARENT, limit=1)))
    await exchange(nc, ListChildren(actor=PARENT, limit=1, cursor=first_page.next_cursor))
    await exchange(nc, ListChildren(actor=ADMIN))
    await exchange(nc, GetChild(actor=PARENT, child_id=created.id))
    await exchange(nc, UpdateChild(actor=PARENT, child_id=created.id, name="Ada L."))
    await exchange(
        nc,
        SubmitChildChecklist(
            actor=PARENT, child_id=created.id, answers={"allergies": ["nuts"], "swims": False}
        ),
    )
    await exchange(nc, GetChild(actor=ADMIN, child_id=created.id))
    await exchange(nc, DeleteChild(actor=PARENT, child_id=created.id))

    events = await events_after(js, 5)

    assert len(events) == 5
    for msg in events:
        assert_valid(msg.data or b"", msg.subject or "")


def test_the_contract_check_itself_catches_a_broken_payload() -> None:
    good = {
        "id": 1,
        "parent_id": 2,
        "name": "Ada",
        "date_of_birth": "2018-04-01",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00+00:00",
    }
    assert_valid(good, "ChildDetails")

    for broken in (
        {k: v for k, v in good.items() if k != "name"},  # a required field is missing
        good | {"nickname": "A"},  # an unknown field
        good | {"id": "1"},  # a wrong type
        good | {"created_at": "2024-01-01T00:00:00"},  # a time without its zone
    ):
        with pytest.raises(AssertionError, match="breaks the contract"):
            assert_valid(broken, "ChildDetails")
    with pytest.raises(LookupError):
        assert_valid(good, "NoSuchReply")
