"""Integration: a durable consumer with the inbox (`database.inbox.exactly_once`) has each effect
exactly once, on a real nats-server and on SQLite and PostgreSQL: through redelivery, a crash
between commit and ack, the same event published twice under different `Nats-Msg-Id`s, a
handler slower than `ack_wait` and two deliveries racing each other."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from nats.js import JetStreamContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.bookings import BOOKINGS_EVENTS, ChildCreated, ChildDeleted
from contracts.envelope import Event
from contracts.streams import DEAD_LETTERS
from database.inbox import InboxEntry, exactly_once
from database.unit_of_work import SqlUnitOfWork
from messaging.codec import encode
from messaging.consumer import DurableConsumer, EventHandler, subjects_of
from testkit.waiting import eventually

from .conftest import Widget

DURABLE = "test-widget-maker"


async def make_widget(event: Event, uow: SqlUnitOfWork) -> None:
    """The effect under test: one widget row per event."""
    assert isinstance(event, ChildCreated)
    uow.session.add(Widget(name=f"child {event.child_id}"))


async def widgets(engine: AsyncEngine) -> Counter[str]:
    async with SqlUnitOfWork(engine) as uow:
        rows = (await uow.session.scalars(select(Widget.name))).all()
    return Counter(rows)


async def publish(js: JetStreamContext, event: Event, msg_id: str | None = None) -> None:
    headers = {"Nats-Msg-Id": msg_id or str(event.event_id)}
    await js.publish(event.subject, encode(event), headers=headers)


async def settled(js: JetStreamContext) -> bool:
    info = await js.consumer_info(BOOKINGS_EVENTS.name, DURABLE)
    return info.num_ack_pending == 0 and info.num_pending == 0


async def dead_letters(js: JetStreamContext) -> int:
    return (await js.stream_info(DEAD_LETTERS.name)).state.messages


Start = Callable[..., asyncio.Task[None]]


@pytest.fixture
async def start(js: JetStreamContext) -> AsyncIterator[Start]:
    """Start a consumer in the background (stopped after the test); returns its task."""
    tasks: list[asyncio.Task[None]] = []

    def run(handler: EventHandler, **options: float) -> asyncio.Task[None]:
        consumer = DurableConsumer(
            js, BOOKINGS_EVENTS, DURABLE, handler, subjects=subjects_of(ChildCreated), **options
        )
        tasks.append(asyncio.create_task(consumer.run()))
        return tasks[-1]

    yield run
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def inboxed(
    engine: AsyncEngine, after_commit: Callable[[], Awaitable[None]] | None = None
) -> EventHandler:
    handle = exactly_once(DURABLE, lambda: SqlUnitOfWork(engine), make_widget)

    async def handler(event: Event) -> None:
        await handle(event)
        if after_commit is not None:
            await after_commit()

    return handler


async def test_a_redelivery_after_the_commit_changes_nothing(
    js: JetStreamContext, engine: AsyncEngine, start: Start
) -> None:
    attempts = 0

    async def ack_lost() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("the ack never made it")  # committed, then naked: redelivered

    await publish(js, ChildCreated(child_id=1, parent_id=9))
    start(inboxed(engine, ack_lost))

    await eventually(lambda: _true(attempts >= 2), timeout=10)
    await eventually(lambda: settled(js), timeout=10)
    assert await widgets(engine) == {"child 1": 1}
    assert await dead_letters(js) == 0


async def test_a_crash_between_commit_and_ack_changes_nothing_on_redelivery(
    js: JetStreamContext, engine: AsyncEngine, start: Start
) -> None:
    committed = asyncio.Event()

    async def crash() -> None:
        committed.set()
        await asyncio.Event().wait()  # the process dies here, before the ack

    await publish(js, ChildCreated(child_id=2, parent_id=9))
    first = start(inboxed(engine, crash), ack_wait=1.0)
    await asyncio.wait_for(committed.wait(), 10)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)

    start(inboxed(engine), ack_wait=1.0)  # the restarted service gets it after ack_wait

    await eventually(lambda: settled(js), timeout=15)
    assert await widgets(engine) == {"child 2": 1}


async def test_the_same_event_published_twice_under_different_msg_ids_has_one_effect(
    js: JetStreamContext, engine: AsyncEngine, start: Start
) -> None:
    event = ChildCreated(child_id=3, parent_id=9)
    await publish(js, event, msg_id="first-publish")
    await publish(js, event, msg_id="a-retry-that-escaped-the-duplicate-window")
    assert (await js.stream_info(BOOKINGS_EVENTS.name)).state.messages == 2

    start(inboxed(engine))

    await eventually(lambda: settled(js), timeout=10)
    assert await widgets(engine) == {"child 3": 1}


async def test_a_handler_slower_than_ack_wait_is_not_redelivered_nor_dead_lettered(
    js: JetStreamContext, engine: AsyncEngine, start: Start
) -> None:
    handled: Counter[int] = Counter()
    slow = exactly_once(DURABLE, lambda: SqlUnitOfWork(engine), make_widget)

    async def handler(event: Event) -> None:
        assert isinstance(event, ChildCreated)
        handled[event.child_id] += 1
        if event.child_id == 4:
            await asyncio.sleep(3.5)  # over three times ack_wait
        await slow(event)

    for child_id in (4, 5, 6):  # 5 and 6 wait in the same batch behind the slow one
        await publish(js, ChildCreated(child_id=child_id, parent_id=9))
    start(handler, ack_wait=1.0, max_deliver=2)

    await eventually(lambda: _true(sum(handled.values()) >= 3), timeout=15)
    await eventually(lambda: settled(js), timeout=10)
    assert handled == {4: 1, 5: 1, 6: 1}, "no message was delivered twice"
    assert await widgets(engine) == {"child 4": 1, "child 5": 1, "child 6": 1}
    assert await dead_letters(js) == 0


async def test_a_stuck_message_holds_back_the_next_for_at_most_max_handle_seconds(
    js: JetStreamContext, engine: AsyncEngine, start: Start
) -> None:
    order: list[str] = []
    make = exactly_once(DURABLE, lambda: SqlUnitOfWork(engine), make_widget)

    async def handler(event: Event) -> None:
        assert isinstance(event, ChildCreated)
        if event.child_id == 7:
            order.append("stuck attempt")
            await asyncio.Event().wait()  # never finishes on its own
        await make(event)
        order.append(f"child {event.child_id}")

    await publish(js, ChildCreated(child_id=7, parent_id=9))
    await publish(js, ChildCreated(child_id=8, parent_id=9))
    start(handler, max_handle_seconds=0.5, max_deliver=2)

    letters = await eventually(lambda: dead_letters(js), timeout=15)
    await eventually(lambda: settled(js), timeout=10)
    assert order[:2] == ["stuck attempt", "child 8"], "the next message went on after the bound"
    assert order.count("stuck attempt") == 2 and letters == 1
    assert await widgets(engine) == {"child 8": 1}


async def test_a_consumer_takes_only_its_subjects(
    js: JetStreamContext, engine: AsyncEngine, start: Start
) -> None:
    await publish(js, ChildDeleted(child_id=1, parent_id=9))  # not a subject it filters on
    await publish(js, ChildCreated(child_id=10, parent_id=9))
    start(inboxed(engine))

    await eventually(lambda: settled(js), timeout=10)
    assert await widgets(engine) == {"child 10": 1}
    assert await dead_letters(js) == 0, "an event it does not take is not its poison"


async def test_two_deliveries_racing_commit_one_effect(engine: AsyncEngine) -> None:
    first_inside, let_first_finish = asyncio.Event(), asyncio.Event()
    handled = 0

    async def slow_effect(event: Event, uow: SqlUnitOfWork) -> None:
        nonlocal handled
        handled += 1
        first_inside.set()
        await let_first_finish.wait()
        await make_widget(event, uow)

    handle = exactly_once(DURABLE, lambda: SqlUnitOfWork(engine), slow_effect)
    event = ChildCreated(child_id=11, parent_id=9)

    first = asyncio.create_task(handle(event))
    await asyncio.wait_for(first_inside.wait(), 10)
    second = asyncio.create_task(handle(event))  # its inbox row waits on the first one's
    await asyncio.sleep(0.3)
    assert not second.done() and handled == 1
    let_first_finish.set()
    await asyncio.wait_for(asyncio.gather(first, second), 30)

    assert handled == 1, "the second delivery found the first one's row and did nothing"
    assert await widgets(engine) == {"child 11": 1}
    async with SqlUnitOfWork(engine) as uow:
        inbox = await uow.session.scalar(select(func.count()).select_from(InboxEntry))
    assert inbox == 1, "and one inbox row"


async def test_a_delivery_whose_effect_failed_leaves_no_inbox_row(engine: AsyncEngine) -> None:
    attempts = 0

    async def fails_once(event: Event, uow: SqlUnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("the first attempt fails")
        await make_widget(event, uow)

    handle = exactly_once(DURABLE, lambda: SqlUnitOfWork(engine), fails_once)
    event = ChildCreated(child_id=12, parent_id=9)
    with pytest.raises(RuntimeError):
        await handle(event)
    await handle(event)  # the redelivery runs the effect: the first inbox row rolled back
    assert attempts == 2
    assert await widgets(engine) == {"child 12": 1}


async def _true(value: bool) -> bool:
    return value
