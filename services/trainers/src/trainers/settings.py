"""Configuration of the trainers service, from the environment (prefix TRAINERS_)."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from contracts.trainers import AVAILABILITY_DATES_MAX
from runtime.settings import DatabaseServiceSettings

# A year of days, leap years included.
MAX_AVAILABILITY_DATES = 366
# The most activity logs one session's activity answers with, newest first.
SESSION_ACTIVITY_LOGS = 100


class TrainersSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRAINERS_")

    database_url: str = "sqlite:///.data/trainers.db"
    # The most distinct dates one availability set may hold; the contract caps it.
    max_availability_dates: int = Field(
        default=MAX_AVAILABILITY_DATES, ge=1, le=AVAILABILITY_DATES_MAX
    )
    # How long a request about a session waits for the bookings service before `unavailable`.
    bookings_timeout_seconds: float = Field(default=2.0, gt=0)
    # The IANA zone whose calendar day "today" is for a clock-in (`Europe/London`); unset or
    # empty: the machine's local zone.
    business_time_zone: str | None = None
    session_activity_logs: int = Field(default=SESSION_ACTIVITY_LOGS, ge=1, le=1000)

    @field_validator("business_time_zone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if not name:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {name!r} (an IANA name, e.g. Europe/London)"
            ) from exc
        return name

    def business_zone(self) -> ZoneInfo | None:
        """The configured zone, or None for the machine's own."""
        return ZoneInfo(self.business_time_zone) if self.business_time_zone else None
