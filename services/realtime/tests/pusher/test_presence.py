"""Presence through Echo's here/joining/leaving: one member per user id, however many tabs."""

from __future__ import annotations

import websockets

from realtime.pusher import App, Hub, Publication, RunningServer, ServerConfig, sign_channel
from realtime.pusher.wire import json_string
from testkit.echo import matching
from testkit.pusher_auth import AuthEndpoint
from testkit.waiting import eventually

from .conftest import ClientFactory

CHANNEL = "presence-online"


def alice_and_bob(members: list[dict[str, str]]) -> set[str]:
    return {member["id"] for member in members}


async def test_second_tab_adds_no_member_and_closing_one_of_two_tabs_removes_none(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    tab1, tab2, bob = [await echo_client(n) for n in ("alice-tab1", "alice-tab2", "bob")]
    for client, user in ((tab1, "alice"), (tab2, "alice"), (bob, "bob")):
        await client.connect(server.port, app.key, auth=auth, user_id=user)

    await tab1.subscribe("join", "online")
    assert alice_and_bob((await tab1.wait_for(matching(type="here")))["members"]) == {"alice"}
    await tab2.subscribe("join", "online")
    assert alice_and_bob((await tab2.wait_for(matching(type="here")))["members"]) == {"alice"}
    await bob.subscribe("join", "online", events=["Marker"])
    here = await bob.wait_for(matching(type="here"))
    assert alice_and_bob(here["members"]) == {"alice", "bob"}
    for tab in (tab1, tab2):
        joined = await tab.wait_for(matching(type="joining"))
        assert joined["member"] == {"id": "bob", "name": "User bob"}
    assert len(tab1.seen(matching(type="joining"))) == 1  # bob only: alice's 2nd tab added none

    await tab2.send("disconnect")

    async def tab2_gone() -> bool:
        return len(hub.channel(app.id, CHANNEL).subscribers) == 2

    await eventually(tab2_gone)
    # Frames to bob keep their order: had a member_removed been sent, it would come first.
    hub.deliver_local(Publication(app.id, CHANNEL, "Marker", "{}"))
    await bob.wait_for(matching(type="event", event="Marker"))
    assert bob.seen(matching(type="leaving")) == []

    await tab1.send("disconnect")
    left = await bob.wait_for(matching(type="leaving"))
    assert left["member"] == {"id": "alice", "name": "User alice"}


async def test_dead_connection_is_dropped_and_its_member_removed(
    hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    from realtime.pusher import start_server

    quick = ServerConfig(activity_timeout=1, pong_timeout=1, sweep_interval=0.1)
    server = await start_server(hub, quick)
    try:
        bob = await echo_client("bob")
        await bob.connect(server.port, app.key, auth=auth, user_id="bob")
        await bob.subscribe("join", "online")
        await bob.wait_for(matching(type="here"))

        # A client that joins, then goes silent: it never answers pusher:ping, never closes.
        url = f"ws://127.0.0.1:{server.port}/app/{app.key}?protocol=7"
        async with websockets.connect(url) as ghost:
            established = json_string_data(await ghost.recv())
            member = json_string({"user_id": "ghost", "user_info": {"id": "ghost"}})
            await ghost.send(
                json_string(
                    {
                        "event": "pusher:subscribe",
                        "data": {
                            "channel": CHANNEL,
                            "channel_data": member,
                            "auth": sign_channel(app, established["socket_id"], CHANNEL, member),
                        },
                    }
                )
            )
            joined = await bob.wait_for(matching(type="joining"))
            assert joined["member"] == {"id": "ghost"}

            left = await bob.wait_for(matching(type="leaving"), timeout=6)

            assert left["member"] == {"id": "ghost"}
            assert "ghost" not in hub.channel(app.id, CHANNEL).members
    finally:
        await server.close()


def json_string_data(frame: str | bytes) -> dict[str, str]:
    import orjson

    message = orjson.loads(frame)
    data: dict[str, str] = orjson.loads(message["data"])
    return data
