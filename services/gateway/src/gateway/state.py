"""What the routes share, built once in the composition root and kept on the app."""

from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.client import Client

from gateway.adapters.repositories import UserDirectory
from gateway.limits.auth_guard import AuthGuard
from gateway.settings import GatewaySettings
from gateway.unit_of_work import UnitOfWork


@dataclass
class GatewayState:
    settings: GatewaySettings
    nc: Client
    new_uow: Callable[[], UnitOfWork]  # a fresh unit of work per use: one transaction each
    directory: UserDirectory  # the token's user, read without a unit of work
    auth_guard: AuthGuard  # rate limits and hash slots before every password hash
