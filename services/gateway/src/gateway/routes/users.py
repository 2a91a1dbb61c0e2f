"""/users: admins create and list accounts of every role."""

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from database.paging import decode_cursor, encode_cursor
from gateway import users as accounts
from gateway.deps import AdminUser, StateDep, actor_of
from gateway.routes.building import build
from gateway.schemas import UserCreateBody, UserPage, UserPublic

router = APIRouter(prefix="/users", tags=["users"])


class _ListQuery(BaseModel):
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreateBody, admin: AdminUser, state: StateDep) -> UserPublic:
    user = await accounts.create(
        state.uow, body.email, body.name, body.role, body.password, actor=actor_of(admin)
    )
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("", response_model=UserPage)
async def list_users(
    _: AdminUser, state: StateDep, cursor: str | None = None, limit: int = 50
) -> UserPage:
    page = build(_ListQuery, "query", cursor=cursor, limit=limit)
    try:
        below = decode_cursor(page.cursor)
    except ValueError as exc:
        raise HTTPException(
            422, [{"loc": ["query", "cursor"], "msg": str(exc), "type": "value_error"}]
        ) from exc
    rows, more = await accounts.newest_first(state.uow, below, page.limit)
    next_cursor = encode_cursor(rows[-1].id) if more and rows and rows[-1].id else None
    return UserPage(
        items=[UserPublic.model_validate(u, from_attributes=True) for u in rows],
        next_cursor=next_cursor,
    )
