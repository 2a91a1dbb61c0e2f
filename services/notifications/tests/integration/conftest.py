"""Integration fixtures: the notifications service started by its own `bootstrap`, on a real
nats-server and on SQLite and PostgreSQL; tests talk to it only through NATS (requests, and
source events published to JetStream as the producers' outbox relays do)."""

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from contracts.catalogue import event_for
from contracts.envelope import Actor, Event, Role
from contracts.identity import IDENTITY_EVENTS, UserCreated
from contracts.notifications import NOTIFICATIONS_EVENTS, CountUnread
from messaging.codec import decode, encode
from messaging.requests import request
from notifications.bootstrap import SERVICE, start
from notifications.consumers.events import DURABLE as CONSUMER
from notifications.settings import NotificationsSettings
from runtime.process import Running
from runtime.service import migrate
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

PARENT = Actor(user_id=10, role=Role.parent, name="Pat Parent")
OTHER_PARENT = Actor(user_id=11, role=Role.parent, name="Olive Other")
TRAINER = Actor(user_id=20, role=Role.trainer, name="Tom Trainer")
ADMIN = Actor(user_id=1, role=Role.admin, name="Ada Admin")


def settings_for(nats_url: str, database_url: str) -> NotificationsSettings:
    return NotificationsSettings.model_validate(
        {
            "nats_url": nats_url,
            "database_url": database_url,
            "max_deliver": 2,
            "ack_wait_seconds": 2,
        }
    )


@pytest.fixture
async def migrated(database_url: str) -> str:
    await migrate(SERVICE, database_url)
    return database_url


@pytest.fixture
async def notifications(nats_server: NatsServer, migrated: str) -> AsyncIterator[Running]:
    running = await start(settings_for(nats_server.url, migrated))
    yield running
    await running.stop()


@pytest.fixture
def js(nc: Client, notifications: Running) -> JetStreamContext:
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


async def settled(js: JetStreamContext, stream: str, durable: str) -> bool:
    """The consumer has handled and acknowledged everything published so far."""
    info = await js.consumer_info(stream, durable)
    return bool(info.num_pending == 0 and info.num_ack_pending == 0)


async def directory_has(js: JetStreamContext, *actors: Actor) -> None:
    """Publish the users' `UserCreated` and wait until the users directory has them."""
    for actor in actors:
        await publish(js, user_created(actor))
    await eventually(lambda: settled(js, IDENTITY_EVENTS.name, CONSUMER))


async def unread(nc: Client, actor: Actor) -> int:
    return (await request(nc, CountUnread(actor=actor))).count


async def emitted(js: JetStreamContext) -> list[RawStreamMsg]:
    """Every message on NOTIFICATIONS_EVENTS so far, oldest first."""
    state = (await js.stream_info(NOTIFICATIONS_EVENTS.name)).state
    if not state.messages:
        return []
    return [
        await js.get_msg(NOTIFICATIONS_EVENTS.name, seq)
        for seq in range(state.first_seq, state.last_seq + 1)
    ]


def typed(msg: RawStreamMsg) -> Event:
    contract = event_for(msg.subject or "")
    assert contract is not None, msg.subject
    return decode(contract, msg.data or b"")
