"""Prometheus metrics of the REST gateway: requests by route and status, their latency, and
where sign-in attempts were counted."""

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("gateway_http_requests", "REST requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "gateway_http_request_seconds", "Time to answer a REST request", ["method", "route"]
)
# "shared": in the NATS KV bucket of every replica; "process": in this replica alone (NATS away).
ATTEMPTS_COUNTED = Counter(
    "gateway_auth_attempts_counted", "Sign-in and registration attempts counted", ["where"]
)


def route_template(scope: Scope) -> str:
    """The matched route as a template (`/api/v1/children/{child_id}`), which keeps the label set
    small. Nested routers report their path relative to their prefix, so the prefix is recovered
    from the request path."""
    route = getattr(scope.get("route"), "path", None)
    if route is None:
        return "unmatched"
    try:
        concrete = route.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return str(route)
    path: str = scope["path"]
    return path[: len(path) - len(concrete)] + route if path.endswith(concrete) else str(route)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = route_template(scope)
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
