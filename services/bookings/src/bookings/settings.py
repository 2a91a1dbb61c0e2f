"""Configuration of the bookings service, from the environment (prefix BOOKINGS_)."""

from pydantic_settings import SettingsConfigDict

from runtime.settings import DatabaseServiceSettings


class BookingsSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKINGS_")

    database_url: str = "sqlite:///.data/bookings.db"
