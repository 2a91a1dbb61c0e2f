"""A child: registered by a parent (or an admin for them), renamed, its checklist submitted,
removed. Each change records the event that tells the rest of the system."""

from datetime import date, datetime
from typing import Any

from bookings.domain import access
from contracts.bookings import ChildChecklistSubmitted, ChildCreated, ChildDeleted, ChildUpdated
from contracts.envelope import Actor, utc_now
from contracts.errors import ErrorCode, ServiceError
from domain import Aggregate


class Child(Aggregate):
    def __init__(self, parent_id: int, name: str, date_of_birth: date) -> None:
        self.id: int | None = None
        self.parent_id = parent_id
        self.name = name
        self.date_of_birth = date_of_birth
        self.checklist: dict[str, Any] | None = None
        self.checklist_submitted_at: datetime | None = None
        self.created_at = self.updated_at = utc_now()

    @classmethod
    def register(cls, actor: Actor, parent_id: int, name: str, date_of_birth: date) -> "Child":
        access.require_may_add_child(actor, parent_id)
        child = cls(parent_id, name, date_of_birth)
        child.record_once_identified(
            lambda child_id: ChildCreated(child_id=child_id, parent_id=parent_id, actor=actor)
        )
        return child

    def change(self, actor: Actor, name: str | None, date_of_birth: date | None) -> None:
        """None leaves a field as it is: neither may be cleared."""
        if name is not None:
            self.name = name
        if date_of_birth is not None:
            self.date_of_birth = date_of_birth
        self.updated_at = utc_now()
        self.record(ChildUpdated(child_id=self._id(), parent_id=self.parent_id, actor=actor))

    def submit_checklist(self, actor: Actor, answers: dict[str, Any]) -> None:
        self.checklist = answers
        self.checklist_submitted_at = self.updated_at = utc_now()
        self.record(
            ChildChecklistSubmitted(
                child_id=self._id(), parent_id=self.parent_id, child_name=self.name, actor=actor
            )
        )

    def remove(self, actor: Actor, has_bookings: bool) -> None:
        if has_bookings:
            message = f"child {self.id} has bookings; delete them first"
            raise ServiceError(ErrorCode.conflict, message)
        self.mark_removed()
        self.record(ChildDeleted(child_id=self._id(), parent_id=self.parent_id, actor=actor))

    def _id(self) -> int:
        if self.id is None:
            raise RuntimeError("a child changes only once it is registered")
        return self.id
