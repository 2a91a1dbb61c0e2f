"""The Pusher HTTP API on the realtime port, called by the official Python and npm SDKs."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pusher
import pytest

from realtime.pusher import App, Hub, Publication, RunningServer
from testkit.echo import EchoClient, matching
from testkit.pusher_auth import AuthEndpoint
from testkit.server_sdk import npm_sdk as sdk_call

from .conftest import ClientFactory


def python_sdk(app: App, server: RunningServer, secret: str | None = None) -> pusher.Pusher:
    return pusher.Pusher(
        app_id=app.id,
        key=app.key,
        secret=secret or app.secret,
        host="127.0.0.1",
        port=server.port,
        ssl=False,
    )


async def npm_sdk(app: App, server: RunningServer, action: str, **args: Any) -> dict[str, Any]:
    """Run one call of the npm `pusher` SDK in Node; returns {status, body}."""
    return await sdk_call(app.id, app.key, app.secret, server.port, action, **args)


async def listening(
    echo_client: ClientFactory,
    server: RunningServer,
    app: App,
    auth: AuthEndpoint,
    user: str,
    kind: str,
    name: str,
) -> tuple[EchoClient, str]:
    client = await echo_client(user)
    socket_id = await client.connect(server.port, app.key, auth=auth, user_id=user)
    await client.subscribe(kind, name, events=["OrderShipped"])
    await client.wait_for(matching(type="subscribed"))
    return client, socket_id


async def test_python_sdk_trigger_reaches_subscribers_except_the_given_socket(
    server: RunningServer, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice, _ = await listening(echo_client, server, app, auth, "alice", "private", "orders")
    bob, bob_socket = await listening(echo_client, server, app, auth, "bob", "private", "orders")
    sdk = python_sdk(app, server)

    await asyncio.to_thread(sdk.trigger, ["private-orders"], "OrderShipped", {"id": 1}, bob_socket)
    await asyncio.to_thread(sdk.trigger, ["private-orders"], "OrderShipped", {"id": 2})

    assert (await alice.wait_for(matching(type="event")))["data"] == {"id": 1}
    assert (await bob.wait_for(matching(type="event")))["data"] == {"id": 2}


async def test_python_sdk_batch_channels_and_users(
    server: RunningServer, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice, _ = await listening(echo_client, server, app, auth, "alice", "join", "lobby")
    sdk = python_sdk(app, server)

    await asyncio.to_thread(
        sdk.trigger_batch,
        [{"channel": "presence-lobby", "name": "OrderShipped", "data": {"n": n}} for n in (1, 2)],
    )
    channels = await asyncio.to_thread(sdk.channels_info, "presence-", ["user_count"])
    one = await asyncio.to_thread(
        sdk.channel_info, "presence-lobby", ["subscription_count", "user_count"]
    )
    users = await asyncio.to_thread(sdk.users_info, "presence-lobby")

    assert [(await alice.wait_for(matching(type="event")))["data"] for _ in (1, 2)] == [
        {"n": 1},
        {"n": 2},
    ]
    assert channels == {"channels": {"presence-lobby": {"user_count": 1}}}
    assert one == {"occupied": True, "subscription_count": 1, "user_count": 1}
    assert users == {"users": [{"id": "alice"}]}


async def test_python_sdk_with_a_wrong_secret_is_refused(server: RunningServer, app: App) -> None:
    sdk = python_sdk(app, server, secret="not-the-secret")

    with pytest.raises(pusher.errors.PusherBadAuth):
        await asyncio.to_thread(sdk.trigger, "orders", "OrderShipped", {})


async def test_python_sdk_terminate_user_connections(
    server: RunningServer, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice, _ = await listening(echo_client, server, app, auth, "alice", "join", "lobby")

    await asyncio.to_thread(python_sdk(app, server).terminate_user_connections, "alice")

    closed = await alice.wait_for(matching(type="error"), timeout=5)
    assert closed["error"]["data"]["code"] == 4009  # 4000-4099: pusher-js does not come back
    await alice.wait_for(matching(type="state", current="disconnected"))
    assert server.connection_count == 0


async def test_npm_sdk_trigger_send_to_user_and_channels(
    server: RunningServer, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice, _ = await listening(echo_client, server, app, auth, "alice", "channel", "news")
    await alice.send("signin")
    await alice.wait_for(matching(type="message", event="pusher:signin_success"))

    triggered = await npm_sdk(
        app, server, "trigger", channels=["news"], event="OrderShipped", data={"n": 1}
    )
    to_user = await npm_sdk(app, server, "sendToUser", userId="alice", event="Hi", data={"n": 2})
    listed = await npm_sdk(app, server, "get", path="/channels")

    assert triggered["status"] == 200 and to_user["status"] == 200
    assert (await alice.wait_for(matching(type="event")))["data"] == {"n": 1}
    assert (await alice.wait_for(matching(type="user_event")))["data"] == {"n": 2}
    assert listed["body"] == {"channels": {"news": {}, "#server-to-user-alice": {}}}


async def test_npm_sdk_batch_and_terminate(
    server: RunningServer, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice, _ = await listening(echo_client, server, app, auth, "alice", "private", "orders")
    await alice.send("signin")
    await alice.wait_for(matching(type="message", event="pusher:signin_success"))

    batch = await npm_sdk(
        app,
        server,
        "triggerBatch",
        batch=[{"channel": "private-orders", "name": "OrderShipped", "data": '{"n":1}'}],
    )
    terminated = await npm_sdk(app, server, "terminate", userId="alice")

    assert batch["status"] == 200 and terminated["status"] == 200
    assert (await alice.wait_for(matching(type="event")))["data"] == {"n": 1}
    await alice.wait_for(matching(type="state", current="disconnected"))


async def test_limits_are_enforced(server: RunningServer, app: App) -> None:
    sdk = python_sdk(app, server)
    big = "x" * (10 * 1024 + 1)

    with pytest.raises(pusher.errors.PusherBadStatus, match="413"):
        await asyncio.to_thread(sdk.trigger, "orders", "OrderShipped", big)
    too_many = [{"channel": "orders", "name": "E", "data": "{}"}] * 11
    with pytest.raises(pusher.errors.PusherBadRequest):
        await asyncio.to_thread(sdk.trigger_batch, too_many, True)
    # 101 channels: the SDKs refuse before sending, so sign the call by hand
    request = pusher.http.Request(
        sdk._pusher_client,
        "POST",
        f"/apps/{app.id}/events",
        {"name": "E", "data": "{}", "channels": [f"c{n}" for n in range(101)]},
    )
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://127.0.0.1:{server.port}{request.path}?{request.query_string}",
            content=request.body,
        )
    assert response.status_code == 400


async def test_one_app_never_sees_another_apps_traffic(
    server: RunningServer,
    hub: Hub,
    app: App,
    other_app: App,
    auth: AuthEndpoint,
    echo_client: ClientFactory,
) -> None:
    alice, _ = await listening(echo_client, server, app, auth, "alice", "channel", "news")

    await asyncio.to_thread(python_sdk(other_app, server).trigger, "news", "OrderShipped", {})
    mine = await asyncio.to_thread(python_sdk(app, server).channels_info)
    theirs = await asyncio.to_thread(python_sdk(other_app, server).channels_info)
    await hub.publish(Publication(app.id, "news", "OrderShipped", '"mine"'))

    assert (await alice.wait_for(matching(type="event")))["data"] == "mine"
    assert mine == {"channels": {"news": {}}} and theirs == {"channels": {}}
