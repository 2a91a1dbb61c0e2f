"""Configuration of the notifications service, from the environment (prefix NOTIFICATIONS_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from notifications.retention import Ages
from runtime.settings import DatabaseServiceSettings


class NotificationsSettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_")

    database_url: str = "sqlite:///.data/notifications.db"
    # How often an event whose handling fails is tried before it goes to the dead letters.
    max_deliver: int = Field(default=5, ge=1, le=100)
    # How long a delivered event may go unacknowledged (a stopped instance's batch) before
    # JetStream hands it out again.
    ack_wait_seconds: float = Field(default=30.0, gt=0)
    # Retention: read notifications and feed entries older than these many days are deleted,
    # every `retention_interval_seconds`, `retention_batch` rows per transaction.
    read_notifications_days: int = Field(default=90, ge=1)
    activity_days: int = Field(default=180, ge=1)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    retention_batch: int = Field(default=500, ge=1, le=10_000)

    def ages(self) -> Ages:
        return Ages(self.read_notifications_days, self.activity_days, self.retention_batch)
