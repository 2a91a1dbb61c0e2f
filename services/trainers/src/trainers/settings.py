"""Configuration of the trainers service, from the environment (prefix TRAINERS_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from contracts.trainers import AVAILABILITY_DATES_MAX
from runtime.settings import DatabaseServiceSettings

# A year of days, leap years included.
MAX_AVAILABILITY_DATES = 366


class TrainersSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRAINERS_")

    database_url: str = "sqlite:///.data/trainers.db"
    # The most distinct dates one availability set may hold; the contract caps it.
    max_availability_dates: int = Field(
        default=MAX_AVAILABILITY_DATES, ge=1, le=AVAILABILITY_DATES_MAX
    )
