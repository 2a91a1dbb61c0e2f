"""/users: admins create and list accounts of every role."""

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from database.paging import InvalidCursor
from gateway import users
from gateway.routes.building import build
from gateway.routes.deps import AdminUser, StateDep, actor_of
from gateway.routes.errors import field_error, refusals
from gateway.schemas import UserCreateBody, UserPage, UserPublic

router = APIRouter(prefix="/users", tags=["users"], responses=refusals(401, 403, 409, 503))


class _ListQuery(BaseModel):
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreateBody, admin: AdminUser, state: StateDep) -> UserPublic:
    async with state.auth_guard.hashing():
        return await users.create(
            state.new_uow(), body.email, body.name, body.role, body.password, actor=actor_of(admin)
        )


@router.get("", response_model=UserPage)
async def list_users(
    _: AdminUser, state: StateDep, cursor: str | None = None, limit: int = 50
) -> UserPage:
    page = build(_ListQuery, "query", cursor=cursor, limit=limit)
    try:
        items, next_cursor = await users.newest_first(state.new_uow(), page.cursor, page.limit)
    except InvalidCursor as exc:
        raise field_error("query", "cursor", str(exc)) from exc
    return UserPage(items=items, next_cursor=next_cursor)
