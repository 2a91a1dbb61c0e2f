"""pusher:signin and #server-to-user-{id}: an event to a user reaches all of its connections."""

from __future__ import annotations

from realtime.pusher import App, Hub, Publication, RunningServer
from testkit.echo import EchoClient, matching
from testkit.pusher_auth import AuthEndpoint

from .conftest import ClientFactory


async def _signed_in(
    echo_client: ClientFactory, server: RunningServer, app: App, auth: AuthEndpoint, user: str
) -> EchoClient:
    client = await echo_client(user)
    await client.connect(server.port, app.key, auth=auth, user_id=user)
    await client.send("signin")
    await client.wait_for(matching(type="message", event="pusher:signin_success"))
    await client.wait_for(
        matching(
            type="message",
            event="pusher_internal:subscription_succeeded",
            channel=f"#server-to-user-{user}",
        )
    )
    return client


async def test_event_to_a_user_reaches_every_connection_of_that_user_only(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    laptop = await _signed_in(echo_client, server, app, auth, "alice")
    phone = await _signed_in(echo_client, server, app, auth, "alice")
    bob = await _signed_in(echo_client, server, app, auth, "bob")

    await hub.publish(Publication(app.id, "#server-to-user-alice", "Ping", '{"n":1}'))
    await hub.publish(Publication(app.id, "#server-to-user-bob", "Ping", '{"n":2}'))

    for device in (laptop, phone):
        got = await device.wait_for(matching(type="user_event", event="Ping"))
        assert got["data"] == {"n": 1}
    assert (await bob.wait_for(matching(type="user_event")))["data"] == {"n": 2}
    assert len(laptop.seen(matching(type="user_event"))) == 1


async def test_server_to_user_channel_needs_signin_as_that_user(
    server: RunningServer, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    mallory = await echo_client("mallory")
    await mallory.connect(server.port, app.key, auth=auth, user_id="mallory")

    await mallory.send(
        "raw", event="pusher:subscribe", data={"channel": "#server-to-user-alice", "auth": ""}
    )

    refused = await mallory.wait_for(matching(type="message", event="pusher:subscription_error"))
    assert refused["channel"] == "#server-to-user-alice"
    assert refused["data"]["status"] == 403


async def test_forged_signin_is_refused_and_closed_4009(
    server: RunningServer, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    mallory = await echo_client("mallory")
    await mallory.connect(
        server.port, app.key, auth=auth, user_id="alice", headers={"X-Forge-Signature": "1"}
    )

    await mallory.send("signin")

    error = await mallory.wait_for(matching(type="message", event="pusher:error"))
    assert error["data"]["code"] == 4009
    await mallory.wait_for(matching(type="state", previous="connected"))
