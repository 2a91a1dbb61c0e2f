"""Per-connection subscription limits, public channels as an app setting (issue 11, finding 3),
and presence caps per channel, presence-online's far above the others' (finding 10)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from realtime.settings import RealtimeSettings
from testkit.nats_server import NatsServer

from .protocol_wire import (
    RawClient,
    StartRealtime,
    app_settings,
    event_is,
    realtime_factory,
)

SUCCEEDED = "pusher_internal:subscription_succeeded"


@pytest.fixture
async def start_realtime(nats_server: NatsServer) -> AsyncIterator[StartRealtime]:
    async with realtime_factory(nats_server) as start:
        yield start


async def _answer(client: RawClient, channel: str, user_id: str | None = None) -> dict[str, Any]:
    await client.subscribe(channel, user_id=user_id)
    frame = await client.answer_to(channel)
    if frame["event"] == SUCCEEDED:
        return {"event": SUCCEEDED}
    assert frame["event"] == "pusher:subscription_error", frame
    return {"event": frame["event"], **frame["data"]}


# -- subscriptions per connection ---------------------------------------------------------


async def test_a_connection_gets_subscription_error_beyond_its_channel_limit(
    start_realtime: StartRealtime,
) -> None:
    realtime = await start_realtime(max_subscriptions_per_connection=5)
    async with realtime.client() as client:
        for n in range(5):
            assert await _answer(client, f"private-room.{n}") == {"event": SUCCEEDED}

        refused = await _answer(client, "private-room.5")

        assert refused["type"] == "LimitReached" and refused["status"] == 403
        assert "At most 5 channels" in refused["error"]
        # Leaving one makes room for another, on the same connection.
        await client.send("pusher:unsubscribe", {"channel": "private-room.0"})
        assert await _answer(client, "private-room.5") == {"event": SUCCEEDED}


async def test_the_default_allows_a_hundred_channels_per_connection(
    start_realtime: StartRealtime,
) -> None:
    realtime = await start_realtime(apps=[app_settings()])
    async with realtime.client() as client:
        for n in range(100):  # within the default burst, as a reconnecting client sends them
            await client.subscribe(f"private-room.{n}")
        for n in range(100):
            await client.next(event_is(SUCCEEDED, f"private-room.{n}"))

        refused = await _answer(client, "private-room.100")

    assert refused["type"] == "LimitReached"


async def test_subscribing_and_unsubscribing_too_often_gets_429_and_the_connection_stays(
    start_realtime: StartRealtime,
) -> None:
    # A bucket of 6 that (for the test's length) does not refill.
    realtime = await start_realtime(subscription_burst=6, subscriptions_per_second=0.001)
    async with realtime.client() as client:
        for n in range(4):
            assert await _answer(client, f"private-churn.{n}") == {"event": SUCCEEDED}
        for n in range(2):
            await client.send("pusher:unsubscribe", {"channel": f"private-churn.{n}"})

        refused = await _answer(client, "private-churn.9")

        assert refused["type"] == "LimitReached" and refused["status"] == 429
        marker = {"name": "Marker", "data": "{}", "channels": ["private-churn.3"]}
        assert (await realtime.publish(marker)).status_code == 200
        await client.next(event_is("Marker", "private-churn.3"))


# -- public channels ----------------------------------------------------------------------


async def test_public_channels_are_refused_where_the_app_disallows_them(
    start_realtime: StartRealtime,
) -> None:
    realtime = await start_realtime(apps=[app_settings(allow_public_channels=False)])
    async with realtime.client() as client:
        refused = await _answer(client, "news")

        assert refused["status"] == 403 and "Public channels" in refused["error"]
        assert await _answer(client, "private-news") == {"event": SUCCEEDED}


async def test_public_channels_work_for_an_app_that_allows_them(
    start_realtime: StartRealtime,
) -> None:
    realtime = await start_realtime(apps=[app_settings(allow_public_channels=True)])
    async with realtime.client() as client:
        assert await _answer(client, "news") == {"event": SUCCEEDED}


async def test_the_default_cams_app_has_no_public_channels(start_realtime: StartRealtime) -> None:
    cams = RealtimeSettings().apps[0]
    realtime = await start_realtime(apps=[cams])
    async with realtime.client(cams.key, cams.secret.get_secret_value()) as client:
        refused = await _answer(client, "news")

        assert refused["status"] == 403
        assert await _answer(client, "private-live-refresh.admin") == {"event": SUCCEEDED}


# -- presence caps ------------------------------------------------------------------------


async def _members_joining(
    start_realtime: StartRealtime, channel: str, users: int, **settings: object
) -> list[dict[str, Any]]:
    realtime = await start_realtime(**settings)
    answers = []
    async with AsyncExitStack() as stack:
        for user in range(users):
            client = await stack.enter_async_context(realtime.client())
            answers.append(await _answer(client, channel, user_id=str(user)))
    return answers


async def test_presence_online_takes_more_members_than_other_presence_channels(
    start_realtime: StartRealtime,
) -> None:
    # Other presence channels keep their cap (2 here); presence-online has its own, large one.
    online = await _members_joining(start_realtime, "presence-online", 4, presence_max_members=2)
    room = await _members_joining(start_realtime, "presence-room", 3, presence_max_members=2)

    assert online == [{"event": SUCCEEDED}] * 4
    assert room[:2] == [{"event": SUCCEEDED}] * 2
    assert room[2]["type"] == "LimitReached" and room[2]["error"] == "Presence channel is full"


async def test_the_cap_of_a_named_presence_channel_is_a_setting(
    start_realtime: StartRealtime,
) -> None:
    answers = await _members_joining(
        start_realtime,
        "presence-online",
        3,
        presence_channel_max_members={"presence-online": 2},
    )

    assert answers[:2] == [{"event": SUCCEEDED}] * 2
    assert answers[2]["type"] == "LimitReached"
