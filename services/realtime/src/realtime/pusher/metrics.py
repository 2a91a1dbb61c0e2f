"""Prometheus metrics of one Pusher server, in a registry of its own so servers never share."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


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

    def render(self) -> bytes:
        return generate_latest(self.registry)
