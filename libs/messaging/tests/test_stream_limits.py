"""Integration: every stream is bounded in size and age on a real nats-server; a full event
stream refuses the publish and the outbox keeps the row until there is room (issue 11, finding
10: unbounded growth)."""

import asyncio
from functools import partial

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StreamConfig
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.bookings import BOOKINGS_EVENTS
from contracts.catalogue import STREAMS
from contracts.realtime import REALTIME_EVENTS
from contracts.streams import DEAD_LETTERS
from database.unit_of_work import SqlUnitOfWork as UnitOfWork
from messaging.outbox_relay import OutboxRelay
from messaging.streams import StreamLimits, ensure_streams
from runtime.settings import StreamLimitSettings
from testkit.waiting import eventually

from .test_outbox import create_widgets, event_ids_in_stream, unpublished

_DAY = 24 * 3600


@pytest.fixture
def bare_js(nc: Client) -> JetStreamContext:
    """JetStream with no stream made yet."""
    return nc.jetstream()


async def test_every_stream_has_a_size_and_an_age_and_only_dead_letters_drop_old(
    js: JetStreamContext,
) -> None:
    # `js` has run ensure_streams with the defaults; a second run changes nothing.
    await ensure_streams(js)
    defaults = StreamLimits()
    for spec in STREAMS:
        config = (await js.stream_info(spec.name)).config
        assert config.max_bytes and config.max_bytes > 0, spec.name
        assert config.max_age and config.max_age > 0, spec.name
        if spec == DEAD_LETTERS:
            assert config.discard == DiscardPolicy.OLD
            assert config.max_bytes == defaults.dead_letter_max_bytes
            assert config.max_age == defaults.dead_letter_max_age_seconds
        else:
            assert config.discard == DiscardPolicy.NEW, "a full event stream refuses, loses none"
            assert config.max_bytes == defaults.max_bytes
    realtime = (await js.stream_info(REALTIME_EVENTS.name)).config
    assert realtime.max_age == 7 * _DAY, "a stream's own shorter age stays"
    bookings = (await js.stream_info(BOOKINGS_EVENTS.name)).config
    assert bookings.max_age == defaults.max_age_seconds


async def test_streams_created_by_the_old_code_take_the_limits_and_keep_their_messages(
    bare_js: JetStreamContext,
) -> None:
    js = bare_js
    # As the code before the limits created them: no size, no age, discard old.
    for spec in STREAMS:
        await js.add_stream(
            StreamConfig(name=spec.name, subjects=list(spec.subjects), duplicate_window=_DAY)
        )
    await js.publish("bookings.events.child.created", b"{}", headers={"Nats-Msg-Id": "kept"})

    limits = StreamLimits(max_bytes=10 * 1024**2, max_age_seconds=2 * _DAY)
    await ensure_streams(js, limits=limits)

    bookings = await js.stream_info(BOOKINGS_EVENTS.name)
    assert bookings.config.max_bytes == 10 * 1024**2
    assert bookings.config.max_age == 2 * _DAY
    assert bookings.config.discard == DiscardPolicy.NEW
    assert bookings.state.messages == 1, "updating the limits lost nothing"
    dead = (await js.stream_info(DEAD_LETTERS.name)).config
    assert (dead.discard, dead.max_bytes) == (DiscardPolicy.OLD, limits.dead_letter_max_bytes)


async def test_a_start_brings_only_the_streams_it_keeps_to_its_limits(
    bare_js: JetStreamContext,
) -> None:
    js = bare_js
    await ensure_streams(js, limits=StreamLimits(max_bytes=64 * 1024 * 1024))
    # Another service's start, with other limits: it keeps only the bookings stream.
    other = StreamLimits(max_bytes=96 * 1024 * 1024)
    await ensure_streams(js, limits=other, keeps=(BOOKINGS_EVENTS,))
    assert (await js.stream_info(BOOKINGS_EVENTS.name)).config.max_bytes == other.max_bytes
    kept_elsewhere = (await js.stream_info(REALTIME_EVENTS.name)).config
    assert kept_elsewhere.max_bytes == 64 * 1024 * 1024
    # A stream that is missing is made by any start, with that start's limits.
    await js.delete_stream(REALTIME_EVENTS.name)
    await ensure_streams(js, limits=other, keeps=(BOOKINGS_EVENTS,))
    assert (await js.stream_info(REALTIME_EVENTS.name)).config.max_bytes == other.max_bytes


async def test_a_full_stream_refuses_and_the_outbox_keeps_the_rows_until_there_is_room(
    engine: AsyncEngine, bare_js: JetStreamContext
) -> None:
    js = bare_js
    # Room for about three of these events (each ~400 bytes with its headers).
    await ensure_streams(js, (BOOKINGS_EVENTS,), StreamLimits(max_bytes=1500))
    relay = OutboxRelay(engine, js, poll_seconds=0.05)
    events = await create_widgets(UnitOfWork(engine, relay.committed), [f"w{i}" for i in range(8)])
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: settled(js, engine), timeout=20)
        first = await event_ids_in_stream(js)
        assert 0 < len(first) < len(events)
        seen = list(first)
        # Room is made (a person purges after the consumers caught up): the rest go out.
        while len(seen) < len(events):
            await js.purge_stream(BOOKINGS_EVENTS.name)
            await eventually(partial(settled, js, engine, len(seen)), timeout=20)
            seen += await event_ids_in_stream(js)
        await eventually(lambda: none_unpublished(engine), timeout=20)
        staged = [str(e.event_id) for e in events]
        assert seen == staged, "every committed event went out once, in order"
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


async def settled(js: JetStreamContext, engine: AsyncEngine, out_before: int = 0) -> bool:
    """The relay went as far as the room allows: the stream holds some, and the outbox counts
    exactly the rest as unpublished (a batch is marked once it ends)."""
    in_stream = (await js.stream_info(BOOKINGS_EVENTS.name)).state.messages
    return in_stream > 0 and await unpublished(engine) == 8 - out_before - in_stream


async def none_unpublished(engine: AsyncEngine) -> bool:
    return await unpublished(engine) == 0


async def test_the_limits_are_read_from_cams_variables(
    bare_js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMS_STREAM_MAX_BYTES", str(5 * 1024**2))
    monkeypatch.setenv("CAMS_STREAM_MAX_AGE_SECONDS", str(3 * _DAY))
    monkeypatch.setenv("CAMS_DEAD_LETTER_MAX_AGE_SECONDS", str(10 * _DAY))

    await ensure_streams(bare_js, limits=StreamLimitSettings().limits())

    bookings = (await bare_js.stream_info(BOOKINGS_EVENTS.name)).config
    assert (bookings.max_bytes, bookings.max_age) == (5 * 1024**2, 3 * _DAY)
    assert (await bare_js.stream_info(DEAD_LETTERS.name)).config.max_age == 10 * _DAY


def test_an_age_shorter_than_the_duplicate_window_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAMS_STREAM_MAX_AGE_SECONDS", "3600")
    with pytest.raises(ValidationError, match="CAMS_STREAM_MAX_AGE_SECONDS"):
        StreamLimitSettings()
