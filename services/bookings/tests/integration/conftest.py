"""Integration fixtures: the bookings service started by its own `bootstrap`, on a real
nats-server and on SQLite and PostgreSQL; tests talk to it only through NATS."""

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from bookings.bootstrap import SERVICE, start
from bookings.settings import BookingsSettings
from contracts.bookings import BOOKINGS_EVENTS
from contracts.catalogue import event_for
from contracts.envelope import Actor, Event, Role
from messaging.codec import decode
from runtime.process import Running
from runtime.service import migrate
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

from .trainers_stub import StubTrainers

PARENT = Actor(user_id=10, role=Role.parent, name="Pat Parent")
OTHER_PARENT = Actor(user_id=11, role=Role.parent, name="Olive Other")
TRAINER = Actor(user_id=20, role=Role.trainer, name="Tom Trainer")
OTHER_TRAINER = Actor(user_id=21, role=Role.trainer, name="Tess Trainer")
ADMIN = Actor(user_id=1, role=Role.admin, name="Ada Admin")

# Trainer profile ids the stub trainers service answers for.
TOM, TESS = 7, 8
DECLINED = Decimal("13.13")


def settings(nats_server: NatsServer, database_url: str) -> BookingsSettings:
    return BookingsSettings(
        NATS_URL=nats_server.url, database_url=database_url, payments_decline_amounts=[DECLINED]
    )


@pytest.fixture
async def bookings(
    nats_server: NatsServer, database_url: str, nc: Client
) -> AsyncIterator[Running]:
    await migrate(SERVICE, database_url)
    running = await start(settings(nats_server, database_url))

    async def answers() -> bool:
        # Seen by the test's own connection too: under load the first request after start has
        # found no responders (a PostgreSQL run, about one in four when run alone; cause open).
        return bool((await nc.request("$SRV.PING.bookings", b"", timeout=1)).data)

    await eventually(answers, timeout=10)
    yield running
    await running.stop()


@pytest.fixture
async def trainers(nc: Client) -> AsyncIterator[StubTrainers]:
    """A stand-in trainers service that answers CheckAssignable for Tom and Tess."""
    stub = StubTrainers()
    stub.add(TOM, TRAINER)
    stub.add(TESS, OTHER_TRAINER)
    await stub.start(nc)
    yield stub
    await stub.stop()


@pytest.fixture
def js(nc: object, bookings: Running) -> JetStreamContext:
    return nc.jetstream()  # type: ignore[attr-defined, no-any-return]


async def stream_events(
    js: JetStreamContext, stream: str = BOOKINGS_EVENTS.name
) -> list[RawStreamMsg]:
    """Every message on `stream` so far, oldest first."""
    state = (await js.stream_info(stream)).state
    if not state.messages:
        return []
    return [await js.get_msg(stream, seq) for seq in range(state.first_seq, state.last_seq + 1)]


async def events_after(
    js: JetStreamContext, count: int, timeout: float = 10, stream: str = BOOKINGS_EVENTS.name
) -> list[RawStreamMsg]:
    """Wait until the stream holds at least `count` events; return them all."""

    async def enough() -> list[RawStreamMsg]:
        found = await stream_events(js, stream)
        return found if len(found) >= count else []

    return await eventually(enough, timeout)


def typed(msg: RawStreamMsg) -> Event:
    """The stream message as the event contract its subject names."""
    contract = event_for(msg.subject or "")
    assert contract is not None, msg.subject
    return decode(contract, msg.data or b"")
