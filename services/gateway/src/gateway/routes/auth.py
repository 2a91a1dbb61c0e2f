"""/auth/login, /auth/register and /me."""

from fastapi import APIRouter, HTTPException, status

from contracts.envelope import Role
from gateway import users
from gateway.routes.deps import CurrentUser, StateDep
from gateway.schemas import LoginBody, RegisterBody, TokenAnswer, UserPublic
from gateway.security import issue_token

router = APIRouter(tags=["auth"])


def _token_answer(state: StateDep, user: UserPublic) -> TokenAnswer:
    ttl = state.settings.token_ttl_seconds
    token = issue_token(state.settings.jwt_secret.get_secret_value(), user.id, user.role, ttl)
    return TokenAnswer(access_token=token, expires_in=ttl, user=user)


@router.post("/auth/login", response_model=TokenAnswer)
async def login(body: LoginBody, state: StateDep) -> TokenAnswer:
    user = await users.sign_in(state.new_uow(), body.email, body.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    return _token_answer(state, user)


@router.post("/auth/register", response_model=TokenAnswer, status_code=status.HTTP_201_CREATED)
async def register(body: RegisterBody, state: StateDep) -> TokenAnswer:
    user = await users.create(state.new_uow(), body.email, body.name, Role.parent, body.password)
    return _token_answer(state, user)


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    return user
