"""JetStream streams: one per bounded context, each over its `events` subtree only."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    # None keeps messages for good; lifecycle facts only matter until webhooks have gone out.
    max_age_seconds: float | None = None


IDENTITY_EVENTS = StreamSpec("IDENTITY_EVENTS", ("identity.events.>",))
BOOKINGS_EVENTS = StreamSpec("BOOKINGS_EVENTS", ("bookings.events.>",))
TRAINERS_EVENTS = StreamSpec("TRAINERS_EVENTS", ("trainers.events.>",))
NOTIFICATIONS_EVENTS = StreamSpec("NOTIFICATIONS_EVENTS", ("notifications.events.>",))
LIVE_EVENTS = StreamSpec("LIVE_EVENTS", ("live.events.>",))
REALTIME_EVENTS = StreamSpec("REALTIME_EVENTS", ("realtime.events.>",), max_age_seconds=7 * 86400)
DEAD_LETTERS = StreamSpec("DEAD_LETTERS", ("deadletter.>",))

ALL_STREAMS = (
    IDENTITY_EVENTS,
    BOOKINGS_EVENTS,
    TRAINERS_EVENTS,
    NOTIFICATIONS_EVENTS,
    LIVE_EVENTS,
    REALTIME_EVENTS,
    DEAD_LETTERS,
)


def dead_letter_subject(consumer: str) -> str:
    """Where a consumer parks an event it cannot process, for a person to inspect."""
    return f"deadletter.{consumer}"
