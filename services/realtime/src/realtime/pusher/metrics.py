"""Prometheus metrics of one Pusher server, in a registry of its own so servers never share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class BusEvents(Protocol):
    """What the metrics need of `messaging.connection.BusState`."""

    @property
    def is_connected(self) -> bool: ...

    def on_disconnected(self, listener: Callable[[], Any]) -> Callable[[], None]: ...

    def on_reconnected(self, listener: Callable[[], Any]) -> Callable[[], None]: ...


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.connections = Gauge(
            "pusher_connections", "Open WebSocket connections", registry=self.registry
        )
        self.subscriptions = Gauge(
            "pusher_subscriptions",
            "Channel subscriptions",
            ["channel_type"],
            registry=self.registry,
        )
        self.frames_out = Counter(
            "pusher_frames_out", "WebSocket frames written to clients", registry=self.registry
        )
        self.auth_failures = Counter(
            "pusher_auth_failures",
            "Refused signatures and subscriptions",
            ["code"],
            registry=self.registry,
        )
        self.http_api_calls = Counter(
            "pusher_http_api_calls",
            "Pusher HTTP API calls",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.refused_connections = Counter(
            "pusher_refused_connections",
            "Connections refused over a connection cap, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.dropped_connections = Counter(
            "pusher_dropped_connections",
            "Connections cut by the transport limits (slow_reader, control_frames, "
            "request_timeout)",
            ["reason"],
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "pusher_webhook_deliveries",
            "Webhook POSTs, by app and result (ok, error)",
            ["app_id", "result"],
            registry=self.registry,
        )
        self.webhook_retries = Counter(
            "pusher_webhook_retries",
            "Webhook events attempted again after a failure",
            ["app_id"],
            registry=self.registry,
        )

        self.bus_connected = Gauge(
            "nats_connected", "1 while the NATS connection is up, else 0", registry=self.registry
        )
        self.bus_disconnects = Counter(
            "nats_disconnects", "NATS connection losses", registry=self.registry
        )
        self.bus_reconnects = Counter(
            "nats_reconnects", "NATS connections re-established", registry=self.registry
        )

    def watch_bus(self, bus: BusEvents) -> None:
        self.bus_connected.set_function(lambda: 1.0 if bus.is_connected else 0.0)
        bus.on_disconnected(self.bus_disconnects.inc)
        bus.on_reconnected(self.bus_reconnects.inc)

    def render(self) -> bytes:
        return generate_latest(self.registry)
