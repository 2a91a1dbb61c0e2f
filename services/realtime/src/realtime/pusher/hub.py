"""Channels of each app, their local subscribers and presence members, and event delivery.

`deliver_local` is the fast path: one JSON encoding and one frame per event, the same bytes
written to every subscriber. Publishing goes through the injected `Publisher` so several nodes
can share the load; the `HubListener` hears of occupancy, membership and client events.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from realtime.pusher import wire
from realtime.pusher.apps import AppRegistry
from realtime.pusher.channels import kind_of
from realtime.pusher.metrics import Metrics
from realtime.pusher.publication import Publication
from realtime.pusher.seams import HubListener, NullListener, Publisher

log = logging.getLogger("realtime.pusher.hub")


class Subscriber(Protocol):
    """A connection as the hub sees it."""

    @property
    def socket_id(self) -> str: ...

    def send_frame(self, frame: bytes) -> None:
        """Write a ready frame; must never call back into the hub synchronously."""

    def terminate(self, code: int, reason: str) -> None: ...


@dataclass(slots=True)
class Member:
    info: Any
    socket_ids: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Channel:
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    # presence only: user id -> member, and each socket's user id
    members: dict[str, Member] = field(default_factory=dict)
    user_of_socket: dict[str, str] = field(default_factory=dict)
    # Done once the listener has taken the channel on (e.g. its NATS interest subscription is
    # in place), so that a subscriber told "subscribed" misses no event published elsewhere.
    ready: asyncio.Future[Any] | None = None


class LocalPublisher:
    """Single-node publishing: straight to this hub's subscribers."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    async def publish(self, publication: Publication) -> None:
        self._hub.deliver_local(publication)


class Hub:
    def __init__(
        self,
        apps: AppRegistry,
        *,
        publisher: Publisher | None = None,
        listener: HubListener | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.apps = apps
        self.publisher: Publisher = publisher or LocalPublisher(self)
        self.listener: HubListener = listener or NullListener()
        self.metrics = metrics or Metrics()
        self._channels: dict[str, dict[str, Channel]] = {}
        self._signed_in: dict[str, dict[str, dict[str, Subscriber]]] = {}
        self._tasks: set[asyncio.Future[Any]] = set()

    # -- delivery -------------------------------------------------------------------------

    def deliver_local(self, publication: Publication) -> int:
        """Send an event to this node's subscribers of its channel; returns how many got it."""
        state = self._channels.get(publication.app_id, {}).get(publication.channel)
        if state is None:
            return 0
        frame = wire.event_frame(
            publication.event, publication.data, publication.channel, publication.user_id
        )
        skip = publication.except_socket_id
        sent = 0
        for socket_id, subscriber in state.subscribers.items():
            if socket_id != skip:
                subscriber.send_frame(frame)
                sent += 1
        self.metrics.frames_out.inc(sent)
        return sent

    async def publish(self, publication: Publication) -> None:
        await self.publisher.publish(publication)

    def _broadcast_internal(
        self, state: Channel, channel: str, event: str, data: dict[str, Any], skip: str | None
    ) -> None:
        frame = wire.event_frame(event, wire.json_string(data), channel)
        for socket_id, subscriber in state.subscribers.items():
            if socket_id != skip:
                subscriber.send_frame(frame)

    # -- subscriptions --------------------------------------------------------------------

    def subscribe(self, app_id: str, channel: str, subscriber: Subscriber) -> None:
        channels = self._channels.setdefault(app_id, {})
        state = channels.get(channel)
        if state is None:
            state = channels[channel] = Channel()
            state.ready = self.notify(self.listener.channel_occupied(app_id, channel))
        if subscriber.socket_id not in state.subscribers:
            state.subscribers[subscriber.socket_id] = subscriber
            self.metrics.subscriptions.labels(kind_of(channel).value).inc()

    def join(
        self, app_id: str, channel: str, subscriber: Subscriber, user_id: str, user_info: Any
    ) -> None:
        """Subscribe to a presence channel; others hear member_added once per user id."""
        self.subscribe(app_id, channel, subscriber)
        state = self._channels[app_id][channel]
        socket_id = subscriber.socket_id
        previous = state.user_of_socket.get(socket_id)
        if previous == user_id:
            return
        if previous is not None:
            self._leave(app_id, channel, state, socket_id)
        state.user_of_socket[socket_id] = user_id
        member = state.members.get(user_id)
        if member is None:
            state.members[user_id] = Member(user_info, {socket_id})
            self._broadcast_internal(
                state,
                channel,
                "pusher_internal:member_added",
                {"user_id": user_id, "user_info": user_info},
                socket_id,
            )
            self.notify(self.listener.member_added(app_id, channel, user_id))
        else:
            member.socket_ids.add(socket_id)

    def unsubscribe(self, app_id: str, channel: str, subscriber: Subscriber) -> None:
        channels = self._channels.get(app_id, {})
        state = channels.get(channel)
        if state is None or state.subscribers.pop(subscriber.socket_id, None) is None:
            return
        self.metrics.subscriptions.labels(kind_of(channel).value).dec()
        self._leave(app_id, channel, state, subscriber.socket_id)
        if not state.subscribers:
            del channels[channel]
            if not channels:
                del self._channels[app_id]
            self.notify(self.listener.channel_vacated(app_id, channel))

    def _leave(self, app_id: str, channel: str, state: Channel, socket_id: str) -> None:
        user_id = state.user_of_socket.pop(socket_id, None)
        if user_id is None:
            return
        member = state.members[user_id]
        member.socket_ids.discard(socket_id)
        if not member.socket_ids:
            del state.members[user_id]
            self._broadcast_internal(
                state, channel, "pusher_internal:member_removed", {"user_id": user_id}, None
            )
            self.notify(self.listener.member_removed(app_id, channel, user_id))

    # -- signed-in users ------------------------------------------------------------------

    def sign_in(self, app_id: str, user_id: str, subscriber: Subscriber) -> None:
        self._signed_in.setdefault(app_id, {}).setdefault(user_id, {})[subscriber.socket_id] = (
            subscriber
        )

    def sign_out(self, app_id: str, user_id: str, subscriber: Subscriber) -> None:
        users = self._signed_in.get(app_id, {})
        sockets = users.get(user_id, {})
        sockets.pop(subscriber.socket_id, None)
        if not sockets:
            users.pop(user_id, None)

    def connections_of_user(self, app_id: str, user_id: str) -> list[Subscriber]:
        """Signed-in connections of the user, and those in presence channels as the user."""
        found = dict(self._signed_in.get(app_id, {}).get(user_id, {}))
        for state in self._channels.get(app_id, {}).values():
            member = state.members.get(user_id)
            if member is not None:
                found.update({s: state.subscribers[s] for s in member.socket_ids})
        return list(found.values())

    # -- queries --------------------------------------------------------------------------

    def channels(self, app_id: str) -> Iterator[tuple[str, Channel]]:
        return iter(list(self._channels.get(app_id, {}).items()))

    def channel(self, app_id: str, channel: str) -> Channel | None:
        return self._channels.get(app_id, {}).get(channel)

    def is_subscribed(self, app_id: str, channel: str, socket_id: str) -> bool:
        state = self.channel(app_id, channel)
        return state is not None and socket_id in state.subscribers

    def presence_data(self, app_id: str, channel: str) -> dict[str, Any]:
        state = self.channel(app_id, channel)
        members = state.members if state else {}
        return {
            "presence": {
                "ids": list(members),
                "hash": {user_id: m.info for user_id, m in members.items()},
                "count": len(members),
            }
        }

    # -- listener calls -------------------------------------------------------------------

    def notify(self, result: Awaitable[None] | None) -> asyncio.Future[Any] | None:
        """Run a listener's (or publisher's) awaitable as a task, logging its failure."""
        if not inspect.isawaitable(result):
            return None
        task = asyncio.ensure_future(result)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def when_ready(self, app_id: str, channel: str) -> asyncio.Future[Any] | None:
        """What to wait for before confirming a subscription; None when it is live already."""
        state = self.channel(app_id, channel)
        if state is None or state.ready is None or state.ready.done():
            return None
        return state.ready

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("hub listener failed", exc_info=task.exception())
