"""The infrastructure every service wires the same way: NATS (connection, streams), and for a
service with a database, its engine and the outbox relay that publishes what it commits."""

from dataclasses import dataclass

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from database.engine import make_engine
from messaging.connection import connect
from messaging.outbox_relay import OutboxRelay
from messaging.streams import ensure_streams
from runtime.process import Running


@dataclass
class Nats:
    nc: Client
    js: JetStreamContext


@dataclass
class Database:
    engine: AsyncEngine
    # A unit of work calls `relay.wake` after each commit, so events go out without a poll wait.
    relay: OutboxRelay


async def connect_nats(running: Running, nats_url: str) -> Nats:
    """Connect (reconnecting forever) and make sure every contract stream exists."""
    nc = await connect(nats_url, running.name)
    running.closers.append(nc.drain)
    js = nc.jetstream()
    await ensure_streams(js)
    return Nats(nc, js)


def open_database(running: Running, database_url: str, js: JetStreamContext) -> Database:
    """The engine, and the outbox relay running under `running` until stop."""
    engine = make_engine(database_url)
    running.closers.append(engine.dispose)
    relay = OutboxRelay(engine, js)
    running.spawn(relay.run(), "outbox-relay", stop=relay.stop)
    return Database(engine, relay)
