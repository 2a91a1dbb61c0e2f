"""Live refresh: the frame browsers receive, its channels, and the generic refresh order."""

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Contract, Event, Reply, Request
from contracts.streams import StreamSpec

# The stream of this context's events (its `events` subtree only).
LIVE_EVENTS = StreamSpec("LIVE_EVENTS", ("live.events.>",))


LIVE_REFRESH_EVENT = "LiveRefreshContextsUpdated"
ADMIN_CHANNEL = "private-live-refresh.admin"
ONLINE_CHANNEL = "presence-online"


class Context(StrEnum):
    """Names of the data a page refetches (docs/triggers.md), plus `activity` for the feed."""

    notifications = "notifications"
    bookings = "bookings"
    trainer_schedules = "trainer_schedules"
    children = "children"
    trainer_availability = "trainer_availability"
    activity = "activity"


def user_channel(user_id: int) -> str:
    return f"private-live-refresh.{user_id}"


class LiveRefreshContextsUpdated(Contract):
    """The data of the `LiveRefreshContextsUpdated` frame, as Echo receives it."""

    contexts: list[Context]


class LiveRefreshRequested(Event):
    """Any service may ask for a refresh directly, as the replaced system's
    `notify(contexts, users, admins)` did (docs/triggers.md).

    The admin-only system change (a bulk action) is `user_ids=[]`, `notify_admins=True`.
    """

    subject: ClassVar[str] = "live.events.refresh.requested"

    contexts: list[Context] = Field(min_length=1)
    user_ids: list[int] = []
    notify_admins: bool = False


class ChannelFrame(Contract):
    """A Pusher event to deliver on one channel, sent by the router to every realtime edge.

    Core NATS (not a stream): an edge subscribes to `deliver_subject(app, channel)` only while it
    has a local subscriber to that channel.
    """

    app_id: str
    channel: str
    event: str
    data: str
    except_socket_id: str | None = None
    user_id: str | None = None


DELIVER_PREFIX = "live.deliver"


def _tokens(text: str) -> str:
    return ".".join(token or "%" for token in text.split("."))


def deliver_subject(app_id: str, channel: str) -> str:
    """Channel names may hold '.', which NATS reads as a token separator. That is harmless for an
    exact subscription unless a token is empty, so an empty token becomes '%', a character no
    channel name (nor app id) may contain."""
    return f"{DELIVER_PREFIX}.{_tokens(app_id)}.{_tokens(channel)}"


class ContextVersions(Reply):
    """Per context, a number that grows each time the caller was told the context changed.

    A client that reconnects compares these with what it last saw and refetches what moved.
    """

    versions: dict[str, int]


class GetContextVersions(Request[ContextVersions]):
    subject: ClassVar[str] = "live.requests.get_context_versions"
