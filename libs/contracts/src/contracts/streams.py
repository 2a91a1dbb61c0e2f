"""JetStream streams: each context module declares its own (`BOOKINGS_EVENTS` over
`bookings.events.>`, ...) and `contracts.catalogue.STREAMS` gathers them; dead letters are
everyone's, so they are declared here."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    # None: the deployment's age for its kind (`messaging.streams.StreamLimits`); a value is an
    # upper bound below it (lifecycle facts only matter until webhooks have gone out).
    max_age_seconds: float | None = None
    # Dead letters are parked for a person and never retried by a publisher: the oldest go when
    # the stream is full. Event streams refuse a publish instead, and the outbox retries it.
    dead_letters: bool = False


DEAD_LETTERS = StreamSpec("DEAD_LETTERS", ("deadletter.>",), dead_letters=True)


def dead_letter_subject(consumer: str) -> str:
    """Where a consumer parks an event it cannot process, for a person to inspect."""
    return f"deadletter.{consumer}"
