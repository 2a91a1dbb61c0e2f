"""Configuration of the dev stack, from the environment (prefix CAMS_; NATS_URL as is)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from runtime.profile import Profile, ProfileSetting


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAMS_")

    # Unset: start the embedded nats-server (JetStream, data under data_dir) on nats_port.
    nats_url: str | None = Field(default=None, validation_alias="NATS_URL")
    nats_port: int = 4223  # 4222 is often a system NATS already
    data_dir: Path = Path(".data")
    gateway_port: int = 8000
    realtime_port: int = 8080
    # The realtime router's /metrics, beside the edge's (9108) and the gateway's (9109).
    realtime_router_metrics_port: int = 9110
    host: str = "127.0.0.1"
    seed_demo_users: bool = True  # never under CAMS_ENV=production (devstack/profile.py)
    # CAMS_ENV: `production` takes every secret from the environment and seeds nothing.
    env: ProfileSetting = Profile.development
    ready_timeout_seconds: float = 60.0
