"""A private channel through unmodified pusher-js and Echo: auth, delivery, isolation."""

from __future__ import annotations

from realtime.pusher import App, Hub, Publication, RunningServer
from testkit.echo import matching
from testkit.pusher_auth import AuthEndpoint

from .conftest import ClientFactory


async def test_echo_private_channel_receives_a_delivered_event(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice = await echo_client("alice")
    await alice.connect(server.port, app.key, auth=auth, user_id="7")
    await alice.subscribe("private", "live-refresh.7", events=["LiveRefreshContextsUpdated"])
    await alice.wait_for(matching(type="subscribed", channel="private-live-refresh.7"))

    sent = hub.deliver_local(
        Publication(
            app.id,
            "private-live-refresh.7",
            "LiveRefreshContextsUpdated",
            '{"contexts":["notifications","bookings"]}',
        )
    )

    assert sent == 1
    received = await alice.wait_for(matching(type="event"))
    assert received["channel"] == "private-live-refresh.7"
    assert received["data"] == {"contexts": ["notifications", "bookings"]}


async def test_auth_endpoint_refusal_fires_echo_error_and_nothing_arrives(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    mallory = await echo_client("mallory")
    await mallory.connect(server.port, app.key, auth=auth, user_id="666")
    await mallory.subscribe("private", "user.7", events=["Secret"])

    refused = await mallory.wait_for(matching(type="subscription_error"))

    assert refused["channel"] == "private-user.7"
    assert refused["error"]["status"] == 403
    assert hub.deliver_local(Publication(app.id, "private-user.7", "Secret", "{}")) == 0


async def test_forged_signature_is_refused_by_the_server_with_subscription_error(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    mallory = await echo_client("mallory")
    await mallory.connect(
        server.port, app.key, auth=auth, user_id="666", headers={"X-Forge-Signature": "1"}
    )
    await mallory.subscribe("private", "orders", events=["Secret"])

    refused = await mallory.wait_for(matching(type="subscription_error"))

    assert refused["channel"] == "private-orders"
    assert refused["error"] == {"type": "AuthError", "error": "Invalid signature", "status": 401}
    assert hub.deliver_local(Publication(app.id, "private-orders", "Secret", "{}")) == 0
    assert mallory.seen(matching(type="state", current="disconnected")) == []
