"""Identity (owned by the gateway): users and their roles."""

from typing import ClassVar

from contracts.envelope import Event, Role
from contracts.streams import StreamSpec

# The stream of this context's events (its `events` subtree only).
IDENTITY_EVENTS = StreamSpec("IDENTITY_EVENTS", ("identity.events.>",))


class UserCreated(Event):
    subject: ClassVar[str] = "identity.events.user.created"

    user_id: int
    email: str
    name: str
    role: Role
