"""The gateway's one aggregate and table: a user account, whose creation tells the other
services (`UserCreated`: a trainer's profile follows from it)."""

from datetime import datetime

from sqlalchemy import Table
from sqlmodel import Field, SQLModel

from contracts.envelope import Actor, Role, utc_now
from contracts.identity import UserCreated
from database.outbox import OUTBOX_TABLE
from domain import Aggregate


class User(SQLModel, Aggregate, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)
    name: str = Field(max_length=120)
    role: Role
    password_hash: str
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @classmethod
    def register(
        cls, email: str, name: str, role: Role, password_hash: str, actor: Actor | None = None
    ) -> "User":
        """A new account (emails compare in lower case); its event goes out with its row."""
        user = cls(email=email.lower(), name=name, role=role, password_hash=password_hash)
        user.record_once_identified(
            lambda user_id: UserCreated(
                user_id=user_id, email=user.email, name=name, role=role, actor=actor
            )
        )
        return user


USERS: Table = User.__table__  # type: ignore[attr-defined]
TABLES = [USERS, OUTBOX_TABLE]
