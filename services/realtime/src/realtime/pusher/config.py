"""Limits and timings of the Pusher server; the service's Settings builds one of these."""

from __future__ import annotations

from dataclasses import dataclass


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
