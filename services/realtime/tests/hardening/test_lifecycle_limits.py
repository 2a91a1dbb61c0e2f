"""Lifecycle facts waiting for NATS are bounded (issue 11, finding 10): past the limit the
oldest give way to the newest, counted in /metrics, and what is kept goes out once NATS takes
facts again."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import orjson
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.realtime import REALTIME_EVENTS, ClientEventTriggered
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

from .protocol_wire import Frame, StartRealtime, app_settings, event_is, realtime_factory

CHANNEL = "private-chat.1"
SENT = 8  # within one second's client event allowance (10)
KEPT = 3


@pytest.fixture
async def start_realtime(nats_server: NatsServer) -> AsyncIterator[StartRealtime]:
    async with realtime_factory(nats_server) as start:
        yield start


async def client_events_in_stream(js: JetStreamContext) -> list[int]:
    """The `n` of every client event the stream holds, in order."""
    state = (await js.stream_info(REALTIME_EVENTS.name)).state
    found = []
    for seq in range(state.first_seq, state.last_seq + 1):
        msg = await js.get_msg(REALTIME_EVENTS.name, seq)
        if msg.subject == ClientEventTriggered.subject:
            found.append(orjson.loads(orjson.loads(msg.data or b"{}")["data"])["n"])
    return found


def whisper(n: int) -> Callable[[Frame], bool]:
    return lambda f: f["event"] == "client-typing" and f["data"] == {"n": n}


def dropped(metrics: str) -> float:
    found = re.search(r"^realtime_lifecycle_dropped_total (\S+)$", metrics, re.MULTILINE)
    assert found, "no realtime_lifecycle_dropped_total in /metrics"
    return float(found.group(1))


async def test_facts_beyond_the_limit_drop_the_oldest_while_jetstream_refuses_them(
    start_realtime: StartRealtime, nc: Client
) -> None:
    realtime = await start_realtime(
        apps=[app_settings(enable_client_messages=True)], lifecycle_max_queued=KEPT
    )
    js = nc.jetstream()
    async with realtime.client() as alice, realtime.client() as bob:
        for client in (alice, bob):
            await client.subscribe(CHANNEL)
            await client.next(event_is("pusher_internal:subscription_succeeded", CHANNEL))

        async def occupied_is_out() -> bool:
            return (await js.stream_info(REALTIME_EVENTS.name)).state.messages >= 1

        await eventually(occupied_is_out)
        # The stream away: every publish of a fact is refused until it is back.
        stream = await js.stream_info(REALTIME_EVENTS.name)
        await js.delete_stream(REALTIME_EVENTS.name)
        for n in range(SENT):
            await alice.send("client-typing", {"n": n}, CHANNEL)
        for n in range(SENT):
            await bob.next(whisper(n))
        lost = dropped(await realtime.metrics())
        # One fact is with the publisher (retrying), KEPT wait; the rest were dropped.
        assert SENT - KEPT - 1 <= lost <= SENT - KEPT

        await js.add_stream(stream.config)

        async def all_kept_out() -> list[int]:
            kept = await client_events_in_stream(js)
            return kept if len(kept) >= SENT - lost else []

        published = await eventually(all_kept_out, timeout=20)

    assert published[-KEPT:] == list(range(SENT - KEPT, SENT))  # the newest, in order
    assert len(published) == SENT - lost
    assert [f for f in alice.read if f["event"] == "pusher:error"] == []
