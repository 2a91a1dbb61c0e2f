"""Integration: typed request/reply over a NATS micro service, errors included."""

import time
from datetime import UTC, date, datetime

import orjson
import pytest
from nats.aio.client import Client
from nats.micro.request import ERROR_CODE_HEADER, ERROR_HEADER

from contracts.bookings import ChildDetails, CreateChild, DeleteChild, GetChild
from contracts.envelope import Actor, Deleted, Role
from contracts.errors import ErrorCode, ServiceError, ServiceErrorReply
from messaging.codec import decode
from messaging.requests import request
from messaging.service import serve

ADMIN = Actor(user_id=1, role=Role.admin, name="Ada")
NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


async def get_child(message: GetChild) -> ChildDetails:
    if message.child_id == 404:
        raise ServiceError(ErrorCode.not_found, "child 404 not found")
    if message.child_id == 500:
        raise RuntimeError("a bug in the handler")
    return ChildDetails(
        id=message.child_id,
        parent_id=2,
        name="Bo",
        date_of_birth=date(2019, 1, 1),
        created_at=NOW,
        updated_at=NOW,
    )


async def delete_child(message: DeleteChild) -> Deleted:
    return Deleted(id=message.child_id)


@pytest.fixture
async def service(nc: Client) -> object:
    served = await serve(nc, "children", "1.0.0", {GetChild: get_child, DeleteChild: delete_child})
    yield served
    await served.stop()


async def test_a_request_gets_its_typed_reply(nc: Client, service: object) -> None:
    reply = await request(nc, GetChild(actor=ADMIN, child_id=7))

    assert isinstance(reply, ChildDetails)
    assert (reply.id, reply.name, reply.created_at) == (7, "Bo", NOW)
    assert await request(nc, DeleteChild(actor=ADMIN, child_id=7)) == Deleted(id=7)


async def test_a_service_error_arrives_at_the_requester_with_its_code(
    nc: Client, service: object
) -> None:
    with pytest.raises(ServiceError) as raised:
        await request(nc, GetChild(actor=ADMIN, child_id=404))

    assert raised.value.code is ErrorCode.not_found
    assert raised.value.message == "child 404 not found"


async def test_an_unexpected_handler_failure_is_internal_and_hides_details(
    nc: Client, service: object
) -> None:
    with pytest.raises(ServiceError) as raised:
        await request(nc, GetChild(actor=ADMIN, child_id=500))

    assert raised.value.code is ErrorCode.internal
    assert "bug" not in raised.value.message


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
async def test_a_malformed_request_is_invalid_with_field_errors(
    nc: Client, service: object
) -> None:
    bad = GetChild.model_construct(actor=ADMIN, child_id="seven")  # skips local validation

    with pytest.raises(ServiceError) as raised:
        await request(nc, bad)

    assert raised.value.code is ErrorCode.invalid
    assert [(f.loc, f.type) for f in raised.value.fields] == [(["child_id"], "int_parsing")]


async def test_an_error_reply_carries_the_nats_service_error_headers(
    nc: Client, service: object
) -> None:
    # What a client in another language sees: the NATS micro error headers and a JSON body.
    raw = await nc.request(GetChild.subject, orjson.dumps({"child_id": 1}), timeout=5)

    assert raw.headers is not None
    assert raw.headers[ERROR_CODE_HEADER] == "invalid"
    assert raw.headers[ERROR_HEADER]
    body = decode(ServiceErrorReply, raw.data)
    assert [f.loc for f in body.fields] == [["actor"]]


async def test_bytes_that_are_not_json_are_invalid_not_internal(
    nc: Client, service: object
) -> None:
    raw = await nc.request(GetChild.subject, b"\xff not json", timeout=5)

    assert raw.headers is not None
    assert raw.headers[ERROR_CODE_HEADER] == "invalid"


async def test_no_responders_is_unavailable_quickly(nc: Client) -> None:
    started = time.monotonic()

    with pytest.raises(ServiceError) as raised:
        await request(
            nc,
            CreateChild(actor=ADMIN, parent_id=1, name="A", date_of_birth=date(2020, 1, 1)),
            timeout=5,
        )

    assert raised.value.code is ErrorCode.unavailable
    assert time.monotonic() - started < 1.0, "no waiting for the timeout when nobody listens"


async def test_the_service_is_discoverable(nc: Client, service: object) -> None:
    ping = orjson.loads((await nc.request("$SRV.PING.children", b"", timeout=5)).data)
    info = orjson.loads((await nc.request("$SRV.INFO.children", b"", timeout=5)).data)

    assert (ping["name"], ping["version"]) == ("children", "1.0.0")
    assert {e["subject"] for e in info["endpoints"]} == {GetChild.subject, DeleteChild.subject}
