"""The NATS side every service wires the same way: connect, streams, outbox relay."""

from dataclasses import dataclass

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from messaging.connection import connect
from messaging.db import make_engine
from messaging.outbox import OutboxRelay
from messaging.runtime import Running
from messaging.streams import ensure_streams
from messaging.unit_of_work import UnitOfWork


@dataclass
class Wired:
    nc: Client
    js: JetStreamContext
    engine: AsyncEngine
    relay: OutboxRelay
    uow: UnitOfWork


async def wire(running: Running, nats_url: str, database_url: str) -> Wired:
    """Connect to NATS and the database; start the outbox relay under `running`."""
    nc = await connect(nats_url, running.name)
    running.closers.append(nc.drain)
    js = nc.jetstream()
    await ensure_streams(js)
    engine = make_engine(database_url)
    running.closers.append(engine.dispose)
    relay = OutboxRelay(engine, js)
    running.spawn(relay.run(), "outbox-relay", stop=relay.stop)
    return Wired(nc=nc, js=js, engine=engine, relay=relay, uow=UnitOfWork(engine, relay.wake))
