"""Integration fixtures for the messaging lib: a database with a demo table and the outbox,
JetStream with the contracts' streams, and an in-memory span exporter."""

from collections.abc import AsyncIterator, Iterator

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel

from database.engine import create_tables, make_engine
from database.inbox import InboxEntry
from database.outbox import OutboxMessage
from messaging.streams import ensure_streams


class Widget(SQLModel, table=True):
    """A stand-in domain row, committed (or not) together with its outbox events."""

    __tablename__ = "messaging_test_widgets"

    id: int | None = Field(default=None, primary_key=True)
    name: str


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    tables = [Widget.__table__, OutboxMessage.__table__, InboxEntry.__table__]  # type: ignore[attr-defined]
    await create_tables(engine, tables)
    yield engine
    await engine.dispose()


@pytest.fixture
async def js(nc: Client) -> JetStreamContext:
    context = nc.jetstream()
    await ensure_streams(context)
    return context


_EXPORTER = InMemorySpanExporter()


def _install_exporter() -> None:
    # The global provider can be set only once per process; reuse an SDK one if already set.
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    if not getattr(provider, "_cams_test_exporter", False):
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        provider._cams_test_exporter = True  # type: ignore[attr-defined]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _install_exporter()
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()
