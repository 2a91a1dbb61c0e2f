"""Limits and timings of the Pusher server; the service's Settings builds one of these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ServerConfig:
    # Idle seconds before the server sends pusher:ping (also told to clients).
    activity_timeout: float = 30.0
    # Seconds to wait for any frame after a ping before closing with 4201.
    pong_timeout: float = 10.0
    # How often idle connections are checked; with the defaults a dead one goes within 41 s.
    sweep_interval: float = 1.0
    max_frame_bytes: int = 64 * 1024
    max_event_data_bytes: int = 10 * 1024
    client_events_per_second: int = 10
    max_presence_members: int = 100
    max_user_info_bytes: int = 1024
    max_channels_per_event: int = 100
    max_batch_events: int = 10
    # A subscriber whose unsent output grows past this is too slow and is dropped (4100).
    max_write_buffer_bytes: int = 4 * 1024 * 1024

    # -- protocol limits (docs/security.md) --
    # Channels one connection may be subscribed to at once.
    max_subscriptions_per_connection: int = 100
    # Subscribes and unsubscribes of one connection: a bucket of this many, refilled per second.
    subscription_burst: int = 100
    subscriptions_per_second: float = 10.0
    # Member caps of single presence channels, by name, instead of `max_presence_members`.
    presence_channel_max_members: Mapping[str, int] = field(default_factory=dict)

    # -- transport limits (docs/security.md) --
    # TCP connections held at once, in all and from one client address (0: no cap); beyond,
    # HTTP 503 / 429 or, on a WebSocket upgrade, the Pusher close 4100 (back off, retry).
    max_connections: int = 50_000
    max_connections_per_address: int = 1_000
    # A connection not upgraded must complete each request (or its upgrade) within this long
    # of opening or of its previous answer, else it is closed (408 if it began one).
    http_request_timeout: float = 10.0
    # WebSocket pings and pongs one client may send per second; beyond, it is closed (4100).
    max_control_frames_per_second: int = 10
    # Arrays and objects nested in one client message; deeper gets pusher:error 4300.
    max_json_depth: int = 32
