"""GET /metrics for the router role, which has no HTTP server of its own (the edge serves its
metrics on its own listener, `realtime.pusher.server`): prometheus_client's small threaded
server, bound to `metrics_host` (loopback by default), never a public port."""

import asyncio
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

from realtime.pusher.metrics import Metrics


@dataclass(frozen=True)
class MetricsListener:
    server: WSGIServer

    @classmethod
    def start(cls, host: str, port: int, metrics: Metrics) -> "MetricsListener":
        """Bound now: a taken port stops the start with its error."""
        server, _serving_thread = start_http_server(port, addr=host, registry=metrics.registry)
        return cls(server)

    async def close(self) -> None:
        # `shutdown` waits for the serving thread's loop to notice (half a second at most).
        await asyncio.to_thread(self.server.shutdown)
        self.server.server_close()
