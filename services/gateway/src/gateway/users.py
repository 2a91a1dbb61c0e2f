"""User accounts: lookup, creation (with its UserCreated event), listing."""

from fastapi import HTTPException, status
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from contracts.envelope import Actor, Role
from contracts.identity import UserCreated
from database.outbox import stage
from gateway.models import User
from gateway.security import hash_password
from gateway.unit_of_work import UnitOfWork

__all__ = ["User", "create", "find_by_email", "newest_first"]


async def find_by_email(uow: UnitOfWork, email: str) -> User | None:
    async with uow.reading() as session:
        return (await session.exec(select(User).where(User.email == email.lower()))).first()


async def create(
    uow: UnitOfWork, email: str, name: str, role: Role, password: str, actor: Actor | None = None
) -> User:
    """Create a user; 409 if the email is taken. A trainer's profile follows from the event."""
    user = User(
        email=email.lower(), name=name, role=role, password_hash=await hash_password(password)
    )
    try:
        async with uow.transaction() as session:
            session.add(user)
            await session.flush()
            assert user.id is not None
            stage(
                session,
                UserCreated(user_id=user.id, email=user.email, name=name, role=role, actor=actor),
            )
    except IntegrityError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, "that email is already registered") from exc
    return user


async def newest_first(uow: UnitOfWork, below: int | None, limit: int) -> tuple[list[User], bool]:
    query = select(User).order_by(col(User.id).desc()).limit(limit + 1)
    if below is not None:
        query = query.where(col(User.id) < below)
    async with uow.reading() as session:
        rows = list((await session.exec(query)).all())
    return rows[:limit], len(rows) > limit
