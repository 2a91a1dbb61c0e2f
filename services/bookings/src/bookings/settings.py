"""Configuration of the bookings service, from the environment (prefix BOOKINGS_)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BookingsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKINGS_")

    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias="NATS_URL")
    database_url: str = "sqlite:///.data/bookings.db"
