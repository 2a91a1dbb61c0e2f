"""REST bodies and answers of the gateway's own resources (users and tokens)."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from contracts.envelope import Role

# Deliberately plain: reserved domains such as the demo users' `cams.test` must be accepted.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    AfterValidator(str.lower),
]


class LoginBody(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=256)


class RegisterBody(BaseModel):
    email: Email
    name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=8, max_length=256)


class UserCreateBody(RegisterBody):
    role: Role


class UserPublic(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    created_at: datetime
    updated_at: datetime


class TokenAnswer(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic


class UserPage(BaseModel):
    items: list[UserPublic]
    next_cursor: str | None = None
