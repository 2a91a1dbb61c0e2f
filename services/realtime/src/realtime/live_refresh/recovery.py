"""Recovery frames: a user's channel learns what changed while one of its connections was away.

pusher-js tells the server nothing about what a client saw, so the server keeps it:

- Each connection knows a position up to which it surely received its frames (`baseline`: where
  the edge's watermark stood at its last confirmed ping, or now if nothing was sent since).
- When a connection is lost, each of its live refresh channels gets a gap record in KV: the
  lowest baseline of the connections it lost (`GapRecords`).
- When such a channel is subscribed, and again whenever its gap record is written (the old
  connection may be noticed dead only after its client came back, on any instance), its
  subscribers get one LiveRefreshContextsUpdated naming every context whose version passed the
  baseline, or every context with `resync: true` when the versions cannot be read.
- When this edge's bus comes back, each of its live refresh channels gets the same, from where
  the watermark stood when the bus went away.

A spurious refresh is harmless; a missed one is a defect, so every doubt errs towards sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from contracts.live import LIVE_REFRESH_EVENT, Context
from realtime.live_refresh.metrics import LiveRefreshMetrics
from realtime.live_refresh.versions import ContextVersionStore
from realtime.live_refresh.watermark import Watermark
from realtime.pusher import wire
from realtime.pusher.hub import Hub, Subscriber

log = logging.getLogger(__name__)

GAPS_BUCKET = "live_refresh_gaps"
LIVE_PREFIX = "private-live-refresh."

GAP_WRITES_AT_ONCE = 64

RESYNC = orjson.dumps({"contexts": list(Context), "resync": True}).decode()


class GapRecords:
    """Per channel, the lowest baseline among its lost connections; forgotten after `keep`."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self.subject = f"$KV.{GAPS_BUCKET}.>"

    @classmethod
    async def open(cls, js: JetStreamContext, keep_seconds: float, replicas: int = 1) -> GapRecords:
        try:
            kv = await js.key_value(GAPS_BUCKET)
        except BucketNotFoundError:
            config = KeyValueConfig(
                bucket=GAPS_BUCKET, history=1, ttl=keep_seconds, direct=True, replicas=replicas
            )
            kv = await js.create_key_value(config)
        return cls(kv)

    async def read(self, channel: str) -> int | None:
        try:
            entry = await self._kv.get(channel)
        except KeyNotFoundError:
            return None
        return int(entry.value or b"0")

    async def widen(self, channel: str, baseline: int) -> None:
        """Lower the channel's record to `baseline` (compare-and-set; lost races retry)."""
        while True:
            try:
                entry = await self._kv.get(channel)
            except KeyNotFoundError:
                entry = None
            try:
                if entry is None:
                    await self._kv.create(channel, str(baseline).encode())
                elif baseline < int(entry.value or b"0"):
                    await self._kv.update(channel, str(baseline).encode(), last=entry.revision)
                return
            except KeyWrongLastSequenceError:
                continue


def is_live(channel: str) -> bool:
    return channel.startswith(LIVE_PREFIX)


class LiveRecovery:
    """The hub's session observer for the live refresh app's channels."""

    def __init__(
        self,
        hub: Hub,
        app_id: str,
        versions: ContextVersionStore,
        gaps: GapRecords,
        watermark: Watermark,
        metrics: LiveRefreshMetrics,
    ) -> None:
        self._hub = hub
        self._app_id = app_id
        self._versions = versions
        self._gaps = gaps
        self._watermark = watermark
        self._metrics = metrics
        self._unwritten: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._all_written = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._away_from: int | None = None

    # -- what the connections call --------------------------------------------------------

    def position(self) -> int:
        return self._watermark.safe()

    def subscribed(self, app_id: str, channel: str, subscriber: Subscriber) -> None:
        if app_id == self._app_id and is_live(channel):
            self._spawn(self._recover_from_record(channel, subscriber))

    def lost(self, app_id: str, channels: Iterable[str], baseline: int) -> None:
        if app_id != self._app_id:
            return
        for channel in channels:
            if is_live(channel):
                self._unwritten[channel] = min(self._unwritten.get(channel, baseline), baseline)
                self._all_written.clear()
                self._wake.set()

    # -- what the bus calls ---------------------------------------------------------------

    def bus_lost(self) -> None:
        if self._away_from is None:
            self._away_from = self._watermark.safe()

    def bus_returned(self) -> None:
        since, self._away_from = self._away_from, None
        if since is None:
            return
        for channel, _ in self._hub.channels(self._app_id):
            if is_live(channel):
                self._spawn(self._recover_channel(channel, since, "bus"))

    async def on_gap_written(self, msg: Msg) -> None:
        channel = msg.subject.removeprefix(f"$KV.{GAPS_BUCKET}.")
        if self._hub.channel(self._app_id, channel) is None or not msg.data:
            return
        with contextlib.suppress(ValueError):
            self._spawn(self._recover_channel(channel, int(msg.data), "gap"))

    # -- recovering -----------------------------------------------------------------------

    async def _recover_from_record(self, channel: str, subscriber: Subscriber) -> None:
        try:
            baseline = await self._gaps.read(channel)
            if baseline is None:
                return
            data = await self._changes_since(channel, baseline)
        except Exception as exc:
            log.warning("recovery of %s cannot tell what changed: %s", channel, exc)
            data = RESYNC
        if data is not None:
            self._count("gap", data)
            subscriber.send_frame(wire.event_frame(LIVE_REFRESH_EVENT, data, channel))

    async def _recover_channel(self, channel: str, baseline: int, cause: str) -> None:
        try:
            data = await self._changes_since(channel, baseline)
        except Exception as exc:
            log.warning("recovery of %s cannot tell what changed: %s", channel, exc)
            data = RESYNC
        state = self._hub.channel(self._app_id, channel)
        if data is None or state is None:
            return
        frame = wire.event_frame(LIVE_REFRESH_EVENT, data, channel)
        self._count(cause, data)
        for subscriber in list(state.subscribers.values()):
            subscriber.send_frame(frame)

    def _count(self, cause: str, data: str) -> None:
        self._metrics.recoveries.labels(cause, str(data is RESYNC).lower()).inc()

    async def _changes_since(self, channel: str, baseline: int) -> str | None:
        versions = await self._versions.of_channel(channel)
        changed = {context.value: v for context, v in versions.items() if v > baseline}
        if not changed:
            return None
        return orjson.dumps({"contexts": list(changed), "versions": changed}).decode()

    # -- running --------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def watch(self, nc: Client) -> None:
        """Hear every gap record written anywhere (core NATS: the bus-return path covers what
        this edge misses while it is away)."""
        await nc.subscribe(self._gaps.subject, cb=self.on_gap_written)

    async def write_gaps(self) -> None:
        """Write lost connections' gap records, many at once (a drain loses thousands),
        retrying while NATS is away."""
        backoff = 0.1
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._unwritten:
                batch = list(itertools.islice(self._unwritten.items(), GAP_WRITES_AT_ONCE))
                outcomes = await asyncio.gather(
                    *(self._gaps.widen(channel, baseline) for channel, baseline in batch),
                    return_exceptions=True,
                )
                failed = [o for o in outcomes if isinstance(o, BaseException)]
                for (channel, baseline), outcome in zip(batch, outcomes, strict=True):
                    written = not isinstance(outcome, BaseException)
                    if written and self._unwritten.get(channel) == baseline:
                        del self._unwritten[channel]
                if failed:
                    log.warning("%d gap records not written yet: %s", len(failed), failed[0])
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                else:
                    backoff = 0.1
            self._all_written.set()

    async def close(self, timeout: float = 5.0) -> None:
        """Give the gap records of connections closed by the stop a moment to be written."""
        if self._unwritten:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_written.wait(), timeout)
