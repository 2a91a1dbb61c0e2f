"""Configuration of the trainers service, from the environment (prefix TRAINERS_)."""

from pydantic_settings import SettingsConfigDict

from runtime.settings import DatabaseServiceSettings


class TrainersSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRAINERS_")

    database_url: str = "sqlite:///.data/trainers.db"
