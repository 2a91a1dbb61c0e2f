"""The users directory: who exists and with which role, kept current from identity's
`UserCreated`, so that "every admin" is resolved here and never asked per event."""

from contracts.envelope import Role
from domain import Aggregate


class User(Aggregate):
    def __init__(self, user_id: int, role: Role, name: str) -> None:
        self.user_id = user_id
        self.role = role
        self.name = name

    @property
    def id(self) -> int | None:  # type: ignore[override]
        return self.user_id
