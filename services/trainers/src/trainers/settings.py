"""Configuration of the trainers service, from the environment (prefix TRAINERS_)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TrainersSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRAINERS_")

    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias="NATS_URL")
    database_url: str = "sqlite:///.data/trainers.db"
