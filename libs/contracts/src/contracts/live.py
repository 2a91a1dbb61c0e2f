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
    """The data of the `LiveRefreshContextsUpdated` frame, as Echo receives it.

    `contexts` is what the seed's frontend reads. `versions` is each context's version after this
    change (the same numbers `GetContextVersions` answers); `resync` marks a recovery frame sent
    when the server cannot tell what a client missed, naming every context. The seed's frontend
    ignores both.
    """

    contexts: list[Context]
    versions: dict[Context, int] | None = None
    resync: bool | None = None


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
    """A Pusher event to deliver on one channel, sent to every realtime edge: by the router on
    `deliver_subject`, or by an edge (HTTP API triggers, client events) on `relay_subject`.

    Core NATS (not a stream): an edge subscribes to `frame_subjects(app, channel)`, which covers
    both, only while it has a local subscriber to that channel.
    """

    app_id: str
    channel: str
    event: str
    data: str
    except_socket_id: str | None = None
    user_id: str | None = None
    # A routed frame names its cause (the event id) so an edge drops a redelivered copy, and its
    # position (the highest version it sets) so an edge knows how far it has seen.
    id: str | None = None
    position: int | None = None


# Frames only the router publishes (routed, with an id and a position) ...
DELIVER_PREFIX = "live.deliver"
# ... and frames an edge publishes for the other edges, which never carry an id or a position
# that counts: NATS permissions can then let only the router publish on `live.deliver`.
RELAY_PREFIX = "live.relay"


def _tokens(text: str) -> str:
    return ".".join(token or "%" for token in text.split("."))


def deliver_subject(app_id: str, channel: str) -> str:
    """Channel names may hold '.', which NATS reads as a token separator. That is harmless for an
    exact subscription unless a token is empty, so an empty token becomes '%', a character no
    channel name (nor app id) may contain."""
    return f"{DELIVER_PREFIX}.{_tokens(app_id)}.{_tokens(channel)}"


def relay_subject(app_id: str, channel: str) -> str:
    return f"{RELAY_PREFIX}.{_tokens(app_id)}.{_tokens(channel)}"


def frame_subjects(app_id: str, channel: str) -> str:
    """One subscription for both kinds of frame of a channel (one per channel keeps an idle
    edge small). The wildcard also matches any other `live.{x}.` subject of the same shape, such
    as an event on `live.events.>`, so a receiver checks `frame_kind` first."""
    return f"live.*.{_tokens(app_id)}.{_tokens(channel)}"


def frame_kind(subject: str) -> str | None:
    """`DELIVER_PREFIX` or `RELAY_PREFIX` for a frame's subject; None for anything else."""
    prefix = ".".join(subject.split(".", 2)[:2])
    return prefix if prefix in (DELIVER_PREFIX, RELAY_PREFIX) else None


class ContextVersions(Reply):
    """Per context, a number that grows each time the caller was told the context changed (the
    revision of the change in the versions bucket, so it grows by more than one at a time).

    A client that reconnects compares these with what it last saw and refetches what moved.
    """

    versions: dict[str, int]


class GetContextVersions(Request[ContextVersions]):
    subject: ClassVar[str] = "live.requests.get_context_versions"
