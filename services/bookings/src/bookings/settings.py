"""Configuration of the bookings service, from the environment (prefix BOOKINGS_)."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from runtime.settings import DatabaseServiceSettings

SCHEDULES_OF_DAY_LIMIT = 2000


class BookingsSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKINGS_")

    database_url: str = "sqlite:///.data/bookings.db"
    # How long an assignment waits for the trainers service before answering `unavailable`.
    trainers_timeout_seconds: float = Field(default=2.0, gt=0)
    # The most sessions ListSchedulesOfDay answers for one date.
    schedules_of_day_limit: int = Field(default=SCHEDULES_OF_DAY_LIMIT, ge=1)
    # Sandbox trigger of the development processor: these amounts are declined
    # (`BOOKINGS_PAYMENTS_DECLINE_AMOUNTS=13.13,666`).
    payments_decline_amounts: Annotated[list[Decimal], NoDecode] = []

    @field_validator("payments_decline_amounts", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
