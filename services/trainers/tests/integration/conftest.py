"""Integration fixtures: the trainers service started by its own `bootstrap`, on a real
nats-server and on SQLite and PostgreSQL; tests talk to it only through NATS (requests, and
identity's events published to JetStream as the gateway's outbox relay does). The trainer's-day
tests also run the REAL bookings service, on its own database of the same kind."""

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from bookings.bootstrap import SERVICE as BOOKINGS
from bookings.bootstrap import start as start_bookings
from bookings.settings import BookingsSettings
from contracts.catalogue import event_for
from contracts.envelope import Actor, Event, Role
from contracts.errors import ServiceError
from contracts.identity import IDENTITY_EVENTS, UserCreated
from contracts.trainers import TRAINERS_EVENTS, GetMyTrainerProfile, TrainerDetails
from messaging.codec import decode, encode
from messaging.requests import request
from runtime.process import Running
from runtime.service import migrate
from testkit.conftest_plugin import DatabaseFor
from testkit.nats_server import NatsServer
from testkit.waiting import eventually
from trainers.bootstrap import SERVICE, start
from trainers.consumers.identity import DURABLE
from trainers.settings import TrainersSettings

PARENT = Actor(user_id=10, role=Role.parent, name="Pat Parent")
OTHER_PARENT = Actor(user_id=11, role=Role.parent, name="Olive Other")
TRAINER = Actor(user_id=20, role=Role.trainer, name="Tom Trainer")
OTHER_TRAINER = Actor(user_id=21, role=Role.trainer, name="Olga Other")
ADMIN = Actor(user_id=1, role=Role.admin, name="Ada Admin")


@pytest.fixture
async def trainers(nats_server: NatsServer, database_url: str) -> AsyncIterator[Running]:
    await migrate(SERVICE, database_url)
    settings = TrainersSettings.model_validate(
        {"nats_url": nats_server.url, "database_url": database_url}
    )
    running = await start(settings)
    yield running
    await running.stop()


@pytest.fixture
async def bookings_url(database_for: DatabaseFor) -> str:
    """Bookings' own database, of the same kind as trainers', migrated."""
    url = await database_for("bookings")
    await migrate(BOOKINGS, url)
    return url


async def run_bookings(nats_server: NatsServer, url: str) -> Running:
    settings = BookingsSettings.model_validate({"NATS_URL": nats_server.url, "database_url": url})
    return await start_bookings(settings)


@pytest.fixture
async def bookings(nats_server: NatsServer, bookings_url: str) -> AsyncIterator[Running]:
    """The real bookings service, which trainers asks about sessions."""
    running = await run_bookings(nats_server, bookings_url)
    yield running
    await running.stop()


@pytest.fixture
def js(nc: Client, trainers: Running) -> JetStreamContext:
    return nc.jetstream()


def user_created(actor: Actor) -> UserCreated:
    return UserCreated(
        user_id=actor.user_id,
        email=f"user{actor.user_id}@example.com",
        name=actor.name,
        role=actor.role,
    )


async def publish(js: JetStreamContext, event: Event, msg_id: str | None = None) -> None:
    """Publish as the outbox relay does: `Nats-Msg-Id` is the event id unless told otherwise."""
    headers = {"Nats-Msg-Id": msg_id or str(event.event_id)}
    await js.publish(event.subject, encode(event), headers=headers)


async def profiles_settled(js: JetStreamContext) -> bool:
    """The profile consumer has handled and acknowledged everything published so far."""
    info = await js.consumer_info(IDENTITY_EVENTS.name, DURABLE)
    return bool(info.num_pending == 0 and info.num_ack_pending == 0)


async def profile_of(nc: Client, actor: Actor) -> TrainerDetails:
    """Wait until `actor` has a trainer profile; return it."""

    async def found() -> TrainerDetails | None:
        try:
            return await request(nc, GetMyTrainerProfile(actor=actor))
        except ServiceError:
            return None

    profile = await eventually(found)
    assert profile is not None
    return profile


@pytest.fixture
async def trainer_ids(nc: Client, js: JetStreamContext) -> dict[int, int]:
    """Profiles for TRAINER and OTHER_TRAINER, made from their `UserCreated`; trainer id by
    user id."""
    for actor in (TRAINER, OTHER_TRAINER):
        await publish(js, user_created(actor))
    return {actor.user_id: (await profile_of(nc, actor)).id for actor in (TRAINER, OTHER_TRAINER)}


async def stream_events(js: JetStreamContext) -> list[RawStreamMsg]:
    """Every message on TRAINERS_EVENTS so far, oldest first."""
    state = (await js.stream_info(TRAINERS_EVENTS.name)).state
    if not state.messages:
        return []
    return [
        await js.get_msg(TRAINERS_EVENTS.name, seq)
        for seq in range(state.first_seq, state.last_seq + 1)
    ]


async def events_after(js: JetStreamContext, count: int, timeout: float = 10) -> list[RawStreamMsg]:
    """Wait until the stream holds at least `count` events; return them all."""

    async def enough() -> list[RawStreamMsg]:
        found = await stream_events(js)
        return found if len(found) >= count else []

    return await eventually(enough, timeout)


def typed(msg: RawStreamMsg) -> Event:
    """The stream message as the event contract its subject names."""
    contract = event_for(msg.subject or "")
    assert contract is not None, msg.subject
    return decode(contract, msg.data or b"")
