"""Tables the gateway owns: users and their password hashes."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from contracts.envelope import Role, utc_now
from database.outbox import OUTBOX_TABLE


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)
    name: str = Field(max_length=120)
    role: Role
    password_hash: str
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


TABLES = [User.__table__, OUTBOX_TABLE]  # type: ignore[attr-defined]
