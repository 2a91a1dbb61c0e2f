"""Metrics of live refresh, in the Pusher server's registry so `/metrics` shows them."""

from prometheus_client import CollectorRegistry, Counter, Histogram


class LiveRefreshMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.recoveries = Counter(
            "live_refresh_recoveries",
            "Recovery frames sent, by why (gap: a connection was lost; bus: NATS came back)",
            ["cause", "resync"],
            registry=registry,
        )
        self.router_lag = Histogram(
            "live_refresh_router_lag_seconds",
            "From an event's occurrence to its frames leaving the router",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.routed = Counter(
            "live_refresh_routed_events",
            "Events routed, by outcome (done, retried)",
            ["outcome"],
            registry=registry,
        )
