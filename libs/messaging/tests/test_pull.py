"""The lean fetch on a real nats-server: what waits comes at once, up to the batch; the first
message to come ends a wait; nothing within the timeout is nats' TimeoutError; a consumer that
is gone is a PullError, not a silent wait."""

import asyncio
import time

import pytest
from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig

from messaging.pull import LeanPull, PullError

STREAM, DURABLE = "PULLTEST", "puller"


@pytest.fixture
async def pull(nc: Client) -> LeanPull:
    js = nc.jetstream()
    await js.add_stream(name=STREAM, subjects=["pulltest.>"])
    config = ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT)
    await js.add_consumer(STREAM, config)
    return await LeanPull(nc, STREAM, DURABLE).start()


async def publish(nc: Client, *bodies: bytes) -> None:
    for body in bodies:
        await nc.jetstream().publish("pulltest.x", body)


async def test_waiting_messages_come_at_once_up_to_the_batch_in_order(
    nc: Client, pull: LeanPull
) -> None:
    await publish(nc, *(b"m%d" % i for i in range(5)))

    first = await pull.fetch(3, timeout=5)
    for msg in first:
        await msg.ack()
    rest = await pull.fetch(10, timeout=5)

    assert [m.data for m in first] == [b"m0", b"m1", b"m2"]
    assert [m.data for m in rest] == [b"m3", b"m4"]


async def test_the_first_message_to_come_ends_the_wait(nc: Client, pull: LeanPull) -> None:
    started = time.monotonic()
    fetching = asyncio.create_task(pull.fetch(10, timeout=5))
    await asyncio.sleep(0.2)
    await publish(nc, b"late")

    assert [m.data for m in await fetching] == [b"late"]
    assert time.monotonic() - started < 4, "not held until the request expired"


async def test_nothing_within_the_timeout_is_a_timeout(pull: LeanPull) -> None:
    with pytest.raises(NatsTimeoutError):
        await pull.fetch(10, timeout=0.3)


async def test_a_consumer_that_is_gone_is_refused(nc: Client, pull: LeanPull) -> None:
    await nc.jetstream().delete_consumer(STREAM, DURABLE)

    with pytest.raises(PullError):
        await pull.fetch(10, timeout=0.5)
