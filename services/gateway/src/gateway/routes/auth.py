"""/auth/login, /auth/register and /me."""

from fastapi import APIRouter, HTTPException, Request, status

from contracts.envelope import Role
from gateway import users
from gateway.routes.deps import CurrentUser, StateDep
from gateway.routes.errors import refusals
from gateway.schemas import LoginBody, RegisterBody, TokenAnswer, UserPublic
from gateway.security import issue_token

router = APIRouter(tags=["auth"])


def _token_answer(state: StateDep, user: UserPublic) -> TokenAnswer:
    ttl = state.settings.token_ttl_seconds
    token = issue_token(state.settings.jwt_secret.get_secret_value(), user.id, user.role, ttl)
    return TokenAnswer(access_token=token, expires_in=ttl, user=user)


@router.post("/auth/login", response_model=TokenAnswer, responses=refusals(401, 429, 503))
async def login(body: LoginBody, request: Request, state: StateDep) -> TokenAnswer:
    async with state.auth_guard.attempt(request, body.email):
        user = await users.sign_in(state.new_uow(), body.email, body.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    return _token_answer(state, user)


@router.post(
    "/auth/register",
    response_model=TokenAnswer,
    status_code=status.HTTP_201_CREATED,
    responses=refusals(409, 429, 503),
)
async def register(body: RegisterBody, request: Request, state: StateDep) -> TokenAnswer:
    async with state.auth_guard.attempt(request, body.email):
        user = await users.create(
            state.new_uow(), body.email, body.name, Role.parent, body.password
        )
    return _token_answer(state, user)


@router.get("/me", response_model=UserPublic, responses=refusals(401))
async def me(user: CurrentUser) -> UserPublic:
    return user
