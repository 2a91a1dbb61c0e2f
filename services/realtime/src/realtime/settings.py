"""Configuration of the realtime service, from the environment (prefix REALTIME_)."""

import base64
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, HttpUrl, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from contracts.live import ONLINE_CHANNEL
from realtime.pusher.apps import App
from realtime.webhooks.config import WebhookApp, WebhookName, WebhookTarget
from realtime.webhooks.targets import is_internal_target
from runtime.profile import Refusal
from runtime.settings import ServiceSettings

_APP_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


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
    # Whether clients may send client-* events (whispers) to a private or presence channel's
    # other subscribers; off, as in Pusher: any subscriber could otherwise message everyone.
    enable_client_messages: bool = False
    # Whether unsigned public channels may be subscribed (the Pusher protocol has them).
    allow_public_channels: bool = True

    @field_validator("id", "key")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        # Ids end up in NATS subjects and keys in URL paths: ASCII letters, digits, - _ . only.
        if not _APP_NAME.fullmatch(value):
            raise ValueError("must be 1-64 ASCII letters, digits, '-', '_' or '.'")
        return value

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
            client_events=self.enable_client_messages,
            public_channels=self.allow_public_channels,
        )


class Role(StrEnum):
    """What one realtime process runs (docs/architecture.md, "Two roles")."""

    all = "all"  # both, in one process
    edge = "edge"  # the Pusher server and everything that holds or serves its clients
    router = "router"  # the live refresh router, GetContextVersions and the webhooks


class RealtimeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REALTIME_")

    host: str = "127.0.0.1"
    port: int = 8080
    # What this process runs (REALTIME_ROLE): `edge` and `router` apart get a core each and
    # NATS permissions of their own (only the router publishes on live.deliver).
    role: Role = Role.all
    # JSON list in REALTIME_APPS; the default is the dev app of README.md (CAMS_ENV=production
    # refuses its secret, and webhooks to loopback or private addresses).
    apps: list[AppSettings] = [
        AppSettings(
            id="cams",
            key="local-dev-key",
            secret=SecretStr("local-dev-secret"),
            allow_public_channels=False,  # CAMS uses private and presence channels only
        )
    ]
    # The app whose channels carry live refresh frames.
    live_app_id: str = "cams"
    activity_timeout_seconds: float = 30.0
    pong_timeout_seconds: float = 10.0
    # A channel vacated (or a member gone) and back within this time sends no webhook.
    lifecycle_grace_seconds: float = 3.0
    webhook_max_deliver: int = 20
    webhook_timeout_seconds: float = 10.0

    # -- live refresh router and recovery (docs/architecture.md) --
    # Events the router takes from a stream at once; their bumps and frames are pipelined.
    router_batch: int = 256
    # How long the router waits for the versions bucket to acknowledge a batch's bumps.
    router_ack_timeout_seconds: float = 5.0
    # Frames reach an edge out of version order by at most this much (a router's batch time).
    recovery_margin_seconds: float = 5.0
    # A lost connection's gap record is kept this long: a client away longer learns nothing.
    recovery_keep_seconds: float = 86_400.0
    # Copies of the versions and gap buckets: 3 on a three-node NATS cluster (1 for the dev stack).
    live_refresh_replicas: int = 1

    # -- graceful stop (SIGTERM; docs/architecture.md#draining) --
    # The edge stops accepting at once, then closes its connections with 4200 ("reconnect now")
    # spread evenly over this many seconds, so clients move to other instances without a herd.
    drain_seconds: float = 10.0

    # -- presence and occupancy across instances (docs/architecture.md, "Presence and
    # occupancy across instances") --
    # The NATS KV bucket where each instance keeps its channels' subscriber counts and members,
    # and its number of replicas (3 on a three-node NATS cluster).
    presence_bucket: str = "realtime_presence"
    presence_replicas: int = 1
    # Each instance renews its heartbeat this often; one not renewed within the TTL (whole
    # seconds) is gone, and its members and subscribers with it.
    presence_heartbeat_seconds: float = 2.0
    presence_instance_ttl_seconds: int = 10
    # A member gone from every instance is removed (member_removed) only after this long, so a
    # user moving to another instance (a rolling restart) is not seen leaving and coming back.
    presence_removal_grace_seconds: float = 3.0
    # How long the marker of a removed entry stays in the bucket (whole seconds): a watcher cut
    # off for longer than this may miss removals.
    presence_marker_ttl_seconds: int = 3600
    # A subscription is confirmed once the cluster view has it, or after this long without NATS.
    presence_confirm_timeout_seconds: float = 2.0

    # -- protocol limits (docs/security.md) --
    # Channels one connection may be subscribed to at once; beyond, pusher:subscription_error.
    max_subscriptions_per_connection: int = 100
    # Subscribes and unsubscribes of one connection: bursts of this many (a reconnecting client
    # resubscribes all at once), then this many per second.
    subscription_burst: int = 100
    subscriptions_per_second: float = 10.0
    # Members of one presence channel (Pusher's limit), and larger caps of named channels:
    # everyone signed in joins presence-online. Each join is sent every member (~100 bytes
    # each), so 10,000 is about 1 MB, within a connection's 4 MB write buffer.
    presence_max_members: int = 100
    presence_channel_max_members: dict[str, int] = {ONLINE_CHANNEL: 10_000}
    # Lifecycle facts (the webhooks' source) waiting for NATS; beyond, the oldest are dropped.
    lifecycle_max_queued: int = 10_000

    def protocol_limits(self) -> dict[str, Any]:
        """The `ServerConfig` fields of the protocol limits above."""
        return {
            "max_subscriptions_per_connection": self.max_subscriptions_per_connection,
            "subscription_burst": self.subscription_burst,
            "subscriptions_per_second": self.subscriptions_per_second,
            "max_presence_members": self.presence_max_members,
            "presence_channel_max_members": dict(self.presence_channel_max_members),
        }

    def production_refusals(self) -> list[Refusal]:
        return [
            Refusal(
                "REALTIME_APPS",
                f"sends app {app.id!r} webhooks to {hook.url}, not a public address: "
                "production posts webhooks to public hosts only",
            )
            for app in self.apps
            for hook in app.webhooks
            if is_internal_target(str(hook.url))
        ]

    # -- transport limits (docs/security.md) --
    # TCP connections held at once, in all and from one client address (0: no cap); beyond,
    # HTTP 503 / 429 with Retry-After, or the Pusher close 4100 on a WebSocket upgrade. Behind
    # a proxy that hides client addresses, raise the per-address cap or set it to 0.
    max_connections: int = 50_000
    max_connections_per_address: int = 1_000
    # A connection not upgraded must complete each request (or its WebSocket upgrade) within
    # this long of opening or of its previous answer, else it is closed (408 if it began one).
    http_request_timeout_seconds: float = 10.0
    # A client whose unsent output (frames, pongs, HTTP answers) passes this is dropped (4100).
    max_write_buffer_bytes: int = 4 * 1024 * 1024
    # WebSocket pings and pongs one client may send per second; beyond, it is closed (4100).
    max_control_frames_per_second: int = 10
    # Arrays and objects nested in one client message; deeper gets pusher:error 4300. At most
    # 200: JSON encoding gives up at 254 levels.
    max_json_depth: int = 32
    # GET /metrics is served here only, never on the public port; 0 turns it off.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9108

    @field_validator("max_json_depth")
    @classmethod
    def _depth_encodable(cls, value: int) -> int:
        if not 1 <= value <= 200:
            raise ValueError("must be between 1 and 200")
        return value

    def transport_limits(self) -> dict[str, Any]:
        """The `ServerConfig` fields of the transport limits above."""
        return {
            "max_connections": self.max_connections,
            "max_connections_per_address": self.max_connections_per_address,
            "http_request_timeout": self.http_request_timeout_seconds,
            "max_write_buffer_bytes": self.max_write_buffer_bytes,
            "max_control_frames_per_second": self.max_control_frames_per_second,
            "max_json_depth": self.max_json_depth,
        }
