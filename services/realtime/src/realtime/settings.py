"""Configuration of the realtime service, from the environment (prefix REALTIME_)."""

import base64

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from realtime.pusher.apps import App


class AppSettings(BaseModel):
    id: str
    key: str
    secret: SecretStr
    encryption_master_key_base64: SecretStr | None = None

    def to_app(self) -> App:
        master = self.encryption_master_key_base64
        return App(
            id=self.id,
            key=self.key,
            secret=self.secret.get_secret_value(),
            encryption_master_key=base64.b64decode(master.get_secret_value()) if master else None,
        )


class RealtimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REALTIME_")

    host: str = "127.0.0.1"
    port: int = 8080
    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias="NATS_URL")
    # JSON list in REALTIME_APPS; the default is design.md's dev app.
    apps: list[AppSettings] = [
        AppSettings(id="cams", key="local-dev-key", secret=SecretStr("local-dev-secret"))
    ]
    # The app whose channels carry live refresh frames.
    live_app_id: str = "cams"
    activity_timeout_seconds: float = 30.0
    pong_timeout_seconds: float = 10.0
