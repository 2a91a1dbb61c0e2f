"""Configuration of the notifications service, from the environment (prefix NOTIFICATIONS_)."""

from pydantic_settings import SettingsConfigDict

from runtime.settings import DatabaseServiceSettings


class NotificationsSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_")

    database_url: str = "sqlite:///.data/notifications.db"
