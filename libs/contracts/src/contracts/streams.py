"""JetStream streams: each context module declares its own (`BOOKINGS_EVENTS` over
`bookings.events.>`, ...) and `contracts.catalogue.STREAMS` gathers them; dead letters are
everyone's, so they are declared here."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    # None keeps messages for good; lifecycle facts only matter until webhooks have gone out.
    max_age_seconds: float | None = None


DEAD_LETTERS = StreamSpec("DEAD_LETTERS", ("deadletter.>",))


def dead_letter_subject(consumer: str) -> str:
    """Where a consumer parks an event it cannot process, for a person to inspect."""
    return f"deadletter.{consumer}"
