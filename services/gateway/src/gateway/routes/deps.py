"""FastAPI dependencies, named as the types the routes receive: the shared state, the signed-in
user (401 without a valid token), an admin (403 for anyone else), and the services.

Every dependency is `async def`: FastAPI runs a plain `def` (or a class) in a worker thread,
a thread hop per request for what takes microseconds."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts.envelope import Actor, R, Role
from contracts.envelope import Request as ServiceRequest
from gateway.idempotency import service_request_id
from gateway.schemas import UserPublic
from gateway.security import read_token
from gateway.state import GatewayState
from messaging.requests import request as nats_request

_bearer = HTTPBearer(auto_error=False)


async def get_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]


async def get_current_user(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> UserPublic:
    user_id = (
        None
        if credentials is None
        else read_token(state.settings.jwt_secret.get_secret_value(), credentials.credentials)
    )
    user = None if user_id is None else await state.directory.public(user_id)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "not authenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[UserPublic, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> UserPublic:
    if user.role is not Role.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")
    return user


AdminUser = Annotated[UserPublic, Depends(get_admin)]


def actor_of(user: UserPublic) -> Actor:
    return Actor(user_id=user.id, role=user.role, name=user.name)


class Services:
    """Sends a contract to its service and returns the typed reply; a refusal propagates as
    ServiceError, which `routes.errors` answers with its status."""

    def __init__(self, state: StateDep) -> None:
        self._state = state

    async def ask(self, message: ServiceRequest[R]) -> R:
        return await nats_request(
            self._state.nc,
            message,
            timeout=self._state.settings.request_timeout_seconds,
            request_id=service_request_id(message.subject),  # under an Idempotency-Key
        )


async def get_services(state: StateDep) -> Services:
    return Services(state)


ServicesDep = Annotated[Services, Depends(get_services)]
