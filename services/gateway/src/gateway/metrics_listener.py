"""Prometheus `/metrics` on a listener of its own (`metrics_host`:`metrics_port`, loopback by
default), never on the public port: the numbers describe the service to whoever scrapes it."""

import socket

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def _metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def metrics_app() -> Starlette:
    return Starlette(routes=[Route("/metrics", _metrics)])


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound now so that a taken port stops the start with its error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)
