"""The context version store on a real nats-server: a bump's version is its put's revision, a
repeated bump gets its first revision back, and a put nobody stores is an error, not a hang."""

from nats.aio.client import Client

from contracts.live import ADMIN_CHANNEL, Context, user_channel
from realtime.live_refresh.versions import BUCKET, Bump, BumpRefused, ContextVersionStore


async def test_bumps_get_growing_revisions_in_order_and_a_repeat_gets_its_first_back(
    nc: Client,
) -> None:
    store = await ContextVersionStore.open(nc)
    bumps = [
        Bump(user_channel(7), Context.children, "event-1"),
        Bump(ADMIN_CHANNEL, Context.children, "event-1"),
        Bump(user_channel(7), Context.bookings, "event-2"),
    ]

    first = await store.bump(bumps)
    again = await store.bump(bumps[:2])

    assert first == [1, 2, 3]
    assert again == [1, 2], "the same cause and key: the bucket drops it and answers the first"
    assert (await store.of_channel(user_channel(7)))[Context.children] == 1
    assert (await store.of_channel(user_channel(7)))[Context.bookings] == 3


async def test_a_bump_with_no_bucket_to_store_it_is_refused_at_once(nc: Client) -> None:
    store = await ContextVersionStore.open(nc, timeout=30)
    await nc.jetstream().delete_key_value(BUCKET)

    [outcome] = await store.bump([Bump(user_channel(7), Context.children, "event-1")])

    assert isinstance(outcome, BumpRefused), outcome


async def test_an_empty_batch_sends_nothing(nc: Client) -> None:
    store = await ContextVersionStore.open(nc)
    assert await store.bump([]) == []
