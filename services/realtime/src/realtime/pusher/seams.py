"""The two seams the service wires in: where events are published, and who hears of changes.

`Publisher` carries a `Publication` to every node that may have subscribers; the default
delivers on this node only. A multi-node publisher (NATS) publishes, and on receipt calls
`Hub.deliver_local` with an equal `Publication`.

`HubListener` is told of channel occupancy, presence membership and client events, e.g. to
open an interest subscription or send a webhook. Methods may be sync or async; async ones run
as tasks and never hold up a connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, Protocol

from realtime.pusher.publication import Publication


class Publisher(Protocol):
    async def publish(self, publication: Publication) -> None:
        """Deliver the event to all subscribers of its channel, except `except_socket_id`."""


class HubListener(Protocol):
    def channel_occupied(self, app_id: str, channel: str) -> Awaitable[None] | None: ...

    def channel_vacated(self, app_id: str, channel: str) -> Awaitable[None] | None: ...

    def member_added(self, app_id: str, channel: str, user_id: str) -> Awaitable[None] | None: ...

    def member_removed(self, app_id: str, channel: str, user_id: str) -> Awaitable[None] | None: ...

    def client_event(
        self,
        app_id: str,
        channel: str,
        event: str,
        data: str,
        socket_id: str,
        user_id: str | None,
    ) -> Awaitable[None] | None: ...


class NullListener:
    """Hears everything, does nothing: the default."""

    def channel_occupied(self, app_id: str, channel: str) -> Awaitable[None] | None:
        return None

    def channel_vacated(self, app_id: str, channel: str) -> None:
        return None

    def member_added(self, app_id: str, channel: str, user_id: str) -> None:
        return None

    def member_removed(self, app_id: str, channel: str, user_id: str) -> None:
        return None

    def client_event(
        self,
        app_id: str,
        channel: str,
        event: str,
        data: str,
        socket_id: str,
        user_id: str | None,
    ) -> None:
        return None


class SessionObserver(Protocol):
    """Told of each confirmed subscription and each lost connection, e.g. to send a client what
    it missed while it was away; `position` is how far this node has surely delivered."""

    def position(self) -> int: ...

    def subscribed(self, app_id: str, channel: str, subscriber: Any) -> None: ...

    def lost(self, app_id: str, channels: Iterable[str], baseline: int) -> None: ...


class NullSessions:
    def position(self) -> int:
        return 0

    def subscribed(self, app_id: str, channel: str, subscriber: Any) -> None:
        return None

    def lost(self, app_id: str, channels: Iterable[str], baseline: int) -> None:
        return None


class ClusterView(Protocol):
    """The other instances' part of each channel, as this instance already holds it (a view
    kept up to date in the background; nothing here asks another instance and waits).

    `changed` is told of every local change of a channel's subscribers or members; what it
    returns is done once the change is known to the cluster. It tells the hub back, through
    `Hub.cluster_changed`, when a member appears on or leaves every other instance.
    """

    # A member gone from every instance stays this long before member_removed is sent.
    removal_grace: float

    def changed(self, app_id: str, channel: str) -> Awaitable[None] | None: ...

    def members(self, app_id: str, channel: str) -> Mapping[str, Any]:
        """Members on other instances: user id -> user_info."""

    def subscriptions(self, app_id: str, channel: str) -> int:
        """Subscribers on other instances."""

    def channels(self, app_id: str) -> Iterable[str]:
        """Channels with subscribers on other instances."""

    def terminate(
        self, app_id: str, user_id: str, code: int, reason: str
    ) -> Awaitable[None] | None:
        """Close the user's connections on the other instances."""


class Alone:
    """A single instance: there are no others (the default)."""

    removal_grace = 0.0

    def changed(self, app_id: str, channel: str) -> None:
        return None

    def members(self, app_id: str, channel: str) -> Mapping[str, Any]:
        return {}

    def subscriptions(self, app_id: str, channel: str) -> int:
        return 0

    def channels(self, app_id: str) -> Iterable[str]:
        return ()

    def terminate(self, app_id: str, user_id: str, code: int, reason: str) -> None:
        return None
