"""The router under failure at each step of a batch (docs/architecture.md, "The live refresh
router"): whatever fails or dies, every recipient's edge delivers the frame exactly once, with
the versions of its first and only bump.

Real nats-server, real versions bucket, real edge (hub + NATS fan-out); the failures are
injected around the router's own steps, and a "crash" is a router that stops mid-batch and is
cancelled, its batch left unacked for another router to take after the ack wait.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import orjson
import pytest
from nats.aio.client import Client

from contracts.bookings import ChildCreated
from contracts.catalogue import stream_of
from contracts.envelope import Actor, Role
from contracts.live import ADMIN_CHANNEL, LIVE_REFRESH_EVENT, user_channel
from messaging.batch_consumer import BatchConsumer, Received
from messaging.codec import encode
from messaging.streams import ensure_streams
from realtime.fanout import NatsFanout
from realtime.live_refresh.router import LiveRefreshRouter
from realtime.live_refresh.triggers import routed_subjects
from realtime.live_refresh.versions import Bump, ContextVersionStore
from realtime.pusher.apps import App, AppRegistry
from realtime.pusher.hub import Hub
from testkit.waiting import eventually

APP = "cams"
PARENT = 41
CHANNELS = (user_channel(PARENT), ADMIN_CHANNEL)
ACK_WAIT = 1.0


def payload_of(frame: bytes) -> bytes:
    """The text of an unmasked server WebSocket frame."""
    length = frame[1] & 0x7F
    return frame[2 + {126: 2, 127: 8}.get(length, 0) :]


@dataclass(eq=False)
class Page:
    """A subscriber that keeps what it receives."""

    socket_id: str
    frames: list[bytes] = field(default_factory=list)

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)

    def terminate(self, code: int, reason: str) -> None:
        raise AssertionError("not expected")

    def live_frames(self) -> list[dict[str, object]]:
        parsed = [orjson.loads(payload_of(frame)) for frame in self.frames]
        return [f for f in parsed if f["event"] == LIVE_REFRESH_EVENT]


@dataclass
class Edge:
    hub: Hub
    pages: dict[str, Page]


@pytest.fixture
async def edge(nc: Client) -> AsyncIterator[Edge]:
    await ensure_streams(nc.jetstream())
    fanout = NatsFanout(nc)
    hub = Hub(AppRegistry([App(APP, "key", "secret")]), publisher=fanout, listener=fanout)
    fanout.hub = hub
    worker = asyncio.create_task(fanout.run())
    pages = {channel: Page(f"1.{n}") for n, channel in enumerate(CHANNELS)}
    for channel, page in pages.items():
        hub.subscribe(APP, channel, page)
        ready = hub.when_ready(APP, channel)
        if ready is not None:
            await ready
    yield Edge(hub, pages)
    worker.cancel()


Handler = Callable[[Sequence[Received]], Awaitable[Sequence[bool]]]


async def run_router(nc: Client, handler: Handler) -> asyncio.Task[None]:
    stream = stream_of(ChildCreated.subject)
    consumer = BatchConsumer(
        nc.jetstream(),
        stream,
        "realtime_router",
        handler,
        subjects=routed_subjects(stream),
        ack_wait=ACK_WAIT,
        max_deliver=20,
    )
    return asyncio.create_task(consumer.run())


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def publish(nc: Client) -> ChildCreated:
    event = ChildCreated(child_id=7, parent_id=PARENT)
    await nc.jetstream().publish(event.subject, encode(event))
    return event


async def assert_each_page_heard_once(edge: Edge, versions: ContextVersionStore) -> None:
    async def all_heard() -> bool:
        return all(page.live_frames() for page in edge.pages.values())

    await eventually(all_heard, timeout=15)
    await asyncio.sleep(ACK_WAIT * 2)  # long enough for any redelivery to show up
    for channel, page in edge.pages.items():
        [frame] = page.live_frames()
        data = orjson.loads(frame["data"])  # type: ignore[arg-type]
        assert data["contexts"] == ["children"]
        # One bump, and the frame carries it: a repeated put got its first revision back.
        assert (await versions.of_channel(channel))["children"] == data["versions"]["children"]
    mine = await versions.for_actor(Actor(user_id=PARENT, role=Role.parent))
    assert mine["children"] > 0


async def take_over(
    dying: asyncio.Task[None], nc: Client, edge: Edge, versions: ContextVersionStore
) -> None:
    """The dying router is gone; another instance takes its unacked batch after the ack wait."""
    await stop(dying)
    successor = await run_router(nc, LiveRefreshRouter(nc, versions, APP).route)
    try:
        await assert_each_page_heard_once(edge, versions)
    finally:
        await stop(successor)


class Hang:
    """A step that, the first time, stops the router as a dying process would."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.armed = True

    async def __call__(self) -> None:
        if self.armed:
            self.armed = False
            self.reached.set()
            await asyncio.Event().wait()


class FaultyVersions(ContextVersionStore):
    """The real store, with a failure or a hang injected around its bump."""

    def __init__(
        self,
        real: ContextVersionStore,
        before: Hang | None = None,
        after: Hang | None = None,
        fail_channel: str | None = None,
    ) -> None:
        self.__dict__.update(real.__dict__)
        self.before, self.after, self.fail_channel = before, after, fail_channel

    async def bump(self, bumps: Sequence[Bump]) -> list[int | BaseException]:
        if self.before is not None:
            await self.before()
        results = await super().bump(bumps)
        if self.fail_channel is not None:
            results = [
                ConnectionError("injected") if bump.channel == self.fail_channel else result
                for bump, result in zip(bumps, results, strict=True)
            ]
            self.fail_channel = None
        if self.after is not None:
            await self.after()
        return results


class HangingPublisher(LiveRefreshRouter):
    """Dies after sending its first frame of the batch."""

    hang: Hang

    async def _publish(self, *args: object) -> None:  # type: ignore[override]
        await super()._publish(*args)  # type: ignore[arg-type]
        await self.nc_flush()
        await self.hang()

    async def nc_flush(self) -> None:
        await self._nc.flush()


@pytest.fixture
async def versions(nc: Client) -> ContextVersionStore:
    return await ContextVersionStore.open(nc)


async def test_a_recipient_whose_bump_failed_hears_on_redelivery_and_the_other_once(
    nc: Client, edge: Edge, versions: ContextVersionStore
) -> None:
    faulty = FaultyVersions(versions, fail_channel=ADMIN_CHANNEL)
    router = LiveRefreshRouter(nc, faulty, APP)
    task = await run_router(nc, router.route)
    try:
        await publish(nc)
        await assert_each_page_heard_once(edge, versions)
    finally:
        await stop(task)


@pytest.mark.parametrize("step", ["before the bumps", "after the bumps", "before the ack"])
async def test_a_router_dying_at_a_step_loses_nothing_and_repeats_nothing(
    nc: Client, edge: Edge, versions: ContextVersionStore, step: str
) -> None:
    hang = Hang()
    faulty = FaultyVersions(
        versions,
        before=hang if step == "before the bumps" else None,
        after=hang if step == "after the bumps" else None,
    )
    router = LiveRefreshRouter(nc, faulty, APP)

    async def handler(batch: Sequence[Received]) -> Sequence[bool]:
        done = await router.route(batch)
        if step == "before the ack":
            await hang()
        return done

    dying = await run_router(nc, handler)
    await publish(nc)
    await asyncio.wait_for(hang.reached.wait(), 10)
    await take_over(dying, nc, edge, versions)


async def test_a_router_dying_between_two_recipients_frames_loses_nothing_and_repeats_nothing(
    nc: Client, edge: Edge, versions: ContextVersionStore
) -> None:
    dying_router = HangingPublisher(nc, versions, APP)
    dying_router.hang = Hang()
    dying = await run_router(nc, dying_router.route)
    await publish(nc)
    await asyncio.wait_for(dying_router.hang.reached.wait(), 10)

    async def one_heard() -> bool:
        return sum(bool(page.live_frames()) for page in edge.pages.values()) == 1

    await eventually(one_heard, timeout=10)  # one recipient done, the other not
    await take_over(dying, nc, edge, versions)
