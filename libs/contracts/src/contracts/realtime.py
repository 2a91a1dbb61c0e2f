"""Realtime context: lifecycle facts of the Pusher edge, for webhooks and our own services."""

from typing import ClassVar

from contracts.envelope import Event
from contracts.streams import StreamSpec

# Lifecycle facts matter only until their webhooks have gone out.
REALTIME_EVENTS = StreamSpec("REALTIME_EVENTS", ("realtime.events.>",), max_age_seconds=7 * 86400)


class ChannelLifecycleEvent(Event):
    app_id: str
    channel: str


class ChannelOccupied(ChannelLifecycleEvent):
    subject: ClassVar[str] = "realtime.events.channel.occupied"


class ChannelVacated(ChannelLifecycleEvent):
    subject: ClassVar[str] = "realtime.events.channel.vacated"


class MemberAdded(ChannelLifecycleEvent):
    subject: ClassVar[str] = "realtime.events.member.added"

    user_id: str


class MemberRemoved(ChannelLifecycleEvent):
    subject: ClassVar[str] = "realtime.events.member.removed"

    user_id: str


class ClientEventTriggered(ChannelLifecycleEvent):
    subject: ClassVar[str] = "realtime.events.client_event.triggered"

    event: str
    data: str
    socket_id: str
    user_id: str | None = None
