"""Integration: the relay publishes the rows a commit hands it without reading them back, marks
them in batches, and falls back to reading the table in order whenever it is not caught up."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from nats.js import JetStreamContext
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from database.unit_of_work import SqlUnitOfWork as UnitOfWork
from messaging.connection import connect
from messaging.outbox_relay import OutboxRelay
from messaging.streams import ensure_streams
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

from .test_outbox import create_widgets, event_ids_in_stream, stream_holds, unpublished

# Far longer than any test: a row that goes out went by the handed path, not a timed read.
NO_TIMED_READ = 600.0


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(relay.run())
    try:
        yield task
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


def none_unpublished(engine: AsyncEngine) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await unpublished(engine) == 0

    return check


async def test_a_handed_commit_goes_out_at_once_without_a_timed_read(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    relay = OutboxRelay(engine, js, poll_seconds=NO_TIMED_READ, mark_seconds=0.2)
    handing = UnitOfWork(engine, relay.committed)
    async with running(relay):
        await asyncio.sleep(0.2)  # the first read: nothing there
        first, second = await create_widgets(handing, ["first", "second"])
        await eventually(lambda: stream_holds(js, 2), timeout=5)
        await eventually(none_unpublished(engine), timeout=5)  # marked within mark_seconds

    assert await event_ids_in_stream(js) == [str(first.event_id), str(second.event_id)]


async def test_another_writers_earlier_row_goes_out_before_a_handed_one(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    """Two instances on one database: each relay is handed only its own commits, and the stream
    must still hold the events in commit order."""
    relay = OutboxRelay(engine, js, poll_seconds=NO_TIMED_READ, mark_seconds=0.2)
    handing = UnitOfWork(engine, relay.committed)
    async with running(relay):
        [first] = await create_widgets(handing, ["first"])
        await eventually(lambda: stream_holds(js, 1), timeout=5)

        # Another instance's commit: in the table, never handed to this relay.
        [other] = await create_widgets(UnitOfWork(engine), ["another instance's"])
        [handed] = await create_widgets(handing, ["handed"])

        await eventually(lambda: stream_holds(js, 3), timeout=5)
        await eventually(none_unpublished(engine), timeout=5)

    expected = [str(first.event_id), str(other.event_id), str(handed.event_id)]
    assert await event_ids_in_stream(js) == expected, "in commit order"


async def test_on_sqlite_commits_that_follow_the_last_row_go_out_without_a_read(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    """SQLite takes a row's id under its one write lock, so ids follow commit order: a handed
    row whose id follows the last one the relay accounted for leaves no room for another
    writer's row, and the relay does not look for one. PostgreSQL's ids are taken before commit:
    there the relay asks the table before each round of handed commits."""
    relay = OutboxRelay(engine, js, poll_seconds=NO_TIMED_READ, mark_seconds=NO_TIMED_READ)
    handing = UnitOfWork(engine, relay.committed)
    reads: list[str] = []

    def note_read(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "outbox" in statement:
            reads.append(statement)

    async with running(relay):
        await asyncio.sleep(0.2)  # the first read: nothing there
        first = await create_widgets(handing, ["first"])  # asked for: nothing accounted yet
        await eventually(lambda: stream_holds(js, 1), timeout=5)
        event.listen(engine.sync_engine, "before_cursor_execute", note_read)
        try:
            rest = await create_widgets(handing, [f"next-{i}" for i in range(5)])
            await eventually(lambda: stream_holds(js, 6), timeout=5)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", note_read)

    assert await event_ids_in_stream(js) == [str(e.event_id) for e in first + rest]
    if engine.dialect.name == "sqlite":
        assert reads == [], "no read of the outbox for rows whose ids follow on"
    else:
        assert reads, "a look for another writer's rows before handed commits go out"


async def test_a_stop_marks_what_went_out_before_its_mark_was_due(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    relay = OutboxRelay(engine, js, poll_seconds=NO_TIMED_READ, mark_seconds=5.0)
    async with running(relay):
        await asyncio.sleep(0.2)  # the first read: nothing there
        # One commit: a second one could be seen in the table before it is handed, which the
        # relay takes for another writer's row and reads (and marks) at once.
        await create_widgets(UnitOfWork(engine, relay.committed), ["a"])
        await eventually(lambda: stream_holds(js, 1), timeout=5)
        assert await unpublished(engine) == 1, "sent, and the mark is not due yet"

    assert await unpublished(engine) == 0, "the stop marked them"


async def test_a_backlog_is_read_in_order_before_new_commits_are_handed(
    engine: AsyncEngine, js: JetStreamContext
) -> None:
    # 250 rows committed while no relay ran: two full reads and a partial one catch up.
    backlog = await create_widgets(UnitOfWork(engine), [f"old-{i}" for i in range(250)])
    relay = OutboxRelay(engine, js, poll_seconds=NO_TIMED_READ, batch=100)
    uow = UnitOfWork(engine, relay.committed)
    async with running(relay):
        fresh = await create_widgets(uow, [f"new-{i}" for i in range(20)])
        await eventually(lambda: stream_holds(js, 270), timeout=20)
        await eventually(none_unpublished(engine), timeout=5)

    assert await event_ids_in_stream(js) == [str(e.event_id) for e in backlog + fresh]


async def test_handed_rows_that_fail_are_read_again_in_order_when_nats_returns(
    engine: AsyncEngine, nats_server: NatsServer
) -> None:
    nc = await connect(nats_server.url, "outbox-handed-test")
    js = nc.jetstream()
    await ensure_streams(js)
    relay = OutboxRelay(engine, js, poll_seconds=NO_TIMED_READ)
    uow = UnitOfWork(engine, relay.committed)
    try:
        async with running(relay):
            before = await create_widgets(uow, ["before"])
            await eventually(lambda: stream_holds(js, 1), timeout=10)

            nats_server.stop()
            during = await create_widgets(uow, [f"during-{i}" for i in range(5)])
            await asyncio.sleep(0.5)
            nats_server.start()

            await eventually(lambda: stream_holds(js, 6), timeout=30)
            after = await create_widgets(uow, ["after"])
            await eventually(lambda: stream_holds(js, 7), timeout=10)
            await eventually(none_unpublished(engine), timeout=10)

        expected = [str(e.event_id) for e in before + during + after]
        assert await event_ids_in_stream(js) == expected, "in commit order, none lost or twice"
    finally:
        await nc.close()
