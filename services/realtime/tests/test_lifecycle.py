"""Lifecycle facts: published to REALTIME_EVENTS as the checked-in contracts say, with a grace
that hides quick reconnects; and `Listeners`, which lets fan-out and the publisher both hear."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import orjson
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import SecretStr

from contracts.realtime import REALTIME_EVENTS
from realtime.bootstrap import start
from realtime.lifecycle import LifecyclePublisher, Listeners
from realtime.settings import AppSettings, RealtimeSettings
from testkit.contracts import assert_valid
from testkit.echo import EchoClient, matching
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.pusher_auth import AuthEndpoint
from testkit.waiting import eventually

APP_ID, KEY, SECRET = "1001", "life-key", "life-secret"

# -- unit: the grace, against a fake JetStream ---------------------------------------------


class FakeJetStream:
    """Records (subject, payload, headers); refuses the first `refusals` publishes."""

    def __init__(self, refusals: int = 0) -> None:
        self.published: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.refusals = refusals

    async def publish(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        if self.refusals > 0:
            self.refusals -= 1
            raise ConnectionError("NATS is away")
        self.published.append((subject, orjson.loads(payload), headers))

    def facts(self) -> list[tuple[str, ...]]:
        """(subject tail, channel[, user]) of each publish, in order."""
        facts = []
        for subject, payload, _ in self.published:
            fact: tuple[str, ...] = (subject.removeprefix("realtime.events."), payload["channel"])
            if payload.get("user_id") is not None:
                fact += (payload["user_id"],)
            facts.append(fact)
        return facts


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeJetStream, LifecyclePublisher]]:
    js = FakeJetStream()
    publisher = LifecyclePublisher(cast(JetStreamContext, js), grace=0.2)
    publisher.start()
    yield js, publisher
    await publisher.close(timeout=1)


async def published(js: FakeJetStream, count: int) -> list[tuple[str, ...]]:
    async def enough() -> bool:
        return len(js.published) >= count

    await eventually(enough, timeout=5)
    return js.facts()


async def test_a_channel_back_within_the_grace_publishes_nothing_more(
    fake: tuple[FakeJetStream, LifecyclePublisher],
) -> None:
    js, lifecycle = fake
    lifecycle.channel_occupied("a", "c")
    lifecycle.channel_vacated("a", "c")
    lifecycle.channel_occupied("a", "c")
    lifecycle.channel_vacated("a", "c")  # and now for good

    # The last vacated is held for the grace; anything the first pair published came before it.
    assert await published(js, 2) == [("channel.occupied", "c"), ("channel.vacated", "c")]


async def test_a_member_back_within_the_grace_publishes_nothing_and_held_facts_keep_order(
    fake: tuple[FakeJetStream, LifecyclePublisher],
) -> None:
    js, lifecycle = fake
    lifecycle.channel_occupied("a", "p")
    lifecycle.member_added("a", "p", "alice")
    lifecycle.member_removed("a", "p", "alice")
    lifecycle.member_added("a", "p", "alice")  # a reload
    lifecycle.member_added("a", "p", "bob")
    lifecycle.member_removed("a", "p", "bob")
    lifecycle.member_removed("a", "p", "alice")
    lifecycle.channel_vacated("a", "p")

    assert await published(js, 6) == [
        ("channel.occupied", "p"),
        ("member.added", "p", "alice"),
        ("member.added", "p", "bob"),
        ("member.removed", "p", "bob"),
        ("member.removed", "p", "alice"),
        ("channel.vacated", "p"),
    ]
    for subject, payload, headers in js.published:
        assert headers["Nats-Msg-Id"] == payload["event_id"]
        assert_valid(payload, subject)


async def test_close_releases_held_facts_and_publishing_waits_out_a_nats_outage() -> None:
    js = FakeJetStream(refusals=2)
    lifecycle = LifecyclePublisher(cast(JetStreamContext, js), grace=60)
    lifecycle.start()
    lifecycle.channel_occupied("a", "c")
    lifecycle.client_event("a", "c", "client-x", "{}", "1.2", None)
    lifecycle.channel_vacated("a", "c")

    await lifecycle.close(timeout=5)

    assert js.facts() == [
        ("channel.occupied", "c"),
        ("client_event.triggered", "c"),
        ("channel.vacated", "c"),
    ]


async def test_listeners_all_hear_every_callback_and_one_failing_spares_the_others() -> None:
    heard: list[str] = []

    class Sync:
        def __getattr__(self, name: str) -> Any:
            return lambda *args: heard.append(f"sync {name}")

    class Async:
        def __getattr__(self, name: str) -> Any:
            async def call(*args: object) -> None:
                heard.append(f"async {name}")
                if name == "member_added":
                    raise RuntimeError("boom")

            return call

    listeners = Listeners(cast(Any, Sync()), cast(Any, Async()), cast(Any, Async()))
    calls = [
        listeners.channel_occupied("a", "c"),
        listeners.member_added("a", "c", "u"),
        listeners.member_removed("a", "c", "u"),
        listeners.client_event("a", "c", "client-x", "{}", "1.2", None),
        listeners.channel_vacated("a", "c"),
    ]
    for call in calls:
        assert call is not None
        await call
    for name in ("channel_occupied", "member_added", "member_removed", "client_event"):
        assert heard.count(f"sync {name}") == 1 and heard.count(f"async {name}") == 2
    assert Listeners(cast(Any, Sync())).channel_occupied("a", "c") is None


# -- integration: real pusher-js clients, real nats-server ---------------------------------


@pytest.fixture
async def realtime_port(nats_server: NatsServer) -> AsyncIterator[int]:
    port = free_port()
    app = AppSettings(id=APP_ID, key=KEY, secret=SecretStr(SECRET), enable_client_messages=True)
    settings = RealtimeSettings(
        nats_url=nats_server.url,
        port=port,
        apps=[app],
        live_app_id=APP_ID,
        lifecycle_grace_seconds=0.1,
    )
    running = await start(settings)
    yield port
    await running.stop()


async def test_lifecycle_facts_are_on_realtime_events_subjects_as_the_contracts_say(
    realtime_port: int, nc: Client
) -> None:
    seen: list[Msg] = []

    async def collect(msg: Msg) -> None:
        seen.append(msg)

    await nc.subscribe("realtime.events.>", cb=collect)
    clients: list[EchoClient] = []
    async with AuthEndpoint(APP_ID, KEY, SECRET) as auth:
        try:
            for user in ("alice", "bob"):
                client = await EchoClient.start(user)
                clients.append(client)
                await client.connect(realtime_port, KEY, auth=auth, user_id=user)
                await client.subscribe("join", "team", whispers=["typing"])
                await client.wait_for(matching(type="subscribed"))
            await clients[0].send("whisper", kind="join", name="team", event="typing", data={})
            await clients[1].wait_for(matching(type="whisper"))
            for client in clients:
                await client.send("disconnect")

            async def all_there() -> bool:
                return len(seen) >= 7

            await eventually(all_there, timeout=10)
        finally:
            for client in clients:
                await client.close()

    assert [msg.subject.removeprefix("realtime.events.") for msg in seen] == [
        "channel.occupied",
        "member.added",
        "member.added",
        "client_event.triggered",
        "member.removed",
        "member.removed",
        "channel.vacated",
    ]
    for msg in seen:
        payload = orjson.loads(msg.data)
        assert_valid(payload, msg.subject)
        assert payload["app_id"] == APP_ID and payload["channel"] == "presence-team"
        assert (msg.headers or {})["Nats-Msg-Id"] == payload["event_id"]
    stream = await nc.jetstream().stream_info(REALTIME_EVENTS.name)
    assert stream.state.messages == 7
