"""Two realtime instances on one NATS behave as one Pusher service: a frame reaches every
subscriber whichever instance it is connected to, exactly once, however it was published."""

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from contracts.bookings import ChildCreated
from messaging.codec import encode
from realtime.bootstrap import start
from realtime.settings import AppSettings, RealtimeSettings
from runtime.process import Running
from testkit.echo import EchoClient, matching
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.pusher_auth import AuthEndpoint
from testkit.server_sdk import npm_sdk

APP_ID, KEY, SECRET = "1001", "fanout-key", "fanout-secret"  # the Python SDK wants numeric ids
CHANNEL = "private-live-refresh.5"


@pytest.fixture
async def two_instances(nats_server: NatsServer) -> AsyncIterator[list[int]]:
    ports = [free_port(), free_port()]
    instances: list[Running] = []
    for port in ports:
        app = AppSettings(id=APP_ID, key=KEY, secret=SecretStr(SECRET))
        settings = RealtimeSettings(
            nats_url=nats_server.url, port=port, apps=[app], live_app_id=APP_ID
        )
        instances.append(await start(settings))
    yield ports
    for instance in instances:
        await instance.stop()


@pytest.fixture
async def auth() -> AsyncIterator[AuthEndpoint]:
    async with AuthEndpoint(APP_ID, KEY, SECRET) as endpoint:
        yield endpoint


async def subscriber(port: int, auth: AuthEndpoint, name: str) -> EchoClient:
    client = await EchoClient.start(name)
    await client.connect(port, KEY, auth=auth, user_id="5")
    await client.subscribe(
        "private",
        CHANNEL.removeprefix("private-"),
        events=["LiveRefreshContextsUpdated", "Announcement"],
    )
    await client.wait_for(matching(type="subscribed", channel=CHANNEL))
    return client


async def test_a_routed_frame_reaches_subscribers_on_both_instances_once(
    two_instances: list[int], auth: AuthEndpoint, nats_server: NatsServer, nc: object
) -> None:
    on_a = await subscriber(two_instances[0], auth, "on-a")
    on_b = await subscriber(two_instances[1], auth, "on-b")
    try:
        event = ChildCreated(child_id=1, parent_id=5)
        js = nc.jetstream()  # type: ignore[attr-defined]
        await js.publish(event.subject, encode(event), headers={"Nats-Msg-Id": str(event.event_id)})
        for client in (on_a, on_b):
            frame = await client.wait_for(matching(type="event", channel=CHANNEL))
            assert frame["data"]["contexts"] == ["children"]
            assert set(frame["data"]["versions"]) == {"children"}
        # The instances share one durable router: the event was routed once, not once each.
        follow_up = ChildCreated(child_id=2, parent_id=5)
        await js.publish(follow_up.subject, encode(follow_up))
        for client in (on_a, on_b):
            await client.wait_for(matching(type="event", channel=CHANNEL))
            assert len(client.seen(matching(type="event", channel=CHANNEL))) == 2
    finally:
        await on_a.close()
        await on_b.close()


async def test_the_http_api_of_one_instance_reaches_clients_of_the_other(
    two_instances: list[int], auth: AuthEndpoint
) -> None:
    on_a = await subscriber(two_instances[0], auth, "on-a")
    try:
        answer = await npm_sdk(
            APP_ID,
            KEY,
            SECRET,
            two_instances[1],
            "trigger",
            channels=[CHANNEL],
            event="Announcement",
            data={"from": "b"},
        )
        assert answer["status"] == 200
        got = await on_a.wait_for(matching(type="event", event="Announcement"))
        assert got["data"] == {"from": "b"}
    finally:
        await on_a.close()
