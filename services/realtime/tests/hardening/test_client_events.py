"""Client events (whispers) are an app setting, off by default as in Pusher (issue 11, finding 7):
otherwise any signed-in user could message everyone on presence-online, admins included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from testkit.nats_server import NatsServer

from .protocol_wire import (
    RawClient,
    StartRealtime,
    app_settings,
    event_is,
    realtime_factory,
)

CHANNEL = "presence-online"


@pytest.fixture
async def start_realtime(nats_server: NatsServer) -> AsyncIterator[StartRealtime]:
    async with realtime_factory(nats_server) as start:
        yield start


async def _joined(client: RawClient, user_id: str) -> None:
    await client.subscribe(CHANNEL, user_id=user_id)
    await client.next(event_is("pusher_internal:subscription_succeeded", CHANNEL))


async def test_client_events_are_refused_with_4301_unless_the_app_enables_them(
    start_realtime: StartRealtime,
) -> None:
    realtime = await start_realtime()  # the app's settings say nothing of client events
    async with realtime.client() as mallory, realtime.client() as admin:
        await _joined(mallory, "13")
        await _joined(admin, "1")

        await mallory.send("client-announce", {"text": "click here"}, CHANNEL)

        error = await mallory.next(event_is("pusher:error"))
        assert error["data"]["code"] == 4301
        assert "not enabled" in error["data"]["message"]
        # The admin hears the next server event and never the whisper before it.
        marker = {"name": "Marker", "data": "{}", "channels": [CHANNEL]}
        assert (await realtime.publish(marker)).status_code == 200
        await admin.next(event_is("Marker", CHANNEL))
        assert [f for f in admin.read if f["event"] == "client-announce"] == []
        # The sender's connection stays.
        await mallory.next(event_is("Marker", CHANNEL))


async def test_an_app_with_client_messages_enabled_relays_them_to_the_others(
    start_realtime: StartRealtime,
) -> None:
    realtime = await start_realtime(apps=[app_settings(enable_client_messages=True)])
    async with realtime.client() as alice, realtime.client() as bob:
        await _joined(alice, "2")
        await _joined(bob, "3")

        await alice.send("client-typing", {"typing": True}, CHANNEL)

        heard = await bob.next(event_is("client-typing", CHANNEL))
        assert heard["data"] == {"typing": True}
        assert heard["user_id"] == "2"
        assert [f for f in alice.read if f["event"] == "pusher:error"] == []
