"""Channels of each app, their local subscribers and presence members, and event delivery.

`deliver_local` is the fast path: one JSON encoding and one frame per event, the same bytes
written to every subscriber. Publishing goes through the injected `Publisher` so several nodes
can share the load; the `HubListener` hears of occupancy, membership and client events.

Presence members are those of every instance: the `ClusterView` holds the other instances'
members, and the hub merges them in, so member_added goes out when a user first appears
anywhere and member_removed when the user's last connection anywhere has gone (after the
cluster's grace, so that a user moving between instances is not seen leaving).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from realtime.pusher import wire
from realtime.pusher.apps import AppRegistry
from realtime.pusher.channels import kind_of
from realtime.pusher.metrics import Metrics
from realtime.pusher.publication import Publication
from realtime.pusher.seams import (
    Alone,
    ClusterView,
    HubListener,
    NullListener,
    NullSessions,
    Publisher,
    SessionObserver,
)

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
    # presence only: user id -> member (of this instance or another: then without sockets
    # here), each socket's user id, and the removals waiting out the cluster's grace
    members: dict[str, Member] = field(default_factory=dict)
    user_of_socket: dict[str, str] = field(default_factory=dict)
    held: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
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
        # Wired after construction, like the publisher's hub: recovery needs the hub itself.
        self.sessions: SessionObserver = NullSessions()
        self.cluster: ClusterView = Alone()
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
        self,
        state: Channel,
        channel: str,
        event: str,
        data: dict[str, Any],
        skip: Collection[str] = (),
    ) -> None:
        frame = wire.event_frame(event, wire.json_string(data), channel)
        for socket_id, subscriber in state.subscribers.items():
            if socket_id not in skip:
                subscriber.send_frame(frame)

    # -- subscriptions --------------------------------------------------------------------

    def subscribe(self, app_id: str, channel: str, subscriber: Subscriber) -> None:
        channels = self._channels.setdefault(app_id, {})
        state = channels.get(channel)
        if state is None:
            state = channels[channel] = Channel()
            state.ready = self.notify(self.listener.channel_occupied(app_id, channel))
            for user_id, info in self.cluster.members(app_id, channel).items():
                state.members[user_id] = Member(info)
        if subscriber.socket_id not in state.subscribers:
            state.subscribers[subscriber.socket_id] = subscriber
            self.metrics.subscriptions.labels(kind_of(channel).value).inc()
            self.notify(self.cluster.changed(app_id, channel))

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
            self._announce_added(app_id, channel, state, user_id)
        else:
            member.socket_ids.add(socket_id)
            self._settle(app_id, channel, state, user_id)
        self._known_before_ready(app_id, channel, state)

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
            for removal in state.held.values():  # no one is left here to tell
                removal.cancel()
            self.notify(self.listener.channel_vacated(app_id, channel))
        self.notify(self.cluster.changed(app_id, channel))

    def _leave(self, app_id: str, channel: str, state: Channel, socket_id: str) -> None:
        user_id = state.user_of_socket.pop(socket_id, None)
        if user_id is None:
            return
        state.members[user_id].socket_ids.discard(socket_id)
        self._settle(app_id, channel, state, user_id)

    # -- presence across instances --------------------------------------------------------

    def cluster_changed(self, app_id: str, channel: str, user_id: str) -> None:
        """The cluster view says a member appeared on, or left, every other instance."""
        state = self.channel(app_id, channel)
        if state is not None:
            self._settle(app_id, channel, state, user_id)

    def _settle(self, app_id: str, channel: str, state: Channel, user_id: str) -> None:
        """Bring a user's membership in line with where the user is connected: here, on
        another instance, or nowhere (then removed once the cluster's grace has passed)."""
        member = state.members.get(user_id)
        elsewhere = self.cluster.members(app_id, channel)
        if member is None:
            if user_id in elsewhere:
                state.members[user_id] = Member(elsewhere[user_id])
                self._announce_added(app_id, channel, state, user_id)
            return
        held = state.held.get(user_id)
        if member.socket_ids or user_id in elsewhere:
            if held is not None:  # back within the grace: nothing to tell
                held.cancel()
                del state.held[user_id]
        elif held is None:
            grace = self.cluster.removal_grace
            if grace <= 0:
                self._remove_member(app_id, channel, state, user_id)
            else:
                state.held[user_id] = asyncio.get_running_loop().call_later(
                    grace, self._grace_over, app_id, channel, user_id
                )

    def _grace_over(self, app_id: str, channel: str, user_id: str) -> None:
        state = self.channel(app_id, channel)
        if state is None or state.held.pop(user_id, None) is None:
            return
        member = state.members.get(user_id)
        gone = member is not None and not member.socket_ids
        if gone and user_id not in self.cluster.members(app_id, channel):
            self._remove_member(app_id, channel, state, user_id)

    def _announce_added(self, app_id: str, channel: str, state: Channel, user_id: str) -> None:
        member = state.members[user_id]
        data = {"user_id": user_id, "user_info": member.info}
        # The user's own connections learn of themselves from subscription_succeeded.
        self._broadcast_internal(
            state, channel, "pusher_internal:member_added", data, member.socket_ids
        )
        self.notify(self.listener.member_added(app_id, channel, user_id))

    def _remove_member(self, app_id: str, channel: str, state: Channel, user_id: str) -> None:
        del state.members[user_id]
        self._broadcast_internal(
            state, channel, "pusher_internal:member_removed", {"user_id": user_id}
        )
        self.notify(self.listener.member_removed(app_id, channel, user_id))

    def _known_before_ready(self, app_id: str, channel: str, state: Channel) -> None:
        """A member is confirmed once the cluster knows of it too (so that its arrival is
        told, to clients and webhooks, before anything it does in the channel)."""
        known = self.notify(self.cluster.changed(app_id, channel))
        if known is None:
            return
        if state.ready is None or state.ready.done():
            state.ready = known
        else:
            state.ready = asyncio.gather(state.ready, known, return_exceptions=True)

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

    def terminate_user(
        self, app_id: str, user_id: str, code: int, reason: str
    ) -> Awaitable[None] | None:
        """Close the user's connections here and on every other instance."""
        for connection in self.connections_of_user(app_id, user_id):
            connection.terminate(code, reason)
        return self.cluster.terminate(app_id, user_id, code, reason)

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
        """This instance's channels (with local subscribers)."""
        return iter(list(self._channels.get(app_id, {}).items()))

    def channel(self, app_id: str, channel: str) -> Channel | None:
        """This instance's state of the channel; None without local subscribers."""
        return self._channels.get(app_id, {}).get(channel)

    def occupied_channels(self, app_id: str) -> list[str]:
        """Channels with subscribers on any instance."""
        names = dict.fromkeys(self._channels.get(app_id, {}))
        names.update(dict.fromkeys(self.cluster.channels(app_id)))
        return list(names)

    def subscription_count(self, app_id: str, channel: str) -> int:
        """Subscribers of the channel on every instance."""
        state = self.channel(app_id, channel)
        here = len(state.subscribers) if state else 0
        return here + self.cluster.subscriptions(app_id, channel)

    def members_of(self, app_id: str, channel: str) -> dict[str, Any]:
        """The presence channel's members on every instance: user id -> user_info."""
        state = self.channel(app_id, channel)
        if state is None:
            return dict(self.cluster.members(app_id, channel))
        return {user_id: member.info for user_id, member in state.members.items()}

    def has_room_for(self, app_id: str, channel: str, user_id: str, limit: int) -> bool:
        """Whether the user is a member of the presence channel already, or it has fewer than
        `limit` members on every instance (without copying a large channel's members)."""
        state = self.channel(app_id, channel)
        members = self.cluster.members(app_id, channel) if state is None else state.members
        return user_id in members or len(members) < limit

    def is_subscribed(self, app_id: str, channel: str, socket_id: str) -> bool:
        state = self.channel(app_id, channel)
        return state is not None and socket_id in state.subscribers

    def presence_data(self, app_id: str, channel: str) -> dict[str, Any]:
        members = self.members_of(app_id, channel)
        return {"presence": {"ids": list(members), "hash": members, "count": len(members)}}

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
