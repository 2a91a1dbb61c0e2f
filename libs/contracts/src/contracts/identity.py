"""Identity (owned by the gateway): users and their roles."""

from typing import ClassVar

from contracts.envelope import Event, Role


class UserCreated(Event):
    subject: ClassVar[str] = "identity.events.user.created"

    user_id: int
    email: str
    name: str
    role: Role
