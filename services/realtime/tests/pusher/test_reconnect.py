"""Realtime restarts: pusher-js reconnects on its own, resubscribes, and receives again."""

from __future__ import annotations

from realtime.pusher import App, Hub, Publication, RunningServer, start_server
from testkit.echo import matching
from testkit.pusher_auth import AuthEndpoint
from testkit.waiting import eventually

from .conftest import ClientFactory


async def test_pusher_js_reconnects_and_resubscribes_after_a_restart(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice = await echo_client("alice")
    first_socket = await alice.connect(server.port, app.key, auth=auth, user_id="7")
    await alice.subscribe("private", "live-refresh.7", events=["LiveRefreshContextsUpdated"])
    await alice.wait_for(matching(type="subscribed"))

    await server.close()
    await alice.wait_for(matching(type="state", previous="connected"))
    restarted = await start_server(hub, port=server.port)
    try:
        second_socket = (await alice.wait_for(matching(type="connected"), timeout=20))["socket_id"]

        async def resubscribed() -> bool:
            return hub.is_subscribed(app.id, "private-live-refresh.7", second_socket)

        await eventually(resubscribed)
        hub.deliver_local(
            Publication(
                app.id,
                "private-live-refresh.7",
                "LiveRefreshContextsUpdated",
                '{"contexts":["bookings"]}',
            )
        )
        event = await alice.wait_for(matching(type="event"))
    finally:
        await restarted.close()

    assert second_socket != first_socket
    assert event["data"] == {"contexts": ["bookings"]}
