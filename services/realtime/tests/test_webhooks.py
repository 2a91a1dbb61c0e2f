"""Pusher-style webhooks, end to end: real pusher-js clients cause the lifecycle, the realtime
service publishes it to JetStream, `webhook_sender` POSTs it to a real HTTP receiver on
loopback, and the official `pusher` SDK accepts the signature."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pusher
import pytest
from pydantic import SecretStr

from realtime.bootstrap import start
from realtime.settings import AppSettings, RealtimeSettings, WebhookSettings
from runtime.process import Running
from testkit.echo import EchoClient, matching
from testkit.http_server import Answer, Incoming, LoopbackHttpServer
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.pusher_auth import AuthEndpoint
from testkit.waiting import eventually

APP_ID, KEY, SECRET = "1001", "hook-key", "hook-secret"  # the Python SDK wants numeric ids
QUICK_GRACE = 0.2


@dataclass
class Hook:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = json.loads(self.body)["events"]
        return events


@dataclass
class Receiver:
    """A webhook endpoint: answers `failures` with 500 first, then 200; records every POST."""

    port: int = field(default_factory=free_port)
    failures: int = 0
    hooks: list[Hook] = field(default_factory=list)
    _server: LoopbackHttpServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pusher/webhooks"

    def accepted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Events of the POSTs answered 200, in order (of one channel if given)."""
        events = [e for hook in self.hooks if hook.status == 200 for e in hook.events]
        return [e for e in events if channel is None or e["channel"] == channel]

    def names(self, channel: str) -> list[str]:
        return [event["name"] for event in self.accepted(channel)]

    async def start(self) -> None:
        self._server = LoopbackHttpServer(self._answer, self.port)
        await self._server.start()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    def _answer(self, incoming: Incoming) -> Answer:
        status = 500 if self.failures > 0 else 200
        self.failures -= 1
        self.hooks.append(Hook(status, incoming.headers, incoming.body))
        return Answer(status)


def app_settings(receiver: Receiver) -> AppSettings:
    hook = WebhookSettings.model_validate({"url": receiver.url})
    return AppSettings(
        id=APP_ID,
        key=KEY,
        secret=SecretStr(SECRET),
        webhooks=[hook],
        enable_client_messages=True,  # test_client_events_carry_socket_...
    )


@dataclass
class Realtime:
    """The realtime service as bootstrap starts it, restartable against the same NATS."""

    nats_url: str
    receiver: Receiver
    grace: float = QUICK_GRACE
    port: int = 0
    metrics_port: int = 0
    running: Running | None = None

    async def start(self) -> Realtime:
        self.port, self.metrics_port = free_port(), free_port()
        settings = RealtimeSettings(
            nats_url=self.nats_url,
            port=self.port,
            metrics_port=self.metrics_port,
            apps=[app_settings(self.receiver)],
            live_app_id=APP_ID,
            lifecycle_grace_seconds=self.grace,
        )
        self.running = await start(settings)
        return self

    async def stop(self) -> None:
        if self.running is not None:
            await self.running.stop()
            self.running = None

    async def metric(self, name: str) -> float:
        """The sum of a Prometheus counter's samples on GET /metrics."""
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"http://127.0.0.1:{self.metrics_port}/metrics")).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(name + "{") or line.startswith(name + " ")
        )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    yield receiver
    await receiver.close()


StartRealtime = Callable[..., Awaitable[Realtime]]


@pytest.fixture
async def start_realtime(
    nats_server: NatsServer, receiver: Receiver
) -> AsyncIterator[StartRealtime]:
    started: list[Realtime] = []

    async def start(grace: float = QUICK_GRACE) -> Realtime:
        realtime = await Realtime(nats_server.url, receiver, grace).start()
        started.append(realtime)
        return realtime

    yield start
    for realtime in started:
        await realtime.stop()


@pytest.fixture
async def auth() -> AsyncIterator[AuthEndpoint]:
    async with AuthEndpoint(APP_ID, KEY, SECRET) as endpoint:
        yield endpoint


@pytest.fixture
async def clients() -> AsyncIterator[Callable[[str], Awaitable[EchoClient]]]:
    started: list[EchoClient] = []

    async def start(name: str) -> EchoClient:
        started.append(await EchoClient.start(name))
        return started[-1]

    yield start
    for client in started:
        await client.close()


async def joined(
    clients: Callable[[str], Awaitable[EchoClient]],
    realtime: Realtime,
    auth: AuthEndpoint,
    user: str,
    kind: str,
    name: str,
) -> EchoClient:
    client = await clients(user)
    await client.connect(realtime.port, KEY, auth=auth, user_id=user)
    await client.subscribe(kind, name, whispers=["typing"])
    await client.wait_for(matching(type="subscribed"))
    return client


async def names_become(receiver: Receiver, channel: str, expected: list[str]) -> None:
    await eventually(lambda: arrived(receiver, channel, len(expected)), timeout=20)
    assert receiver.names(channel) == expected


async def arrived(receiver: Receiver, channel: str, count: int) -> bool:
    return len(receiver.names(channel)) >= count


def verified(hook: Hook) -> dict[str, Any]:
    """The body as the official SDK reads it after checking key, signature and freshness."""
    sdk = pusher.Pusher(app_id=APP_ID, key=KEY, secret=SECRET)
    body = sdk.validate_webhook(
        hook.headers["x-pusher-key"], hook.headers["x-pusher-signature"], hook.body
    )
    assert body is not None, "the pusher SDK refused the webhook"
    assert isinstance(body["time_ms"], int)
    result: dict[str, Any] = body
    return result


async def test_occupied_and_vacated_are_signed_as_pusher_signs_them(
    receiver: Receiver, start_realtime: StartRealtime, auth: AuthEndpoint, clients: Any
) -> None:
    await receiver.start()
    realtime = await start_realtime()
    alice = await joined(clients, realtime, auth, "alice", "private", "orders.1")
    await names_become(receiver, "private-orders.1", ["channel_occupied"])

    await alice.send("disconnect")

    await names_become(receiver, "private-orders.1", ["channel_occupied", "channel_vacated"])
    for hook in receiver.hooks:
        assert hook.headers["content-type"] == "application/json"
        assert verified(hook)["events"] == hook.events
    assert receiver.accepted() == [
        {"name": "channel_occupied", "channel": "private-orders.1"},
        {"name": "channel_vacated", "channel": "private-orders.1"},
    ]
    forged = pusher.Pusher(app_id=APP_ID, key=KEY, secret="not-" + SECRET)
    hook = receiver.hooks[0]
    assert forged.validate_webhook(KEY, hook.headers["x-pusher-signature"], hook.body) is None


async def test_members_are_added_and_removed_once_per_user_however_many_tabs(
    receiver: Receiver, start_realtime: StartRealtime, auth: AuthEndpoint, clients: Any
) -> None:
    await receiver.start()
    realtime = await start_realtime()
    tab1 = await joined(clients, realtime, auth, "alice", "join", "online")
    tab2 = await joined(clients, realtime, auth, "alice", "join", "online")
    bob = await joined(clients, realtime, auth, "bob", "join", "online")
    channel = "presence-online"
    await names_become(receiver, channel, ["channel_occupied", "member_added", "member_added"])

    await tab2.send("disconnect")  # alice is still there in tab1
    await bob.send("disconnect")
    await names_become(receiver, channel, [*receiver.names(channel)[:3], "member_removed"])
    await tab1.send("disconnect")

    await names_become(
        receiver,
        channel,
        [
            "channel_occupied",
            "member_added",
            "member_added",
            "member_removed",
            "member_removed",
            "channel_vacated",
        ],
    )
    members = [(e["name"], e.get("user_id")) for e in receiver.accepted(channel)]
    assert members[1:5] == [
        ("member_added", "alice"),
        ("member_added", "bob"),
        ("member_removed", "bob"),
        ("member_removed", "alice"),
    ]
    for hook in receiver.hooks:
        verified(hook)


async def test_client_events_carry_socket_and_on_presence_the_user(
    receiver: Receiver, start_realtime: StartRealtime, auth: AuthEndpoint, clients: Any
) -> None:
    await receiver.start()
    realtime = await start_realtime()
    alice = await joined(clients, realtime, auth, "alice", "join", "room")
    await joined(clients, realtime, auth, "bob", "join", "room")
    carol = await joined(clients, realtime, auth, "carol", "private", "chat")
    alice_socket = alice.seen(matching(type="connected"))[0]["socket_id"]
    carol_socket = carol.seen(matching(type="connected"))[0]["socket_id"]

    await alice.send("whisper", kind="join", name="room", event="typing", data={"x": 1})
    await carol.send("whisper", kind="private", name="chat", event="typing", data={"y": 2})

    async def both() -> list[dict[str, Any]]:
        found = [e for e in receiver.accepted() if e["name"] == "client_event"]
        return found if len(found) == 2 else []

    events = {e["channel"]: e for e in await eventually(both, timeout=20)}
    presence, private = events["presence-room"], events["private-chat"]
    assert presence == {
        "name": "client_event",
        "channel": "presence-room",
        "event": "client-typing",
        "data": presence["data"],
        "socket_id": alice_socket,
        "user_id": "alice",
    }
    assert json.loads(presence["data"]) == {"x": 1}
    assert private["socket_id"] == carol_socket and "user_id" not in private
    assert json.loads(private["data"]) == {"y": 2}


async def test_a_quick_reconnect_within_the_grace_sends_no_vacated_or_second_occupied(
    receiver: Receiver, start_realtime: StartRealtime, auth: AuthEndpoint, clients: Any
) -> None:
    await receiver.start()
    realtime = await start_realtime(grace=3.0)
    channel = "presence-lobby"
    first = await joined(clients, realtime, auth, "alice", "join", "lobby")
    await names_become(receiver, channel, ["channel_occupied", "member_added"])
    again = await clients("alice-again")
    await again.connect(realtime.port, KEY, auth=auth, user_id="alice")
    api = pusher.Pusher(
        app_id=APP_ID, key=KEY, secret=SECRET, host="127.0.0.1", port=realtime.port, ssl=False
    )

    await first.send("disconnect")

    async def vacated_on_the_server() -> bool:
        info = await asyncio.to_thread(api.channels_info)
        return channel not in info["channels"]

    await eventually(vacated_on_the_server)
    await again.subscribe("join", "lobby")
    await again.wait_for(matching(type="subscribed"))
    # Leaving for good: the facts held back now come out after the grace, in order, so any
    # vacated/removed of the first disconnect would have come before these.
    await again.send("disconnect")
    await names_become(
        receiver,
        channel,
        ["channel_occupied", "member_added", "member_removed", "channel_vacated"],
    )


async def test_a_failed_post_is_retried_and_none_is_lost(
    receiver: Receiver, start_realtime: StartRealtime, auth: AuthEndpoint, clients: Any
) -> None:
    receiver.failures = 1
    await receiver.start()
    realtime = await start_realtime()
    await joined(clients, realtime, auth, "alice", "private", "retry")

    await names_become(receiver, "private-retry", ["channel_occupied"])

    assert [hook.status for hook in receiver.hooks] == [500, 200]
    assert receiver.hooks[0].events == receiver.hooks[1].events
    verified(receiver.hooks[1])
    assert await realtime.metric("pusher_webhook_retries_total") == 1
    assert await realtime.metric("pusher_webhook_deliveries_total") == 2


async def test_a_receiver_that_was_down_gets_the_events_when_it_starts(
    receiver: Receiver, start_realtime: StartRealtime, auth: AuthEndpoint, clients: Any
) -> None:
    realtime = await start_realtime()
    alice = await joined(clients, realtime, auth, "alice", "private", "later")
    await alice.send("disconnect")

    async def refused() -> bool:
        return await realtime.metric("pusher_webhook_deliveries_total") >= 2

    await eventually(refused, timeout=20)  # both facts tried, both refused
    await receiver.start()

    # A retried fact may overtake one behind it (as with Pusher, order is not promised).
    await eventually(lambda: arrived(receiver, "private-later", 2), timeout=20)
    assert sorted(receiver.names("private-later")) == ["channel_occupied", "channel_vacated"]
    for hook in receiver.hooks:
        verified(hook)


async def test_events_wait_in_jetstream_across_a_restart_of_realtime(
    receiver: Receiver, start_realtime: StartRealtime, auth: AuthEndpoint, clients: Any
) -> None:
    first = await start_realtime()
    alice = await joined(clients, first, auth, "alice", "private", "restart")
    await alice.send("disconnect")

    async def refused() -> bool:
        return await first.metric("pusher_webhook_deliveries_total") >= 1

    await eventually(refused, timeout=20)
    await first.stop()
    await receiver.start()
    await start_realtime()

    # A message in flight when the first instance stopped comes back after its ack_wait (30 s).
    await eventually(lambda: arrived(receiver, "private-restart", 2), timeout=45)
    assert sorted(receiver.names("private-restart")) == ["channel_occupied", "channel_vacated"]
