"""This instance's entries in the presence bucket, written from the hub's state.

The hub says which channel changed; one writer task reads that channel's state when it gets to
it and writes the difference (so a burst on one channel is one write), retrying with backoff
while NATS is away. A subscription is confirmed to its client once its write is in the view.

The heartbeat is written every `heartbeat` seconds with a per-message TTL: an instance that
stops renewing it (killed, cut off) is removed by the server, and every view drops its entries.
An instance that sees its own heartbeat or entries removed while it is alive (it was cut off
for longer than the TTL) writes them all again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from nats.js import JetStreamContext

from messaging.cancellation import raise_if_cancel_was_swallowed
from realtime.cluster import keys
from realtime.cluster.keys import Key, Kind

log = logging.getLogger(__name__)

ChannelKey = tuple[str, str]
# A channel's local state: its subscriber count and its members here (user id -> user_info).
LocalState = Callable[[str, str], tuple[int, dict[str, Any]]]
Seen = Callable[[int], "asyncio.Future[None]"]
# Channels written at once; their writes are in flight together, so a burst of subscriptions
# (clients moving from a draining instance) is not one round trip after another.
BATCH = 128


class Entries:
    def __init__(
        self,
        js: JetStreamContext,
        bucket: str,
        instance: str,
        local: LocalState,
        local_channels: Callable[[], Iterable[ChannelKey]],
        *,
        heartbeat: float,
        ttl: int,
        marker_ttl: int,
        confirm_timeout: float,
        position: Callable[[], int] = lambda: 0,
    ) -> None:
        self._js = js
        # Written into each heartbeat: how far this instance has surely delivered its frames,
        # so that the others know where its clients' gap starts if it dies.
        self._position = position
        self._prefix = f"$KV.{bucket}."
        self.instance = instance
        self._local, self._local_channels = local, local_channels
        self._heartbeat, self._ttl, self._marker_ttl = heartbeat, ttl, marker_ttl
        self._confirm_timeout = confirm_timeout
        # A write unanswered this long is retried (same value: a repeat is harmless).
        self._timeout = max(0.5, confirm_timeout)
        self.seen: Seen | None = None
        self._written: dict[str, tuple[bytes, int]] = {}  # key -> (value, revision)
        self._keys_of: dict[ChannelKey, set[str]] = {}
        self._dirty: dict[ChannelKey, list[asyncio.Future[None]]] = {}
        self._wake = asyncio.Event()
        self._tick = asyncio.Event()
        self._resync = False
        self._closing = False

    # -- what the hub's changes call ------------------------------------------------------

    def changed(self, app_id: str, channel: str) -> asyncio.Future[None]:
        """Write the channel's state soon; done once the view has it (or after the timeout)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        loop.call_later(self._confirm_timeout, _finish, done)
        self._dirty.setdefault((app_id, channel), []).append(done)
        self._wake.set()
        return done

    def lost(self, key: Key, revision: int) -> None:
        """One of this instance's entries was removed, not by it: write it again."""
        if self._closing:
            return
        if key.kind is Kind.INSTANCE:
            log.warning("this instance was taken for gone; writing its entries again")
            self.rewrite()
            return
        text = str(key)
        written = self._written.get(text)
        if written is not None and revision > written[1]:
            del self._written[text]
            self._mark(key.channel_key)

    def rewrite(self) -> None:
        """Write the heartbeat and every entry again now (NATS is back: this instance may have
        been taken for gone meanwhile)."""
        self._resync = True
        self._tick.set()

    def tick_after(self, delay: float) -> None:
        """Write a heartbeat after `delay` (the bucket's clock must pass a held fact's due)."""
        asyncio.get_running_loop().call_later(delay + 0.01, self._tick.set)

    # -- writing --------------------------------------------------------------------------

    async def run(self) -> None:
        """Write dirty channels, many at once (each channel's writes stay in order)."""
        backoff = 0.1
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._dirty:
                batch = list(itertools.islice(self._dirty.items(), BATCH))
                for channel_key, _ in batch:
                    del self._dirty[channel_key]
                results = await asyncio.gather(
                    *(self._flush(channel_key) for channel_key, _ in batch),
                    return_exceptions=True,
                )
                failed: dict[ChannelKey, list[asyncio.Future[None]]] = {}
                error: BaseException | None = None
                for (channel_key, waiters), result in zip(batch, results, strict=True):
                    if isinstance(result, BaseException):
                        failed[channel_key], error = waiters, result
                    else:
                        self._confirm(waiters, result)
                if failed:  # NATS away: keep them dirty, first in line
                    log.warning("presence writes failed, retrying: %r", error)
                    for channel_key, waiters in self._dirty.items():
                        failed.setdefault(channel_key, []).extend(waiters)
                    self._dirty = failed
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                else:
                    backoff = 0.1

    async def beat(self) -> None:
        """Renew the heartbeat every `heartbeat` seconds (sooner when asked)."""
        away = False
        while True:
            try:
                await self.write_heartbeat()
                if away or self._resync:
                    self._resync_all()
                away = False
            except Exception as exc:
                if not away:
                    log.warning("presence heartbeat failed: %r", exc)
                away = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick.wait(), self._heartbeat)
            raise_if_cancel_was_swallowed()
            self._tick.clear()

    async def write_heartbeat(self, attempts: int = 1) -> None:
        """Renew the heartbeat; retry up to `attempts` times (a bucket just created may not
        take writes yet on every node)."""
        subject = self._prefix + str(keys.heartbeat(self.instance))
        for attempt in range(attempts):
            try:
                position = str(self._position()).encode()
                await self._js.publish(subject, position, msg_ttl=self._ttl, timeout=self._timeout)
                return
            except Exception:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(min(0.05 * 2**attempt, 1.0))

    async def close(self, timeout: float) -> int:
        """Write what is dirty, then remove the heartbeat: the others see this instance go
        at once rather than after its TTL. The last revision written (0: none)."""
        self._closing = True
        revision = 0
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout):
                for channel_key in list(self._dirty):
                    waiters = self._dirty.pop(channel_key)
                    revision = await self._flush(channel_key) or revision
                    self._confirm(waiters, revision)
                revision = await self._purge(str(keys.heartbeat(self.instance)))
        return revision

    async def sweep(self, orphans: list[str]) -> None:
        """Remove the entries of instances that are gone (this instance is the janitor)."""
        for text in orphans:
            await self._purge(text)

    def _mark(self, channel_key: ChannelKey) -> None:
        self._dirty.setdefault(channel_key, [])
        self._wake.set()

    def _resync_all(self) -> None:
        self._resync = False
        self._written.clear()
        for channel_key in [*self._keys_of, *self._local_channels()]:
            self._mark(channel_key)

    async def _flush(self, channel_key: ChannelKey) -> int:
        """Write the channel's difference; the last revision written (0: nothing to write)."""
        app_id, channel = channel_key
        count, members = self._local(app_id, channel)
        wanted: dict[str, bytes] = {}
        if count:
            wanted[str(keys.subscribers(self.instance, app_id, channel))] = str(count).encode()
        for user_id, info in members.items():
            wanted[str(keys.member(self.instance, app_id, channel, user_id))] = orjson.dumps(info)
        held = self._keys_of.setdefault(channel_key, set())
        revision = 0
        # The count before the members when arriving, the members before the count when leaving.
        for text, value in wanted.items():
            if self._written.get(text, (None,))[0] != value:
                revision = await self._put(text, value)
                self._written[text] = (value, revision)
                held.add(text)
        for text in sorted(held - wanted.keys()):  # "m." sorts before "s."
            revision = await self._purge(text)
            self._written.pop(text, None)
            held.discard(text)
        if not held:
            del self._keys_of[channel_key]
        return revision

    async def _put(self, text: str, value: bytes) -> int:
        ack = await self._js.publish(self._prefix + text, value, timeout=self._timeout)
        return int(ack.seq)

    async def _purge(self, text: str) -> int:
        # A purge leaves a marker; it expires, so that the bucket does not grow with every
        # channel and instance that ever was.
        headers = {"KV-Operation": "PURGE", "Nats-Rollup": "sub"}
        ack = await self._js.publish(
            self._prefix + text,
            b"",
            headers=headers,
            msg_ttl=self._marker_ttl,
            timeout=self._timeout,
        )
        return int(ack.seq)

    def _confirm(self, waiters: list[asyncio.Future[None]], revision: int) -> None:
        if not waiters:
            return
        if revision == 0 or self.seen is None:
            for waiter in waiters:
                _finish(waiter)
            return

        def finish_all(_: object) -> None:
            for waiter in waiters:
                _finish(waiter)

        self.seen(revision).add_done_callback(finish_all)


def _finish(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
