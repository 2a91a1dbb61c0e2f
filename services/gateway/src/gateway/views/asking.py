"""Asking one of the services a view joins, so that an absent one is named in the 503."""

from typing import Protocol

from contracts.envelope import R, Request
from contracts.errors import ErrorCode, ServiceError


class Asks(Protocol):
    """What a view needs of `routes.deps.Services`: a contract in, its typed reply out."""

    async def ask(self, message: Request[R]) -> R: ...


async def ask_service(services: Asks, service: str, needed_for: str, message: Request[R]) -> R:
    """The reply; a 503 whose detail says which service is away and what it was needed for."""
    try:
        return await services.ask(message)
    except ServiceError as exc:
        if exc.code is not ErrorCode.unavailable:
            raise
        raise ServiceError(
            ErrorCode.unavailable,
            f"the {service} service is unavailable, so {needed_for} cannot be shown now "
            f"({exc.message})",
        ) from exc
