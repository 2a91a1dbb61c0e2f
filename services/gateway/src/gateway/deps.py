"""FastAPI dependencies, named as the types the routes receive."""

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts.envelope import Actor, R, Role
from contracts.envelope import Request as ServiceRequest
from contracts.errors import HTTP_STATUS, ServiceError
from gateway.models import User
from gateway.security import read_token
from gateway.state import GatewayState
from messaging.requests import request as nats_request

_bearer = HTTPBearer(auto_error=False)


def get_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]


async def get_current_user(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    unauthorised = HTTPException(
        status.HTTP_401_UNAUTHORIZED, "not authenticated", headers={"WWW-Authenticate": "Bearer"}
    )
    if credentials is None:
        raise unauthorised
    user_id = read_token(state.settings.jwt_secret.get_secret_value(), credentials.credentials)
    if user_id is None:
        raise unauthorised
    async with state.uow.reading() as session:
        user = await session.get(User, user_id)
    if user is None:
        raise unauthorised
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> User:
    if user.role is not Role.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


def actor_of(user: User) -> Actor:
    assert user.id is not None
    return Actor(user_id=user.id, role=user.role, name=user.name)


class Services:
    """Sends a contract to its service; a failure becomes the matching HTTP status."""

    def __init__(self, state: StateDep) -> None:
        self._state = state

    async def ask(self, message: ServiceRequest[R]) -> R:
        try:
            return await nats_request(
                self._state.nc, message, timeout=self._state.settings.request_timeout_seconds
            )
        except ServiceError as exc:
            detail: Any = exc.message
            if exc.fields:
                detail = [field.model_dump() for field in exc.fields]
            raise HTTPException(HTTP_STATUS[exc.code], detail) from exc


ServicesDep = Annotated[Services, Depends(Services)]
