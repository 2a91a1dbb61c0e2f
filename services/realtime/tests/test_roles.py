"""The realtime service split in two roles (REALTIME_ROLE): edges that hold the clients and a
router process of its own. Domain events reach clients through the router on `live.deliver`;
what edges publish (HTTP API triggers, client events) goes edge to edge on `live.relay`, and an
edge never publishes on `live.deliver`."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from pydantic import SecretStr

from contracts.bookings import ChildCreated
from contracts.catalogue import EVENTS, REQUESTS
from contracts.envelope import Actor, Role
from contracts.live import (
    ADMIN_CHANNEL,
    DELIVER_PREFIX,
    LIVE_REFRESH_EVENT,
    RELAY_PREFIX,
    ChannelFrame,
    ContextVersions,
    GetContextVersions,
    deliver_subject,
    frame_kind,
    relay_subject,
)
from messaging.codec import decode, encode
from messaging.requests import request
from realtime.bootstrap import SERVICE_NAME, start
from realtime.settings import AppSettings, RealtimeSettings
from realtime.settings import Role as RealtimeRole
from runtime.process import Running
from testkit.echo import EchoClient, matching
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.pusher_auth import AuthEndpoint
from testkit.server_sdk import npm_sdk
from testkit.waiting import eventually

APP_ID, KEY, SECRET = "1001", "roles-key", "roles-secret"
CHANNEL = "private-live-refresh.5"
APP = AppSettings(id=APP_ID, key=KEY, secret=SecretStr(SECRET), enable_client_messages=True)


@pytest.fixture
async def edges(nats_server: NatsServer) -> AsyncIterator[list[int]]:
    """Two edge-role instances; their ports."""
    ports = [free_port(), free_port()]
    instances: list[Running] = []
    for port in ports:
        settings = RealtimeSettings(
            nats_url=nats_server.url,
            port=port,
            apps=[APP],
            live_app_id=APP_ID,
            role=RealtimeRole.edge,
            metrics_port=0,
        )
        instances.append(await start(settings))
    yield ports
    for instance in instances:
        await instance.stop()


@contextlib.contextmanager
def router_process(
    nats_url: str, port: int = 0, metrics_port: int = 0
) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m runtime realtime` with REALTIME_ROLE=router: a process of its own (without a
    metrics listener unless given its port)."""
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "REALTIME_PORT": str(port or free_port()),
        "REALTIME_METRICS_PORT": str(metrics_port),
        "REALTIME_ROLE": "router",
        "REALTIME_APPS": f'[{{"id": "{APP_ID}", "key": "{KEY}", "secret": "{SECRET}"}}]',
        "REALTIME_LIVE_APP_ID": APP_ID,
    }
    process = subprocess.Popen([sys.executable, "-m", "runtime", "realtime"], env=env)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


async def pinged(nc: Client) -> bool:
    """The router role's readiness: it answers the NATS micro PING of its service."""
    try:
        await nc.request(f"$SRV.PING.{SERVICE_NAME}", b"", timeout=1.0)
    except (NoRespondersError, TimeoutError):
        return False
    return True


@pytest.fixture
async def router(nats_server: NatsServer, nc: Client) -> AsyncIterator[subprocess.Popen[bytes]]:
    with router_process(nats_server.url) as process:
        await eventually(lambda: pinged(nc), timeout=30)
        yield process


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
        events=[LIVE_REFRESH_EVENT, "Announcement", "Marker"],
        whispers=["typing"],
    )
    await client.wait_for(matching(type="subscribed", channel=CHANNEL))
    return client


class Wiretap:
    """Every message on one NATS subject pattern, in order."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, ChannelFrame]] = []

    async def collect(self, msg: Msg) -> None:
        self.frames.append((msg.subject, decode(ChannelFrame, msg.data)))

    @classmethod
    async def on(cls, nc: Client, subject: str) -> "Wiretap":
        tap = cls()
        await nc.subscribe(subject, cb=tap.collect)
        await nc.flush()
        return tap


def test_only_frames_match_an_edges_channel_subscription() -> None:
    # An edge subscribes `live.*.{app}.{channel}`; whatever else that wildcard catches is dropped.
    assert frame_kind(deliver_subject("cams", "a.b")) == DELIVER_PREFIX
    assert frame_kind(relay_subject("cams", "presence-room.1")) == RELAY_PREFIX
    for contract in (*EVENTS.values(), *REQUESTS.values()):
        assert frame_kind(contract.subject) is None, contract.subject


async def test_an_edge_alone_answers_no_requests_and_a_domain_event_reaches_it_via_the_router(
    nats_server: NatsServer, nc: Client, edges: list[int], auth: AuthEndpoint
) -> None:
    parent = Actor(user_id=5, role=Role.parent)
    # Edges only: nothing answers the router's service nor GetContextVersions.
    assert not await pinged(nc)
    with pytest.raises(NoRespondersError):
        await nc.request(GetContextVersions.subject, encode(GetContextVersions(actor=parent)))

    client = await subscriber(edges[0], auth, "parent")
    try:
        with router_process(nats_server.url):
            await eventually(lambda: pinged(nc), timeout=30)
            event = ChildCreated(child_id=1, parent_id=5)
            await nc.jetstream().publish(event.subject, encode(event))
            frame = await client.wait_for(
                matching(type="event", event=LIVE_REFRESH_EVENT, channel=CHANNEL), timeout=20
            )
            assert frame["data"]["contexts"] == ["children"]
            versions = await request(nc, GetContextVersions(actor=parent))
            assert isinstance(versions, ContextVersions)
            assert versions.versions["children"] == frame["data"]["versions"]["children"]
    finally:
        await client.close()


async def test_http_api_and_client_events_cross_edges_on_relay_and_only_the_router_delivers(
    nc: Client, edges: list[int], router: subprocess.Popen[bytes], auth: AuthEndpoint
) -> None:
    delivered = await Wiretap.on(nc, "live.deliver.>")
    relayed = await Wiretap.on(nc, "live.relay.>")
    on_a = await subscriber(edges[0], auth, "on-a")
    on_b = await subscriber(edges[1], auth, "on-b")
    try:
        answer = await npm_sdk(
            APP_ID,
            KEY,
            SECRET,
            edges[1],
            "trigger",
            channels=[CHANNEL],
            event="Announcement",
            data={"from": "b"},
        )
        assert answer["status"] == 200
        got = await on_a.wait_for(matching(type="event", event="Announcement"))
        assert got["data"] == {"from": "b"}
        await on_b.send(
            "whisper",
            kind="private",
            name=CHANNEL.removeprefix("private-"),
            event="typing",
            data={"typing": True},
        )
        heard = await on_a.wait_for(matching(type="whisper"))
        assert heard["data"] == {"typing": True}

        event = ChildCreated(child_id=2, parent_id=5)
        await nc.jetstream().publish(event.subject, encode(event))
        for client in (on_a, on_b):
            await client.wait_for(matching(type="event", event=LIVE_REFRESH_EVENT), timeout=20)
        await nc.flush()

        async def tapped() -> bool:
            return len(delivered.frames) >= 2 and len(relayed.frames) >= 2

        await eventually(tapped)
        # The router's frames for the event (the parent's and the admins' channels), no other.
        assert sorted((f.channel, f.event, f.id) for _, f in delivered.frames) == sorted(
            (channel, LIVE_REFRESH_EVENT, str(event.event_id))
            for channel in (CHANNEL, ADMIN_CHANNEL)
        )
        assert [f.event for _, f in relayed.frames] == ["Announcement", "client-typing"]
        assert {subject for subject, _ in relayed.frames} == {relay_subject(APP_ID, CHANNEL)}
    finally:
        await on_a.close()
        await on_b.close()


async def test_a_relayed_frame_neither_suppresses_nor_stands_in_for_a_routed_one(
    nc: Client, edges: list[int], auth: AuthEndpoint
) -> None:
    client = await subscriber(edges[0], auth, "parent")
    try:
        # What a misbehaving edge could send: a frame naming the id of a routed frame to come.
        forged = ChannelFrame(
            app_id=APP_ID, channel=CHANNEL, event="Marker", data="{}", id="event-1", position=10**9
        )
        await nc.publish(relay_subject(APP_ID, CHANNEL), encode(forged))
        await client.wait_for(matching(type="event", event="Marker"))
        routed = forged.model_copy(update={"event": LIVE_REFRESH_EVENT, "data": '{"contexts":[]}'})
        await nc.publish(deliver_subject(APP_ID, CHANNEL), encode(routed))
        await client.wait_for(matching(type="event", event=LIVE_REFRESH_EVENT))
        # The routed frame still counts once: its copy is dropped.
        await nc.publish(deliver_subject(APP_ID, CHANNEL), encode(routed))
        await nc.publish(relay_subject(APP_ID, CHANNEL), encode(forged))
        await client.wait_for(matching(type="event", event="Marker"))
        assert len(client.seen(matching(type="event", event=LIVE_REFRESH_EVENT))) == 1
    finally:
        await client.close()


async def test_the_router_role_listens_on_no_public_port_and_shows_its_metrics_on_loopback(
    nats_server: NatsServer, nc: Client
) -> None:
    port, metrics_port = free_port(), free_port()
    with router_process(nats_server.url, port, metrics_port) as process:
        await eventually(lambda: pinged(nc), timeout=30)  # ready by NATS ping, not /readyz
        assert process.poll() is None
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)

        # A routed event shows in the router's own metrics (lag and count).
        await nc.jetstream().publish(
            ChildCreated.subject, encode(ChildCreated(child_id=1, parent_id=5))
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{metrics_port}") as http:

            async def routed() -> bool:
                text = (await http.get("/metrics")).text
                return "live_refresh_router_lag_seconds_count 1.0" in text

            await eventually(routed, timeout=15)
