"""Client events (whispers): to the others on the channel, never to the sender, rate limited."""

from __future__ import annotations

import pytest

from realtime.pusher import App, Hub, Publication, RunningServer
from testkit.echo import EchoClient, matching
from testkit.pusher_auth import AuthEndpoint

from .conftest import MASTER_KEY, ClientFactory


@pytest.fixture
def app() -> App:
    """The conftest's app, with client events enabled (they are off unless an app enables them)."""
    return App("1001", "test-key", "test-secret", MASTER_KEY, client_events=True)


async def _joined(
    echo_client: ClientFactory,
    server: RunningServer,
    app: App,
    auth: AuthEndpoint,
    user: str,
    kind: str,
    name: str,
) -> EchoClient:
    client = await echo_client(user)
    await client.connect(server.port, app.key, auth=auth, user_id=user)
    await client.subscribe(kind, name, events=["Marker"], whispers=["typing"])
    await client.wait_for(matching(type="subscribed"))
    return client


async def test_whisper_reaches_others_but_not_the_sender(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice = await _joined(echo_client, server, app, auth, "alice", "private", "chat.1")
    bob = await _joined(echo_client, server, app, auth, "bob", "private", "chat.1")

    await alice.send(
        "whisper", kind="private", name="chat.1", event="typing", data={"typing": True}
    )

    heard = await bob.wait_for(matching(type="whisper"))
    assert heard["data"] == {"typing": True}
    await hub.publish(Publication(app.id, "private-chat.1", "Marker", "{}"))
    await alice.wait_for(matching(type="event", event="Marker"))
    assert alice.seen(matching(type="whisper")) == []


async def test_presence_whisper_carries_the_senders_user_id(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice = await _joined(echo_client, server, app, auth, "alice", "join", "room")
    bob = await _joined(echo_client, server, app, auth, "bob", "join", "room")
    frames: list[tuple[str, str | None]] = []
    original = hub.deliver_local

    def spy(publication: Publication) -> int:
        frames.append((publication.event, publication.user_id))
        return original(publication)

    hub.deliver_local = spy  # type: ignore[method-assign]

    await alice.send("whisper", kind="join", name="room", event="typing", data={"x": 1})

    await bob.wait_for(matching(type="whisper"))
    assert frames == [("client-typing", "alice")]


async def test_more_than_ten_client_events_a_second_get_4301_and_the_connection_stays(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice = await _joined(echo_client, server, app, auth, "alice", "private", "chat.2")
    bob = await _joined(echo_client, server, app, auth, "bob", "private", "chat.2")

    for n in range(25):  # whatever the second boundaries, one second gets more than ten
        await alice.send("whisper", kind="private", name="chat.2", event="typing", data={"n": n})

    error = await alice.wait_for(matching(type="message", event="pusher:error"))
    assert error["data"]["code"] == 4301
    await hub.publish(Publication(app.id, "private-chat.2", "Marker", "{}"))
    await alice.wait_for(matching(type="event", event="Marker"))
    assert alice.seen(matching(type="state", current="disconnected")) == []
    await bob.wait_for(matching(type="event", event="Marker"))
    assert 10 <= len(bob.seen(matching(type="whisper"))) < 25


async def test_client_events_on_public_channels_are_refused(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice = await _joined(echo_client, server, app, auth, "alice", "channel", "news")

    await alice.send("raw", event="client-typing", data={}, channel="news")

    error = await alice.wait_for(matching(type="message", event="pusher:error"))
    assert "private and presence" in error["data"]["message"]
