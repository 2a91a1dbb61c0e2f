"""Configuration of the realtime service, from the environment (prefix REALTIME_)."""

import base64

from pydantic import BaseModel, HttpUrl, SecretStr
from pydantic_settings import SettingsConfigDict

from realtime.pusher.apps import App
from realtime.webhooks.config import WebhookApp, WebhookName, WebhookTarget
from runtime.settings import ServiceSettings


class WebhookSettings(BaseModel):
    url: HttpUrl
    # Pusher's event names; None (the default) sends every kind.
    event_types: list[WebhookName] | None = None


class AppSettings(BaseModel):
    id: str
    key: str
    secret: SecretStr
    encryption_master_key_base64: SecretStr | None = None
    webhooks: list[WebhookSettings] = []

    def to_webhook_app(self) -> WebhookApp:
        targets = tuple(
            WebhookTarget(
                str(hook.url),
                None if hook.event_types is None else frozenset(hook.event_types),
            )
            for hook in self.webhooks
        )
        return WebhookApp(self.id, self.key, self.secret.get_secret_value(), targets)

    def to_app(self) -> App:
        master = self.encryption_master_key_base64
        return App(
            id=self.id,
            key=self.key,
            secret=self.secret.get_secret_value(),
            encryption_master_key=base64.b64decode(master.get_secret_value()) if master else None,
        )


class RealtimeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REALTIME_")

    host: str = "127.0.0.1"
    port: int = 8080
    # JSON list in REALTIME_APPS; the default is the dev app of README.md.
    apps: list[AppSettings] = [
        AppSettings(id="cams", key="local-dev-key", secret=SecretStr("local-dev-secret"))
    ]
    # The app whose channels carry live refresh frames.
    live_app_id: str = "cams"
    activity_timeout_seconds: float = 30.0
    pong_timeout_seconds: float = 10.0
    # A channel vacated (or a member gone) and back within this time sends no webhook.
    lifecycle_grace_seconds: float = 3.0
    webhook_max_deliver: int = 20
    webhook_timeout_seconds: float = 10.0
