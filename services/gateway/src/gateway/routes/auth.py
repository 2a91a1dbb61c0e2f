"""/auth/login, /auth/register and /me."""

from fastapi import APIRouter, HTTPException, status

from contracts.envelope import Role
from gateway import users as accounts
from gateway.deps import CurrentUser, StateDep
from gateway.schemas import LoginBody, RegisterBody, TokenAnswer, UserPublic
from gateway.security import issue_token, verify_password

router = APIRouter(tags=["auth"])


def _token_answer(state: StateDep, user: accounts.User) -> TokenAnswer:
    assert user.id is not None
    ttl = state.settings.token_ttl_seconds
    token = issue_token(state.settings.jwt_secret.get_secret_value(), user.id, user.role, ttl)
    return TokenAnswer(
        access_token=token,
        expires_in=ttl,
        user=UserPublic.model_validate(user, from_attributes=True),
    )


@router.post("/auth/login", response_model=TokenAnswer)
async def login(body: LoginBody, state: StateDep) -> TokenAnswer:
    user = await accounts.find_by_email(state.uow, body.email)
    known_hash = user.password_hash if user else None
    if not await verify_password(body.password, known_hash) or user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    return _token_answer(state, user)


@router.post("/auth/register", response_model=TokenAnswer, status_code=status.HTTP_201_CREATED)
async def register(body: RegisterBody, state: StateDep) -> TokenAnswer:
    user = await accounts.create(state.uow, body.email, body.name, Role.parent, body.password)
    return _token_answer(state, user)


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)
