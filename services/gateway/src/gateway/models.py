"""The gateway's tables: user accounts, the one aggregate, whose creation tells the other services
(`UserCreated`: a trainer's profile follows from it); and the idempotency keys of POSTs."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Table, UniqueConstraint
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


class IdempotencyKey(SQLModel, table=True):
    """A POST's `Idempotency-Key` and, once its request finished, the answer (docs/rest.md)."""

    __tablename__ = "idempotency_keys"
    # Only one of two concurrent requests with a key can insert its row: that one runs.
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=64)  # SHA-256 (hex) of the Authorization header, or "anonymous"
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int | None = None  # None while the first request runs
    content_type: str | None = Field(default=None, max_length=255)
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime = Field(index=True)


USERS: Table = User.__table__  # type: ignore[attr-defined]
IDEMPOTENCY_KEYS: Table = IdempotencyKey.__table__  # type: ignore[attr-defined]
TABLES = [USERS, IDEMPOTENCY_KEYS, OUTBOX_TABLE]
