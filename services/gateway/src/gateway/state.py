"""What the routes share, built once in the composition root and kept on the app."""

from dataclasses import dataclass

from nats.aio.client import Client

from gateway.settings import GatewaySettings
from gateway.unit_of_work import UnitOfWork


@dataclass
class GatewayState:
    settings: GatewaySettings
    nc: Client
    uow: UnitOfWork
