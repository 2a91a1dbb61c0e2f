"""The service's clock: the UTC instant every timestamp takes, and the business day an instant
falls on in the configured time zone. Handed to the handlers, so tests fix it."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from contracts.envelope import utc_now


@dataclass(frozen=True)
class BusinessClock:
    # None: the machine's local zone, with its daylight-saving rules at each instant.
    zone: tzinfo | None = None
    source: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        """Now, in UTC whatever zone the source answers in (docs/rest.md: timestamps)."""
        return self.source().astimezone(UTC)

    def day_of(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()
