"""Integration fixtures: the bookings service started by its own `bootstrap`, on a real
nats-server and on SQLite and PostgreSQL; tests talk to it only through NATS."""

from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from bookings.bootstrap import SERVICE, start
from bookings.settings import BookingsSettings
from contracts.bookings import BOOKINGS_EVENTS
from contracts.envelope import Actor, Role
from runtime.process import Running
from runtime.service import migrate
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

PARENT = Actor(user_id=10, role=Role.parent, name="Pat Parent")
OTHER_PARENT = Actor(user_id=11, role=Role.parent, name="Olive Other")
TRAINER = Actor(user_id=20, role=Role.trainer, name="Tom Trainer")
ADMIN = Actor(user_id=1, role=Role.admin, name="Ada Admin")


@pytest.fixture
async def bookings(nats_server: NatsServer, database_url: str) -> AsyncIterator[Running]:
    await migrate(SERVICE, database_url)
    running = await start(BookingsSettings(nats_url=nats_server.url, database_url=database_url))
    yield running
    await running.stop()


@pytest.fixture
def js(nc: object, bookings: Running) -> JetStreamContext:
    return nc.jetstream()  # type: ignore[attr-defined, no-any-return]


async def stream_events(js: JetStreamContext) -> list[RawStreamMsg]:
    """Every message on BOOKINGS_EVENTS so far, oldest first."""
    state = (await js.stream_info(BOOKINGS_EVENTS.name)).state
    if not state.messages:
        return []
    return [
        await js.get_msg(BOOKINGS_EVENTS.name, seq)
        for seq in range(state.first_seq, state.last_seq + 1)
    ]


async def events_after(js: JetStreamContext, count: int, timeout: float = 10) -> list[RawStreamMsg]:
    """Wait until the stream holds at least `count` events; return them all."""

    async def enough() -> list[RawStreamMsg]:
        found = await stream_events(js)
        return found if len(found) >= count else []

    return await eventually(enough, timeout)
