"""Channel names, socket ids and app ids are matched whole and in ASCII (issue 11, finding 8):
"foo\\n" or Unicode digits used to pass a `$`/`\\d` pattern, then fail inside NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest
from pydantic import ValidationError
from websockets.exceptions import ConnectionClosed

import pusher_signing
from testkit.nats_server import NatsServer

from .protocol_wire import (
    KEY,
    SECRET,
    Realtime,
    app_settings,
    event_is,
    realtime_factory,
)

BAD_NAMES = ["private-foo\n", "presence-room\n", "foo\n", "private-\u0663", "private-a b"]


@pytest.fixture
async def realtime(nats_server: NatsServer) -> AsyncIterator[Realtime]:
    async with realtime_factory(nats_server) as start:
        yield await start()


@pytest.mark.parametrize("channel", BAD_NAMES)
async def test_an_invalid_channel_name_gets_pusher_error_and_the_connection_stays(
    realtime: Realtime, channel: str
) -> None:
    async with realtime.client() as client:
        user = "7" if channel.startswith("presence-") else None
        await client.subscribe(channel, user_id=user)  # correctly signed, all the same

        answer = await client.answer_to(channel)
        assert answer["event"] == "pusher:error"
        assert answer["data"]["message"] == "Invalid channel name"

        await client.subscribe("private-fine")
        ok = await client.answer_to("private-fine")
        assert ok["event"] == "pusher_internal:subscription_succeeded"
        assert not any(f.get("channel") == channel for f in client.read)


@pytest.mark.parametrize("channel", BAD_NAMES)
async def test_publishing_to_an_invalid_channel_name_is_a_400(
    realtime: Realtime, channel: str
) -> None:
    answer = await realtime.publish({"name": "Ping", "data": "{}", "channels": [channel]})

    assert answer.status_code == 400
    assert "channel" in answer.json()["error"]


@pytest.mark.parametrize("socket_id", ["1.2\n", "\u0661.\u0662", "1.2.3", " 1.2", "1" * 70 + ".1"])
async def test_publishing_with_an_invalid_socket_id_is_a_400(
    realtime: Realtime, socket_id: str
) -> None:
    body = {"name": "Ping", "data": "{}", "channels": ["private-x"], "socket_id": socket_id}

    answer = await realtime.publish(body)

    assert answer.status_code == 400
    assert answer.json() == {"error": "socket_id is invalid"}


async def test_a_valid_publish_still_reaches_its_subscriber(realtime: Realtime) -> None:
    async with realtime.client() as client:
        await client.subscribe("private-news.1")
        await client.next(event_is("pusher_internal:subscription_succeeded", "private-news.1"))

        answer = await realtime.publish(
            {"name": "Ping", "data": '{"n":1}', "channels": ["private-news.1"], "socket_id": "9.9"}
        )

        assert answer.status_code == 200
        frame = await client.next(event_is("Ping", "private-news.1"))
        assert frame["data"] == {"n": 1}


async def test_a_signin_whose_user_id_is_no_valid_channel_name_is_refused(
    realtime: Realtime,
) -> None:
    async with realtime.client() as client:
        user_data = orjson.dumps({"id": "alice\n"}).decode()
        auth = pusher_signing.sign_user(KEY, SECRET, client.socket_id, user_data)
        await client.send("pusher:signin", {"user_data": user_data, "auth": auth})

        error = await client.next(event_is("pusher:error"))
        assert error["data"]["code"] == 4009
        with pytest.raises(ConnectionClosed):
            await client.next(lambda f: True)
        assert client.ws.close_code == 4009


@pytest.mark.parametrize("app_id", ["cams\n", "\u0661\u0662", "a/b", ""])
def test_app_ids_outside_ascii_letters_digits_dash_underscore_dot_are_refused(
    app_id: str,
) -> None:
    with pytest.raises(ValidationError):
        app_settings(id=app_id)
