"""What the routes share, built once in the composition root and kept on the app."""

from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.client import Client

from gateway.settings import GatewaySettings
from gateway.unit_of_work import UnitOfWork


@dataclass
class GatewayState:
    settings: GatewaySettings
    nc: Client
    new_uow: Callable[[], UnitOfWork]  # a fresh unit of work per use: one transaction each
