"""This instance's part in presence and occupancy across instances (docs/architecture.md).

`Cluster` is the hub's `ClusterView`: it writes the hub's changes to the presence bucket
(`Entries`), watches the bucket into memory (`View`), tells the hub when another instance's
members come or go, derives the cluster's webhook facts (`Facts`), and carries
`terminate_connections` to every instance. The hub and the HTTP API ask it only what it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from contracts.realtime import ChannelLifecycleEvent
from messaging.cancellation import raise_if_cancel_was_swallowed
from messaging.jetstream_start import patiently
from realtime.cluster.entries import Entries
from realtime.cluster.facts import FactKey, Facts
from realtime.cluster.view import View

if TYPE_CHECKING:
    from realtime.pusher.hub import Hub

log = logging.getLogger(__name__)

# Core NATS, not a stream: an instance away at that moment has no connections worth closing.
TERMINATE_SUBJECT = "realtime.cluster.terminate"
RELOAD_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    bucket: str = "realtime_presence"
    replicas: int = 1
    heartbeat: float = 2.0
    instance_ttl: int = 10
    removal_grace: float = 3.0
    fact_grace: float = 3.0
    marker_ttl: int = 3600
    confirm_timeout: float = 2.0


class Cluster:
    def __init__(
        self,
        nc: Client,
        js: JetStreamContext,
        hub: Hub,
        config: ClusterConfig,
        emit: Callable[[ChannelLifecycleEvent], None],
    ) -> None:
        self._nc, self._js, self._hub, self._config = nc, js, hub, config
        self.instance = secrets.token_hex(6)
        self.removal_grace = config.removal_grace
        self.view = View(self.instance)
        self.entries = Entries(
            js,
            config.bucket,
            self.instance,
            self._local_state,
            self._local_channels,
            heartbeat=config.heartbeat,
            ttl=max(1, config.instance_ttl),
            marker_ttl=max(1, config.marker_ttl),
            confirm_timeout=config.confirm_timeout,
            position=lambda: self._hub.sessions.position(),
        )
        self.entries.seen = self._when_seen
        self._departures_told: set[str] = set()
        self.facts = Facts(emit, config.fact_grace, self.entries.tick_after)
        self._kv: KeyValue | None = None
        self._watcher: KeyValue.KeyWatcher | None = None
        self._revision = 0  # the newest bucket revision the view has taken in
        self._reloading: asyncio.Future[None] | None = None
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    # -- ClusterView (what the hub and the HTTP API ask) ----------------------------------

    def changed(self, app_id: str, channel: str) -> asyncio.Future[None]:
        return self.entries.changed(app_id, channel)

    def members(self, app_id: str, channel: str) -> dict[str, Any]:
        return self.view.members(app_id, channel)

    def subscriptions(self, app_id: str, channel: str) -> int:
        return self.view.subscriptions(app_id, channel)

    def channels(self, app_id: str) -> list[str]:
        return self.view.channels(app_id)

    async def terminate(self, app_id: str, user_id: str, code: int, reason: str) -> None:
        order = {
            "origin": self.instance,
            "app_id": app_id,
            "user_id": user_id,
            "code": code,
            "reason": reason,
        }
        try:
            await self._nc.publish(TERMINATE_SUBJECT, orjson.dumps(order))
        except Exception as exc:  # the connections here are closed already
            log.warning("terminate could not reach the other instances: %r", exc)

    # -- running --------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the bucket, take in its current state, and announce this instance."""
        self._kv = await patiently(lambda: _open_bucket(self._js, self._config), "presence bucket")
        await self._load()
        await self.entries.write_heartbeat(attempts=20)
        await self._nc.subscribe(TERMINATE_SUBJECT, cb=self._on_terminate)

    async def _load(self) -> None:
        """Take in the bucket as it is now into a fresh view, and watch it from there on."""
        assert self._kv is not None
        watcher = await self._kv.watch(">")
        view, newest, revision = View(self.instance), None, 0
        gone: list[tuple[str, datetime]] = []  # the removal markers still in the bucket
        try:
            while (entry := await _next(watcher, timeout=30)) is not None:
                view.apply(entry.key, entry.value, _deleted(entry))
                revision = max(revision, entry.revision or 0)
                if (created := _created(entry)) is not None:
                    newest = created if newest is None else max(newest, created)
                    if _deleted(entry):
                        gone.append((entry.key, created))
        except BaseException:
            with contextlib.suppress(Exception):
                await watcher.stop()  # type: ignore[no-untyped-call]
            raise
        recently_gone: set[FactKey] = set()
        if newest is not None:
            since = newest.timestamp() - self._config.fact_grace
            for text, created in gone:
                if created.timestamp() >= since:
                    items = view.items_of(text)
                    recently_gone.update((app, channel, user) for (app, channel), user in items)
        old_view, self.view = self.view, view
        old_watcher, self._watcher = self._watcher, watcher
        for instance in view.instances_held() - view.alive():  # died before this look
            self._departed(instance, old_view.position_of(instance))
        if old_watcher is None:
            self.facts.start(newest, recently_gone)
        else:
            self.facts.resume(newest, recently_gone, view.present)
        # From the snapshot on: what the old watcher took in after it comes again, into this view.
        self._revision = revision
        self._seen(revision)
        for app in self._hub.apps:  # what changed while this instance was not watching
            for channel, _ in self._hub.channels(app.id):
                before, after = old_view.members(app.id, channel), view.members(app.id, channel)
                for user_id in before.keys() ^ after.keys():
                    self._hub.cluster_changed(app.id, channel, user_id)
        if old_watcher is not None:
            with contextlib.suppress(Exception):
                await old_watcher.stop()  # type: ignore[no-untyped-call]

    def reconnected(self) -> None:
        """NATS is back. The others may have taken this instance for gone: write all of its
        entries again. The watcher may have lost its consumer (its node died) or missed
        removals whose markers expired meanwhile: reload the view from the bucket as it is."""
        self.entries.rewrite()
        self._reload_soon("NATS is back")

    def _reload_soon(self, why: str) -> None:
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.ensure_future(self._reload(why))

    async def _reload(self, why: str) -> None:
        delay = 0.1
        for _ in range(RELOAD_ATTEMPTS):
            try:
                # An attempt that hangs (the bucket's leader is moving) is cut short and retried.
                async with asyncio.timeout(self._config.confirm_timeout):
                    await self._load()
                log.info("presence view reloaded: %s", why)
                return
            except Exception as exc:  # e.g. the bucket's leader is being elected
                log.warning("presence view reload failed, retrying: %r", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def tasks(self) -> list[tuple[Any, str]]:
        """The coroutines to run until stop, with their names."""
        return [
            (self._watch(), "presence-watch"),
            (self.entries.run(), "presence-writer"),
            (self.entries.beat(), "presence-heartbeat"),
            (self._janitor(), "presence-janitor"),
        ]

    async def close(self) -> None:
        """Write the last changes and leave. Their facts are taken in here (the watching task
        has stopped), and the last instance publishes what it holds: no one else will."""
        if self._reloading is not None:
            self._reloading.cancel()
        timeout = self._config.confirm_timeout
        last = await self.entries.close(timeout)
        if self._watcher is None:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout):
                while self._revision < last:
                    if (entry := await _next(self._watcher, timeout)) is not None:
                        self._take(entry)
        if not self.view.alive() - {self.instance}:
            self.facts.release()
        with contextlib.suppress(Exception):
            await self._watcher.stop()  # type: ignore[no-untyped-call]

    async def _watch(self) -> None:
        """Take in what the watcher delivers. Heartbeats keep it busy, so a watcher silent for
        several heartbeats while NATS is up has lost its consumer: reload (the client's own
        recovery takes longer)."""
        loop = asyncio.get_running_loop()
        stalled_after = max(1.0, 3 * self._config.heartbeat)
        last = loop.time()
        while (watcher := self._watcher) is not None:
            try:
                entry = await _next(watcher, timeout=self._config.heartbeat)
            except TimeoutError:
                raise_if_cancel_was_swallowed()
                if loop.time() - last > stalled_after and self._nc.is_connected:
                    self._reload_soon("the watcher went silent")
                    last = loop.time()
                continue  # and a reload may have put a new watcher in its place
            raise_if_cancel_was_swallowed()
            last = loop.time()
            if watcher is not self._watcher or not isinstance(entry, KeyValue.Entry):
                continue  # a replaced watcher's entries come again from the new one
            try:
                self._take(entry)
            except Exception:
                log.exception("presence entry %s could not be taken in", entry.key)

    def _take(self, entry: KeyValue.Entry) -> None:
        revision = entry.revision or 0
        if revision <= self._revision:
            return  # taken in already (a reload's snapshot had it)
        deleted = _deleted(entry)
        applied = self.view.apply(entry.key, entry.value, deleted)
        if (created := _created(entry)) is not None:
            self.facts.advance(created)
            for change in applied.cluster:
                self.facts.changed(change, revision, created)
        for change in applied.others:
            assert change.user_id is not None
            self._hub.cluster_changed(change.app_id, change.channel, change.user_id)
        key = applied.key
        if deleted and key is not None and key.instance == self.instance:
            self.entries.lost(key, revision)
        if applied.departed is not None and applied.departed != self.instance:
            self._departed(applied.departed, self.view.position_of(applied.departed))
        self._seen(revision)

    def _departed(self, instance: str, position: int) -> None:
        """An instance's heartbeat went while it still held channels: it died (a clean stop
        removes its entries first). Its clients lost their frames from its last heartbeat's
        position on, and it wrote no gap record for them: write them here, once."""
        held = self.view.channels_held_by(instance)
        if not held or instance in self._departures_told:
            return
        self._departures_told.add(instance)
        log.info("instance %s left without a word; recovering its channels", instance)
        for app_id, channels in held.items():
            self._hub.sessions.lost(app_id, channels, position)

    async def _janitor(self) -> None:
        """The live instance with the smallest id removes what dead instances left behind."""
        while True:
            await asyncio.sleep(max(1.0, float(self._config.instance_ttl)))
            alive = self.view.alive()
            if alive and min(alive) == self.instance and (orphans := self.view.orphans()):
                try:
                    await self.entries.sweep(orphans)
                except Exception as exc:
                    log.warning("presence sweep failed: %r", exc)

    async def _on_terminate(self, msg: Msg) -> None:
        try:
            order = orjson.loads(msg.data)
            if order["origin"] == self.instance:
                return
            found = self._hub.connections_of_user(order["app_id"], order["user_id"])
            code, reason = int(order["code"]), str(order["reason"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("bad terminate order ignored")
            return
        for connection in found:
            connection.terminate(code, reason)

    # -- the hub's state, for the writer --------------------------------------------------

    def _local_state(self, app_id: str, channel: str) -> tuple[int, dict[str, Any]]:
        state = self._hub.channel(app_id, channel)
        if state is None:
            return 0, {}
        here = {user_id: m.info for user_id, m in state.members.items() if m.socket_ids}
        return len(state.subscribers), here

    def _local_channels(self) -> Iterable[tuple[str, str]]:
        for app in self._hub.apps:
            for channel, _ in self._hub.channels(app.id):
                yield app.id, channel

    # -- waiting for the view to take in a revision ---------------------------------------

    def _when_seen(self, revision: int) -> asyncio.Future[None]:
        seen: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if revision <= self._revision:
            seen.set_result(None)
        else:
            heapq.heappush(self._waiting, (revision, next(self._order), seen))
        return seen

    def _seen(self, revision: int) -> None:
        self._revision = max(self._revision, revision)
        while self._waiting and self._waiting[0][0] <= self._revision:
            _, _, seen = heapq.heappop(self._waiting)
            if not seen.done():
                seen.set_result(None)


async def _open_bucket(js: JetStreamContext, config: ClusterConfig) -> KeyValue:
    try:
        return await js.key_value(config.bucket)
    except Exception:
        return await js.create_key_value(
            KeyValueConfig(
                bucket=config.bucket,
                history=1,
                replicas=config.replicas,
                limit_marker_ttl=max(1, config.marker_ttl),
            )
        )


def _deleted(entry: KeyValue.Entry) -> bool:
    return entry.operation in (KV_DEL, KV_PURGE)


def _created(entry: KeyValue.Entry) -> datetime | None:
    """When the server stored the entry (typed as int by nats-py, a datetime in fact)."""
    created: Any = entry.created
    if isinstance(created, datetime):
        return created
    if isinstance(created, int):
        return datetime.fromtimestamp(created / 1e9, UTC)
    return None


async def _next(watcher: KeyValue.KeyWatcher, timeout: float) -> KeyValue.Entry | None:
    """The next entry; None at the end of the initial values."""
    entry: KeyValue.Entry | None = await watcher.updates(timeout)  # type: ignore[no-untyped-call]
    return entry
