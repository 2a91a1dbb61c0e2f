"""User accounts: signing in, looking up, creating (its `UserCreated` commits with the row) and
listing. Each takes a fresh unit of work and answers the public view, read inside it."""

from sqlalchemy.exc import IntegrityError

from contracts.envelope import Actor, Role
from contracts.errors import ErrorCode, ServiceError
from gateway.models import User
from gateway.schemas import UserPublic
from gateway.security import hash_password, verify_password
from gateway.unit_of_work import UnitOfWork


class EmailTaken(ServiceError):
    """Two accounts never share an email."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.conflict, "that email is already registered")


def public(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


async def find_by_email(uow: UnitOfWork, email: str) -> UserPublic | None:
    async with uow:
        user = await uow.users.by_email(email)
        return None if user is None else public(user)


async def is_registered(uow: UnitOfWork, email: str) -> bool:
    return await find_by_email(uow, email) is not None


async def sign_in(uow: UnitOfWork, email: str, password: str) -> UserPublic | None:
    """The account these credentials open, or None; an unknown email costs the same time."""
    async with uow:
        user = await uow.users.by_email(email)
        account, password_hash = (public(user), user.password_hash) if user else (None, None)
    return account if await verify_password(password, password_hash) else None


async def create(
    uow: UnitOfWork, email: str, name: str, role: Role, password: str, actor: Actor | None = None
) -> UserPublic:
    """Raises EmailTaken if another account has this email."""
    user = User.register(email, name, role, await hash_password(password), actor)
    try:
        async with uow:
            uow.users.add(user)
            await uow.commit()
            return public(user)
    except IntegrityError as exc:
        raise EmailTaken from exc


async def newest_first(
    uow: UnitOfWork, cursor: str | None, limit: int
) -> tuple[list[UserPublic], str | None]:
    """Raises `database.paging.InvalidCursor` for a cursor the gateway did not hand out."""
    async with uow:
        rows, next_cursor = await uow.users.newest_first(cursor, limit)
        return [public(user) for user in rows], next_cursor
