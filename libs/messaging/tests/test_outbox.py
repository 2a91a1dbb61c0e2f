"""Integration: the transactional outbox and its relay, on SQLite and PostgreSQL."""

import asyncio
from collections.abc import Sequence

import orjson
import pytest
from nats.js import JetStreamContext
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.bookings import BOOKINGS_EVENTS, ChildCreated
from contracts.envelope import Event
from database.outbox import OutboxMessage
from database.unit_of_work import SqlUnitOfWork as UnitOfWork
from messaging import tracing
from messaging.codec import decode
from messaging.connection import connect
from messaging.consumer import DurableConsumer
from messaging.outbox_relay import OutboxRelay
from messaging.streams import ensure_streams
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

from .conftest import Widget


async def count(engine: AsyncEngine, table: type) -> int:
    async with AsyncSession(engine) as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


async def stream_messages(js: JetStreamContext) -> int:
    return int((await js.stream_info(BOOKINGS_EVENTS.name)).state.messages)


async def stream_holds(js: JetStreamContext, expected: int) -> bool:
    return await stream_messages(js) == expected


async def create_widgets(uow: UnitOfWork, names: Sequence[str]) -> list[ChildCreated]:
    """One transaction per widget, each with the event that says it was created."""
    events = []
    for name in names:
        async with uow:
            widget = Widget(name=name)
            uow.session.add(widget)
            await uow.session.flush()
            assert widget.id is not None
            event = ChildCreated(child_id=widget.id, parent_id=1)
            uow.emit(event)
            await uow.commit()
        events.append(event)
    return events


async def event_ids_in_stream(js: JetStreamContext) -> list[str]:
    info = await js.stream_info(BOOKINGS_EVENTS.name)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(BOOKINGS_EVENTS.name, seq)
        found.append(str(decode(ChildCreated, msg.data or b"").event_id))
    return found


async def test_a_committed_transaction_stores_the_domain_row_and_its_event(
    engine: AsyncEngine,
) -> None:
    woken: list[bool] = []
    uow = UnitOfWork(engine, after_commit=lambda rows: woken.append(bool(rows)))

    [event] = await create_widgets(uow, ["a"])

    assert await count(engine, Widget) == 1
    async with AsyncSession(engine) as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert (row.event_id, row.subject) == (str(event.event_id), event.subject)
    assert row.published_at is None
    assert decode(ChildCreated, row.payload) == event
    assert woken == [True], "a commit wakes the relay"


async def test_a_rollback_leaves_neither_the_domain_row_nor_its_event(engine: AsyncEngine) -> None:
    woken: list[bool] = []
    uow = UnitOfWork(engine, after_commit=lambda rows: woken.append(bool(rows)))

    with pytest.raises(RuntimeError, match="handler failed"):
        async with uow:
            widget = Widget(name="doomed")
            uow.session.add(widget)
            await uow.session.flush()
            uow.emit(ChildCreated(child_id=widget.id or 0, parent_id=1))
            await uow.session.flush()
            raise RuntimeError("handler failed after staging")

    assert await count(engine, Widget) == 0
    assert await count(engine, OutboxMessage) == 0
    assert woken == [], "nothing committed, nothing to relay"


async def test_the_relay_publishes_each_event_with_its_id_as_nats_msg_id(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    events = await create_widgets(UnitOfWork(engine), ["a", "b", "c"])

    assert await OutboxRelay(engine, js).publish_pending() == 3

    assert await stream_messages(js) == 3
    for seq, event in enumerate(events, start=1):
        msg = await js.get_msg(BOOKINGS_EVENTS.name, seq)
        assert msg.subject == event.subject
        assert (msg.headers or {})["Nats-Msg-Id"] == str(event.event_id)
        assert decode(ChildCreated, msg.data or b"") == event
    assert await unpublished(engine) == 0


async def test_a_second_relay_run_and_a_repeated_publish_do_not_duplicate(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    await create_widgets(UnitOfWork(engine), ["a", "b"])
    assert await OutboxRelay(engine, js).publish_pending() == 2

    # Another relay (a second instance) finds nothing left to send.
    assert await OutboxRelay(engine, js).publish_pending() == 0
    # A crash between publishing and marking the row: the relay sends the same rows again ...
    async with AsyncSession(engine) as session:
        await session.exec(update(OutboxMessage).values(published_at=None))  # type: ignore[call-overload]
        await session.commit()
    assert await OutboxRelay(engine, js).publish_pending() == 2

    # ... and JetStream drops the repeats by Nats-Msg-Id.
    assert await stream_messages(js) == 2


async def test_writes_commit_while_nats_is_down_and_go_out_exactly_once_when_it_returns(
    engine: AsyncEngine, nats_server: NatsServer
) -> None:
    nc = await connect(nats_server.url, "outbox-test")  # reconnects forever, as services do
    js = nc.jetstream()
    await ensure_streams(js)
    relay = OutboxRelay(engine, js, poll_seconds=0.1)
    uow = UnitOfWork(engine, relay.committed)
    received: list[str] = []

    async def record(event: Event) -> None:
        received.append(str(event.event_id))

    consumer = DurableConsumer(js, BOOKINGS_EVENTS, "outage-watcher", record)
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        before = await create_widgets(uow, ["before"])
        await eventually(lambda: has_at_least(received, 1), timeout=10)
        await eventually(lambda: all_acknowledged(js, "outage-watcher"), timeout=10)

        nats_server.stop()
        during = await create_widgets(uow, [f"during-{i}" for i in range(5)])
        assert await count(engine, Widget) == 6, "writes commit while NATS is away"
        assert await unpublished(engine) == 5, "their events wait in the outbox"
        nats_server.start()

        await eventually(lambda: stream_holds(js, 6), timeout=30)
        after = await create_widgets(uow, ["after"])
        await eventually(lambda: stream_holds(js, 7), timeout=10)
        await eventually(lambda: has_at_least(received, 7), timeout=30)
        await eventually(lambda: all_acknowledged(js, "outage-watcher"), timeout=10)

        staged = sorted(str(e.event_id) for e in before + during + after)
        assert sorted(await event_ids_in_stream(js)) == staged, "none lost, none twice"
        assert sorted(received) == staged, "the consumer saw each event exactly once"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await nc.close()


async def unpublished(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        rows = await session.exec(
            select(OutboxMessage).where(col(OutboxMessage.published_at).is_(None))
        )
        return len(rows.all())


async def has_at_least(items: list[str], n: int) -> bool:
    return len(items) >= n


async def all_acknowledged(js: JetStreamContext, durable: str) -> bool:
    info = await js.consumer_info(BOOKINGS_EVENTS.name, durable)
    return info.num_ack_pending == 0 and info.num_pending == 0


async def test_stage_carries_the_current_trace_context_to_the_published_message(
    engine: AsyncEngine, js: JetStreamContext, spans: InMemorySpanExporter
) -> None:
    with tracing.tracer.start_as_current_span("a command") as span:
        await create_widgets(UnitOfWork(engine), ["traced"])
        trace_id = f"{span.get_span_context().trace_id:032x}"
    async with AsyncSession(engine) as session:
        stored = orjson.loads((await session.exec(select(OutboxMessage))).one().headers)
    assert trace_id in stored["traceparent"]

    await OutboxRelay(engine, js).publish_pending()

    msg = await js.get_msg(BOOKINGS_EVENTS.name, 1)
    assert trace_id in (msg.headers or {})["traceparent"]
