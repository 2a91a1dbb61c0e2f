"""The envelope every event and request carries: who did it, when, and a unique id."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    parent = "parent"
    trainer = "trainer"
    admin = "admin"


class Actor(BaseModel):
    """The signed-in user on whose behalf a request is made or an event happened."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: int
    role: Role
    name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


def utc_now() -> datetime:
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every message: strict about unknown fields so that drift is loud."""

    model_config = ConfigDict(extra="forbid")


class Event(Contract):
    """A fact, in the past tense, published once through an outbox on `subject`."""

    subject: ClassVar[str]

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=utc_now)
    actor: Actor | None = None


# The NATS header naming one request a sender may send more than once (a retry): a service
# applies a request id once and answers a repeat with the first answer.
REQUEST_ID_HEADER = "Cams-Request-Id"


class Reply(Contract):
    """Base of every reply."""


R = TypeVar("R", bound=Reply)


class Request(Contract, Generic[R]):
    """An order sent over NATS request/reply, named with the reply that answers it:
    `class GetChild(Request[ChildDetails])`, so `request(nc, GetChild(...))` is a ChildDetails."""

    subject: ClassVar[str]
    reply: ClassVar[type[Reply]]

    actor: Actor

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for base in cls.__mro__:
            generic = getattr(base, "__pydantic_generic_metadata__", None)
            if generic and generic["origin"] is Request and generic["args"]:
                cls.reply = generic["args"][0]
                return


class Deleted(Reply):
    id: int


class Page(Reply):
    """A page of a list: newest first, `next_cursor` opaque, null on the last page."""

    items: list[Any]
    next_cursor: str | None = None
