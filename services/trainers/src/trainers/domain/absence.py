"""An absence request: a trainer asks to be away for some days, an admin approves or rejects it
once, and while it is pending it may be withdrawn. Each change records the event that tells the
rest of the system."""

from datetime import date, datetime

from contracts.envelope import Actor, utc_now
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    AbsenceRequestCreated,
    AbsenceRequestDeleted,
    AbsenceRequestEvent,
    AbsenceRequestUpdated,
    AbsenceStatus,
)
from domain import Aggregate
from trainers.domain import access
from trainers.domain.trainer import Trainer


class AbsenceRequest(Aggregate):
    def __init__(
        self, trainer_id: int, trainer_user_id: int, start_date: date, end_date: date, reason: str
    ) -> None:
        self.id: int | None = None
        self.trainer_id = trainer_id
        self.trainer_user_id = trainer_user_id
        self.start_date = start_date
        self.end_date = end_date
        self.reason = reason
        self.status = AbsenceStatus.pending
        self.decided_by: int | None = None
        self.decided_at: datetime | None = None
        self.created_at = self.updated_at = utc_now()

    @classmethod
    def request(
        cls, actor: Actor, trainer: Trainer, start_date: date, end_date: date, reason: str
    ) -> "AbsenceRequest":
        """A pending request for `trainer`, whom the caller has already been allowed to act for."""
        if trainer.id is None:
            raise RuntimeError("an absence is requested only for a stored trainer")
        if end_date < start_date:
            raise ServiceError(ErrorCode.invalid, "end_date must not be before start_date")
        absence = cls(trainer.id, trainer.user_id, start_date, end_date, reason)
        absence.record_once_identified(
            lambda absence_id: absence._event(AbsenceRequestCreated, actor, absence_id)
        )
        return absence

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date

    def decide(self, actor: Actor, status: AbsenceStatus) -> None:
        """Approve or reject, once: a decided request stays decided."""
        access.require_admin(actor, "decide absence requests")
        if status is AbsenceStatus.pending:
            raise ServiceError(ErrorCode.invalid, "a decision approves or rejects")
        self._require_pending()
        self.status = status
        self.decided_by = actor.user_id
        self.decided_at = self.updated_at = utc_now()
        self.record(self._event(AbsenceRequestUpdated, actor, self._id()))

    def withdraw(self, actor: Actor) -> None:
        """Only a pending request is withdrawn; it is then gone."""
        self._require_pending()
        self.mark_removed()
        self.record(self._event(AbsenceRequestDeleted, actor, self._id()))

    def _require_pending(self) -> None:
        if self.status is not AbsenceStatus.pending:
            raise ServiceError(
                ErrorCode.conflict, f"absence request {self._id()} is already {self.status.value}"
            )

    def _event(
        self, kind: type[AbsenceRequestEvent], actor: Actor, absence_id: int
    ) -> AbsenceRequestEvent:
        return kind(
            absence_request_id=absence_id,
            trainer_id=self.trainer_id,
            trainer_user_id=self.trainer_user_id,
            status=self.status.value,
            start_date=self.start_date,
            end_date=self.end_date,
            actor=actor,
        )

    def _id(self) -> int:
        if self.id is None:
            raise RuntimeError("an absence request changes only once it is stored")
        return self.id
