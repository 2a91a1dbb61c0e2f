"""Configuration of the gateway, from the environment (prefix GATEWAY_)."""

import ipaddress
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from gateway.business_day import local_time_zone_name, zone_of
from runtime.profile import DevOnly, SetInProduction
from runtime.settings import DatabaseServiceSettings


class GatewaySettings(DatabaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = "sqlite:///.data/gateway.db"
    jwt_secret: SecretStr = SecretStr("dev-only-change-me-in-production-0123456789")
    token_ttl_seconds: int = 3600
    request_timeout_seconds: float = 3.0
    # Browser origins of the frontend (docs/rest.md: its Next.js on 4300, `npm run dev` on 3000).
    # Development origins: CAMS_ENV=production refuses to start unless this is set.
    cors_origins: Annotated[list[str], SetInProduction()] = [
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://localhost:4300",
        "http://127.0.0.1:4300",
    ]

    # The Pusher app whose channels this gateway authorises (docs/rest.md: dev credentials).
    pusher_app_id: str = "cams"
    pusher_app_key: str = "local-dev-key"
    pusher_app_secret: SecretStr = SecretStr("local-dev-secret")
    pusher_encryption_master_key_base64: SecretStr | None = None

    # `Idempotency-Key` on POSTs (docs/rest.md): how long a key and its answer are kept, the
    # largest answer kept, and how long an unfinished first request holds its key before a retry
    # may take it over (its gateway stopped mid-request; far above any request's own timeout).
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=1)
    idempotency_max_body_bytes: int = Field(default=64 * 1024, ge=0)
    idempotency_lease_seconds: float = Field(default=60.0, gt=0)

    # The IANA zone whose "today" `GET /admin/today` shows (docs/rest.md): the machine's own
    # unless set; it should be the trainers service's too, which refuses a clock-in on another day.
    business_time_zone: str = Field(default_factory=local_time_zone_name)

    # Demo users are seeded only in the dev profile; CAMS_ENV=production refuses either set.
    seed_demo_users: Annotated[bool, DevOnly()] = False
    dev_password: Annotated[SecretStr, DevOnly()] = SecretStr("password")

    # -- limits (docs/security.md) --
    # Sign-in and registration (each an Argon2 hash): attempts allowed per client address and
    # per email within a sliding window, counted by token buckets (`limits.attempts`) that every
    # gateway replica shares in the NATS KV bucket `auth_attempts_bucket` (in memory, at most
    # `auth_attempts_bucket_max_bytes`). While NATS does not answer within
    # `auth_attempts_timeout_seconds`, or with `auth_attempts_shared` off, each replica counts
    # in its own process, at most `auth_tracked_keys` of each kind (least recently used
    # forgotten).
    auth_attempts_per_address: int = Field(default=60, ge=1)
    auth_attempts_per_email: int = Field(default=20, ge=1)
    auth_attempts_window_seconds: float = Field(default=60.0, gt=0)
    auth_tracked_keys: int = Field(default=100_000, ge=1)
    auth_attempts_shared: bool = True
    auth_attempts_bucket: str = Field(default="gateway_auth_attempts", pattern=r"^[A-Za-z0-9_-]+$")
    auth_attempts_bucket_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024 * 1024)
    auth_attempts_replicas: int = Field(default=1, ge=1, le=5)
    auth_attempts_timeout_seconds: float = Field(default=0.5, gt=0)
    # Password hashes run at once (CPU-bound threads) and requests allowed to wait for one;
    # past that a request is answered 503 with Retry-After instead of queueing without bound.
    password_hash_concurrency: int = Field(default=2, ge=1)
    password_hash_waiting: int = Field(default=32, ge=0)
    # Proxies (IP addresses or networks) whose X-Forwarded-For names the client; none by
    # default: the connection's peer is the client.
    trusted_proxies: list[str] = []
    # Largest request body (413 past it, chunked bodies too) and request head: request line
    # plus headers (431 past it).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    # Prometheus /metrics is served only on this separate listener (port 0: not served).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9109, ge=0, le=65535)

    @field_validator("trusted_proxies")
    @classmethod
    def _ip_networks(cls, value: list[str]) -> list[str]:
        for proxy in value:
            ipaddress.ip_network(proxy, strict=False)
        return value

    # -- end of limits --

    @field_validator("business_time_zone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        zone_of(value)
        return value

    @property
    def business_zone(self) -> ZoneInfo:
        return zone_of(self.business_time_zone)
