"""The infrastructure every service wires the same way: NATS (connection, streams), and for a
service with a database, its engine and the outbox relay that publishes what it commits, and
for one that serves requests, the ids of those it applied."""

from collections.abc import Collection
from dataclasses import dataclass

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.streams import StreamSpec
from database.engine import make_engine
from database.processed_requests import ProcessedRequests, ProcessedRequestSettings, PruneJob
from messaging.connection import BusState, Credentials, close, connect
from messaging.jetstream_start import patiently
from messaging.outbox_relay import OutboxRelay
from messaging.streams import ensure_streams
from runtime.process import Running
from runtime.settings import NatsLogin, OutboxRetentionSettings, StreamLimitSettings


@dataclass
class Nats:
    nc: Client
    js: JetStreamContext
    # Whether the bus is up, and listeners for when it goes and comes back (`on_reconnected`).
    bus: BusState


@dataclass
class Database:
    engine: AsyncEngine
    # A unit of work hands the rows of each commit to `relay.committed`: they go out at once.
    relay: OutboxRelay


async def connect_nats(
    running: Running,
    nats_url: str,
    credentials: Credentials | None = None,
    keeps: Collection[StreamSpec] = (),
) -> Nats:
    """Connect (waiting for NATS if it is not there yet, reconnecting forever after) and make
    sure every contract stream exists, with the limits of the settings for those the service
    `keeps` (the streams it publishes into). Without `credentials`, as NATS_USER/NATS_PASSWORD
    say."""
    bus = BusState()
    login = credentials or NatsLogin().nats_credentials()
    nc = await connect(nats_url, running.name, credentials=login, bus=bus)
    running.closers.append(lambda: close(nc))
    js = nc.jetstream()
    limits = StreamLimitSettings().limits()
    await patiently(lambda: ensure_streams(js, limits=limits, keeps=keeps), "contract streams")
    return Nats(nc, js, bus)


def open_database(running: Running, database_url: str, js: JetStreamContext) -> Database:
    """The engine, and the outbox relay running under `running` until stop."""
    engine = make_engine(database_url)
    running.closers.append(engine.dispose)
    relay = OutboxRelay(engine, js, retention=OutboxRetentionSettings().retention())
    running.spawn(relay.run(), "outbox-relay", stop=relay.stop)
    return Database(engine, relay)


def keep_processed_requests(
    running: Running, database: Database, env_prefix: str
) -> ProcessedRequests:
    """The ids of the requests this service applied, with their answers (for `serve`), and
    their pruning under `running`; settings under the service's own prefix."""
    processed = ProcessedRequests(database.engine, ProcessedRequestSettings(_env_prefix=env_prefix))
    pruning = PruneJob(processed)
    running.spawn(pruning.run(), "processed-requests-pruning", stop=pruning.stop)
    return processed
