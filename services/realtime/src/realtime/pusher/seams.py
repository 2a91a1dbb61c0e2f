"""The two seams the service wires in: where events are published, and who hears of changes.

`Publisher` carries a `Publication` to every node that may have subscribers; the default
delivers on this node only. A multi-node publisher (NATS) publishes, and on receipt calls
`Hub.deliver_local` with an equal `Publication`.

`HubListener` is told of channel occupancy, presence membership and client events, e.g. to
open an interest subscription or send a webhook. Methods may be sync or async; async ones run
as tasks and never hold up a connection.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

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
