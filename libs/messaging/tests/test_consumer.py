"""Integration: durable consumers hand typed events to a handler; poison goes to dead letters."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from nats.js import JetStreamContext

from contracts.bookings import BOOKINGS_EVENTS, ChildCreated, ChildDeleted
from contracts.envelope import Event
from contracts.streams import DEAD_LETTERS, dead_letter_subject
from messaging.codec import encode
from messaging.consumer import DurableConsumer
from testkit.waiting import eventually

DURABLE = "test-children-watcher"


async def publish(js: JetStreamContext, event: Event) -> None:
    await js.publish(event.subject, encode(event), headers={"Nats-Msg-Id": str(event.event_id)})


async def dead_letters(js: JetStreamContext) -> list[tuple[str, dict[str, str], bytes]]:
    """Every dead letter so far: (subject, headers, data)."""
    info = await js.stream_info(DEAD_LETTERS.name)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else []:
        msg = await js.get_msg(DEAD_LETTERS.name, seq)
        found.append((msg.subject or "", dict(msg.headers or {}), msg.data or b""))
    return found


Handler = Callable[[Event], Awaitable[None]]
StartConsumer = Callable[..., None]


@pytest.fixture
async def start_consumer(js: JetStreamContext) -> AsyncIterator[StartConsumer]:
    """Start `DurableConsumer(..., DURABLE, handler)` in the background; stopped after the test."""
    tasks: list[asyncio.Task[None]] = []

    def start(handler: Handler, max_deliver: int = 5) -> None:
        consumer = DurableConsumer(js, BOOKINGS_EVENTS, DURABLE, handler, max_deliver=max_deliver)
        tasks.append(asyncio.create_task(consumer.run()))

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_events_arrive_typed_and_in_order(
    js: JetStreamContext, start_consumer: StartConsumer
) -> None:
    received: list[Event] = []

    async def handler(event: Event) -> None:
        received.append(event)

    sent = [ChildCreated(child_id=1, parent_id=9), ChildDeleted(child_id=1, parent_id=9)]
    for event in sent:
        await publish(js, event)
    start_consumer(handler)

    await eventually(lambda: _at_least(received, 2), timeout=10)
    assert received == sent
    assert [type(e) for e in received] == [ChildCreated, ChildDeleted]


async def test_an_undecodable_message_is_dead_lettered_and_does_not_block_the_next(
    js: JetStreamContext, start_consumer: StartConsumer
) -> None:
    received: list[Event] = []

    async def handler(event: Event) -> None:
        received.append(event)

    await js.publish(ChildCreated.subject, b"{not json")
    await js.publish(ChildCreated.subject, b'{"child_id": "one"}')
    await js.publish("bookings.events.child.vanished", b"{}")  # no contract for this subject
    good = ChildCreated(child_id=2, parent_id=9)
    await publish(js, good)
    start_consumer(handler)

    await eventually(lambda: _at_least(received, 1), timeout=10)
    assert received == [good]
    letters = await eventually(lambda: _letters(js, 3), timeout=10)
    assert {subject for subject, _, _ in letters} == {dead_letter_subject(DURABLE)}
    assert [headers["Cams-Original-Subject"] for _, headers, _ in letters] == [
        ChildCreated.subject,
        ChildCreated.subject,
        "bookings.events.child.vanished",
    ]
    assert all(headers["Cams-Dead-Reason"].startswith("undecodable") for _, headers, _ in letters)
    assert letters[0][2] == b"{not json", "the original bytes are kept for a person to inspect"


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_max_deliver(
    js: JetStreamContext, start_consumer: StartConsumer
) -> None:
    attempts: list[int] = []
    handled: list[Event] = []
    poison = ChildCreated(child_id=13, parent_id=9)

    async def handler(event: Event) -> None:
        if event == poison:
            attempts.append(1)
            raise RuntimeError("cannot handle child 13")
        handled.append(event)

    await publish(js, poison)
    fine = ChildCreated(child_id=14, parent_id=9)
    await publish(js, fine)
    start_consumer(handler, 3)

    await eventually(lambda: _at_least(handled, 1), timeout=10)
    assert handled == [fine], "a failing event does not hold up the ones behind it"
    [(subject, headers, data)] = await eventually(lambda: _letters(js, 1), timeout=20)
    assert subject == dead_letter_subject(DURABLE)
    assert headers["Cams-Dead-Reason"].startswith("failed 3 times")
    assert data == encode(poison)
    assert len(attempts) == 3


async def test_a_restarted_consumer_resumes_where_its_durable_left_off(
    js: JetStreamContext, start_consumer: StartConsumer
) -> None:
    first: list[Event] = []

    async def handler(event: Event) -> None:
        first.append(event)

    await publish(js, ChildCreated(child_id=1, parent_id=9))
    consumer = DurableConsumer(js, BOOKINGS_EVENTS, DURABLE, handler)
    task = asyncio.create_task(consumer.run())
    await eventually(lambda: _at_least(first, 1), timeout=10)
    await eventually(lambda: _pending(js, 0), timeout=10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    later = ChildCreated(child_id=2, parent_id=9)
    await publish(js, later)
    second: list[Event] = []

    async def handler_again(event: Event) -> None:
        second.append(event)

    start_consumer(handler_again)
    await eventually(lambda: _at_least(second, 1), timeout=10)
    assert second == [later], "an acknowledged event is not delivered again"


async def _at_least(items: list[Event], n: int) -> bool:
    return len(items) >= n


async def _letters(js: JetStreamContext, n: int) -> list[tuple[str, dict[str, str], bytes]]:
    found = await dead_letters(js)
    return found if len(found) >= n else []


async def _pending(js: JetStreamContext, n: int) -> bool:
    info = await js.consumer_info(BOOKINGS_EVENTS.name, DURABLE)
    return info.num_ack_pending == n and info.num_pending == n
