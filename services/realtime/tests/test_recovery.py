"""Recovery with no client change (docs/architecture.md, "Recovery"): a pusher-js client that
lost its network while its contexts changed hears, once it is back, one LiveRefreshContextsUpdated
naming exactly those contexts with their versions — whether the server noticed the loss at once
or only later, by its own ping."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from nats.aio.client import Client
from pydantic import SecretStr

from contracts.bookings import BookingCreated, ChildCreated, ChildUpdated
from contracts.envelope import Event
from contracts.live import Context
from messaging.codec import encode
from realtime.bootstrap import start
from realtime.live_refresh.recovery import GapRecords
from realtime.live_refresh.versions import ContextVersionStore
from realtime.settings import AppSettings, RealtimeSettings
from testkit.echo import EchoClient, matching
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.pusher_auth import AuthEndpoint
from testkit.tcp_proxy import FlakyNetwork
from testkit.waiting import eventually

APP_ID, KEY, SECRET = "1001", "recovery-key", "recovery-secret"
USER = 5
CHANNEL = f"private-live-refresh.{USER}"
EVENT = "LiveRefreshContextsUpdated"


@dataclass
class Edge:
    port: int
    nc: Client


@pytest.fixture
async def edge(nats_server: NatsServer, nc: Client) -> AsyncIterator[Edge]:
    app = AppSettings(id=APP_ID, key=KEY, secret=SecretStr(SECRET))
    settings = RealtimeSettings(
        nats_url=nats_server.url,
        port=free_port(),
        apps=[app],
        live_app_id=APP_ID,
        activity_timeout_seconds=2.0,
        pong_timeout_seconds=1.0,
        recovery_margin_seconds=0.5,
    )
    running = await start(settings)
    yield Edge(settings.port, nc)
    await running.stop()


@pytest.fixture
async def auth() -> AsyncIterator[AuthEndpoint]:
    async with AuthEndpoint(APP_ID, KEY, SECRET) as endpoint:
        yield endpoint


async def page_on(port: int, auth: AuthEndpoint) -> EchoClient:
    client = await EchoClient.start("page")
    await client.connect(port, KEY, auth=auth, user_id=str(USER))
    await client.subscribe("private", CHANNEL.removeprefix("private-"), events=[EVENT])
    await client.wait_for(matching(type="subscribed", channel=CHANNEL))
    return client


async def publish(nc: Client, *events: Event) -> None:
    for event in events:
        await nc.jetstream().publish(event.subject, encode(event))


async def frame(page: EchoClient, nth: int) -> dict[str, object]:
    """The `nth` (1-based) frame of the page's channel, waiting for it."""

    def arrived(_: dict[str, object]) -> bool:
        return len(page.seen(matching(type="event", channel=CHANNEL))) >= nth

    await page.wait_for(arrived, timeout=20)
    data = page.seen(matching(type="event", channel=CHANNEL))[nth - 1]["data"]
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("noticed", ["at once", "by the server's ping"])
async def test_a_client_back_from_a_network_loss_hears_what_changed_once(
    edge: Edge, auth: AuthEndpoint, noticed: str
) -> None:
    network = await FlakyNetwork(edge.port).start()
    page = await page_on(network.port, auth)
    try:
        await publish(edge.nc, ChildCreated(child_id=1, parent_id=USER))
        live = await frame(page, 1)  # delivered live: not part of what it will miss
        assert live["contexts"] == ["children"]

        network.go_offline(silently=noticed != "at once")
        await page.wait_for(matching(type="state", previous="connected"), timeout=10)
        await publish(
            edge.nc,
            ChildUpdated(child_id=1, parent_id=USER),
            BookingCreated(booking_id=3, parent_id=USER, trainer_user_ids=[]),
            ChildCreated(child_id=2, parent_id=USER + 1),  # someone else's
        )
        network.go_online()
        await page.wait_for(matching(type="connected"), timeout=30)

        recovered = await frame(page, 2)
        assert sorted(recovered["contexts"]) == ["bookings", "children"]  # type: ignore[arg-type]
        versions = recovered["versions"]
        assert isinstance(versions, dict) and set(versions) == {"bookings", "children"}
        assert versions["children"] > live["versions"]["children"]  # type: ignore[index]
        assert "resync" not in recovered
        # One frame for the whole gap, then quiet (the other user's change is not here).
        await publish(edge.nc, ChildUpdated(child_id=2, parent_id=USER + 1))
        await asyncio.sleep(1.0)
        assert len(page.seen(matching(type="event", channel=CHANNEL))) == 2
    finally:
        await page.close()
        await network.close()


async def test_a_first_subscription_hears_nothing_and_a_gap_found_later_reaches_the_channel(
    edge: Edge, auth: AuthEndpoint
) -> None:
    page = await page_on(edge.port, auth)
    try:
        await publish(edge.nc, BookingCreated(booking_id=4, parent_id=USER, trainer_user_ids=[]))
        live = await frame(page, 1)
        assert live["contexts"] == ["bookings"]  # the subscription itself brought nothing
        # Another connection of this user, on any instance, turns out to have been lost since
        # before that change: this channel hears of everything after its baseline.
        gaps = await GapRecords.open(edge.nc.jetstream(), 60)
        await gaps.widen(CHANNEL, 0)
        recovered = await frame(page, 2)
        assert recovered["contexts"] == ["bookings"]
        assert recovered["versions"] == live["versions"]
    finally:
        await page.close()


async def test_a_page_closed_cleanly_leaves_no_gap_for_the_next_page_load(
    edge: Edge, auth: AuthEndpoint
) -> None:
    first = await page_on(edge.port, auth)
    await first.close()  # pusher-js disconnects: the client closed first, it missed nothing
    await publish(edge.nc, ChildCreated(child_id=3, parent_id=USER))
    gaps = await GapRecords.open(edge.nc.jetstream(), 60)
    assert await gaps.read(CHANNEL) is None
    page = await page_on(edge.port, auth)  # a new page load fetches everything anyway
    try:
        await publish(edge.nc, BookingCreated(booking_id=5, parent_id=USER, trainer_user_ids=[]))
        first_frame = await frame(page, 1)
        assert first_frame["contexts"] == ["bookings"]
    finally:
        await page.close()


async def test_an_edge_back_from_losing_nats_tells_its_channels_what_changed_meanwhile(
    edge: Edge, auth: AuthEndpoint, nats_server: NatsServer
) -> None:
    """The edge's own link to NATS fails (through a proxy) while another instance keeps routing:
    its client stays connected and, when the link is back, hears what it missed in one frame."""
    link = await FlakyNetwork(nats_server.port).start()
    app = AppSettings(id=APP_ID, key=KEY, secret=SecretStr(SECRET))
    cut_off = RealtimeSettings.model_validate(
        {
            "NATS_URL": f"nats://127.0.0.1:{link.port}",
            "port": free_port(),
            "apps": [app],
            "live_app_id": APP_ID,
            "recovery_margin_seconds": 0.5,
            "drain_seconds": 0.2,
            # An edge only: as a router too, its pull request still open on the server when
            # the link went silent would take the events and hold them for the ack wait.
            "role": "edge",
        }
    )
    running = await start(cut_off)
    page = await page_on(cut_off.port, auth)
    try:
        await publish(edge.nc, ChildCreated(child_id=1, parent_id=USER))
        live = await frame(page, 1)
        await asyncio.sleep(1.0)  # past the margin: the live frame is surely delivered

        link.go_offline()
        await publish(
            edge.nc,
            ChildUpdated(child_id=1, parent_id=USER),
            BookingCreated(booking_id=3, parent_id=USER, trainer_user_ids=[]),
        )
        versions = await ContextVersionStore.open(edge.nc)

        async def routed_elsewhere() -> bool:
            now = await versions.of_channel(CHANNEL)
            return now[Context.bookings] > 0 and now[Context.children] > live_children(live)

        await eventually(routed_elsewhere, timeout=10)
        assert len(page.seen(matching(type="event", channel=CHANNEL))) == 1  # deaf for now
        link.go_online()

        recovered = await frame(page, 2)
        assert sorted(recovered["contexts"]) == ["bookings", "children"]  # type: ignore[arg-type]
        assert page.seen(matching(type="state", previous="connected")) == []  # never noticed
    finally:
        await page.close()
        await running.stop()
        await link.close()


def live_children(data: dict[str, object]) -> int:
    versions = data["versions"]
    assert isinstance(versions, dict)
    return int(versions["children"])
