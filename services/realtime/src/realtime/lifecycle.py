"""Lifecycle facts of the hub (occupancy, presence, client events) as events on JetStream.

A channel vacated and occupied again within the grace, or a member removed and added again,
publishes nothing: a page reload or a brief network loss is not news to webhook receivers.
Facts are published in the order they become final, one at a time, retried until NATS takes
them; while NATS is away at most `max_queued` wait, and the oldest give way to the newest
(counted, logged): webhooks alone hear of these facts, and the latest say most about the
channels now. `Listeners` lets several listeners (fan-out and this) hear every hub callback.

With several instances the occupancy and membership facts are the cluster's, decided by
`realtime.cluster.facts` and handed to `emit`; the hub then feeds only `ClientEvents` here.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable
from typing import Any

from nats.js import JetStreamContext
from prometheus_client import CollectorRegistry, Counter

from contracts.realtime import (
    ChannelLifecycleEvent,
    ChannelOccupied,
    ChannelVacated,
    ClientEventTriggered,
    MemberAdded,
    MemberRemoved,
)
from messaging import tracing
from messaging.codec import encode
from realtime.pusher.seams import HubListener, NullListener

log = logging.getLogger(__name__)

Key = tuple[str, ...]
# While facts are being dropped, one log line per this many.
_LOG_EVERY = 1000


class LifecyclePublisher:
    """A `HubListener` whose callbacks return at once; a worker task does the publishing."""

    def __init__(
        self,
        js: JetStreamContext,
        grace: float = 3.0,
        *,
        max_queued: int = 10_000,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._js = js
        self._grace = grace
        self._dropped = Counter(
            "realtime_lifecycle_dropped",
            "Lifecycle facts dropped, oldest first, while more than the limit waited for NATS",
            registry=registry or CollectorRegistry(),
        )
        self._dropped_count = 0
        # Facts held back by the grace, in the order they fall due (the grace is constant).
        self._held: dict[Key, tuple[float, ChannelLifecycleEvent]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._queue: asyncio.Queue[ChannelLifecycleEvent] = asyncio.Queue(max(1, max_queued))
        self._worker: asyncio.Task[None] | None = None

    # -- HubListener ----------------------------------------------------------------------

    def channel_occupied(self, app_id: str, channel: str) -> None:
        if not self._resume(("channel", app_id, channel)):
            self.emit(ChannelOccupied(app_id=app_id, channel=channel))

    def channel_vacated(self, app_id: str, channel: str) -> None:
        self._hold(("channel", app_id, channel), ChannelVacated(app_id=app_id, channel=channel))

    def member_added(self, app_id: str, channel: str, user_id: str) -> None:
        if not self._resume(("member", app_id, channel, user_id)):
            self.emit(MemberAdded(app_id=app_id, channel=channel, user_id=user_id))

    def member_removed(self, app_id: str, channel: str, user_id: str) -> None:
        event = MemberRemoved(app_id=app_id, channel=channel, user_id=user_id)
        self._hold(("member", app_id, channel, user_id), event)

    def client_event(
        self,
        app_id: str,
        channel: str,
        event: str,
        data: str,
        socket_id: str,
        user_id: str | None,
    ) -> None:
        self.emit(
            ClientEventTriggered(
                app_id=app_id,
                channel=channel,
                event=event,
                data=data,
                socket_id=socket_id,
                user_id=user_id,
            )
        )

    # -- grace ----------------------------------------------------------------------------

    def _hold(self, key: Key, event: ChannelLifecycleEvent) -> None:
        if key in self._held:
            return
        loop = asyncio.get_running_loop()
        self._held[key] = (loop.time() + self._grace, event)
        if self._timer is None:
            self._schedule()

    def _resume(self, key: Key) -> bool:
        """Drop a held fact that has just been undone; True if there was one."""
        return self._held.pop(key, None) is not None

    def _schedule(self) -> None:
        self._timer = None
        if self._held:
            due, _ = next(iter(self._held.values()))
            self._timer = asyncio.get_running_loop().call_at(due, self._release_due)

    def _release_due(self) -> None:
        now = asyncio.get_running_loop().time()
        for key, (due, event) in list(self._held.items()):
            if due > now:
                break
            del self._held[key]
            self.emit(event)
        self._schedule()

    # -- publishing -----------------------------------------------------------------------

    def emit(self, event: ChannelLifecycleEvent) -> None:
        """Publish `event` in turn, under its own id (equal ids are kept once by the stream)."""
        if self._queue.full():
            oldest = self._queue.get_nowait()
            self._queue.task_done()
            self._dropped.inc()
            self._dropped_count += 1
            if self._dropped_count % _LOG_EVERY == 1:
                log.warning(
                    "lifecycle queue full (%d), dropped the oldest fact: %s",
                    self._queue.maxsize,
                    oldest.subject,
                )
        self._queue.put_nowait(event)

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="realtime:lifecycle")

    async def close(self, timeout: float = 5.0) -> None:
        """Release every held fact now and publish what is queued (within `timeout`)."""
        if self._timer is not None:
            self._timer.cancel()
        for _, event in self._held.values():
            self.emit(event)
        self._held.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            await self._publish(event)
            self._queue.task_done()

    async def _publish(self, event: ChannelLifecycleEvent) -> None:
        backoff = 0.1
        while True:
            try:
                with tracing.publish_span(event.subject):
                    headers = tracing.inject({"Nats-Msg-Id": str(event.event_id)})
                    await self._js.publish(event.subject, encode(event), headers=headers)
                return
            except Exception as exc:  # NATS away: hold the line, keep the order
                log.warning("lifecycle publish of %s failed, retrying: %s", event.subject, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)


class ClientEvents(NullListener):
    """The hub's client events for `lifecycle`, and nothing else."""

    def __init__(self, lifecycle: LifecyclePublisher) -> None:
        self._lifecycle = lifecycle

    def client_event(
        self,
        app_id: str,
        channel: str,
        event: str,
        data: str,
        socket_id: str,
        user_id: str | None,
    ) -> None:
        self._lifecycle.client_event(app_id, channel, event, data, socket_id, user_id)


class Listeners:
    """One `HubListener` that calls several, in order; their awaitables run together."""

    def __init__(self, *listeners: HubListener) -> None:
        self._listeners = listeners

    def channel_occupied(self, app_id: str, channel: str) -> Awaitable[None] | None:
        return _together([lis.channel_occupied(app_id, channel) for lis in self._listeners])

    def channel_vacated(self, app_id: str, channel: str) -> Awaitable[None] | None:
        return _together([lis.channel_vacated(app_id, channel) for lis in self._listeners])

    def member_added(self, app_id: str, channel: str, user_id: str) -> Awaitable[None] | None:
        return _together([lis.member_added(app_id, channel, user_id) for lis in self._listeners])

    def member_removed(self, app_id: str, channel: str, user_id: str) -> Awaitable[None] | None:
        return _together([lis.member_removed(app_id, channel, user_id) for lis in self._listeners])

    def client_event(
        self,
        app_id: str,
        channel: str,
        event: str,
        data: str,
        socket_id: str,
        user_id: str | None,
    ) -> Awaitable[None] | None:
        return _together(
            [
                lis.client_event(app_id, channel, event, data, socket_id, user_id)
                for lis in self._listeners
            ]
        )


def _together(results: list[Awaitable[None] | None]) -> Awaitable[None] | None:
    pending = [result for result in results if inspect.isawaitable(result)]
    if not pending:
        return None
    if len(pending) == 1:
        return pending[0]  # as if it were the only listener: same task, same order
    return _gather(pending)


async def _gather(pending: list[Awaitable[None]]) -> None:
    outcomes: list[Any] = await asyncio.gather(*pending, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            log.error("hub listener failed", exc_info=outcome)
