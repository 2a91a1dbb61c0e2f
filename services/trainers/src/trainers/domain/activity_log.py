"""An activity log: what the session's trainer writes down about it, clocked in or not, and
later changes; only its writer changes it, and a cancelled session's logs are closed. Each
create and update records the event the parent, the trainer and the admins hear
(docs/triggers.md)."""

from datetime import datetime

from contracts.bookings import ScheduleDetails, ScheduleStatus
from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import ActivityLogCreated, ActivityLogUpdated
from domain import Aggregate
from trainers.domain import access, session_rules


class ActivityLog(Aggregate):
    noun = "activity log"

    def __init__(
        self,
        schedule_id: int,
        trainer_id: int,
        trainer_user_id: int,
        parent_id: int,
        activity: str,
        notes: str | None,
        now: datetime,
    ) -> None:
        self.id: int | None = None
        self.schedule_id = schedule_id
        self.trainer_id = trainer_id
        self.trainer_user_id = trainer_user_id
        self.parent_id = parent_id
        self.activity = activity
        self.notes = notes
        self.created_at = self.updated_at = now

    @classmethod
    def write(
        cls,
        actor: Actor,
        session: ScheduleDetails,
        activity: str,
        notes: str | None,
        now: datetime,
    ) -> "ActivityLog":
        access.require_session_trainer(actor, session, "writes its activity logs")
        _require_not_cancelled(session)
        trainer_id, trainer_user_id = session_rules.require_trainer(session)
        log = cls(session.id, trainer_id, trainer_user_id, session.parent_id, activity, notes, now)
        log.record_once_identified(lambda log_id: log._event(ActivityLogCreated, actor, log_id))
        return log

    def change(
        self,
        actor: Actor,
        session: ScheduleDetails,
        activity: str | None,
        notes: str | None,
        now: datetime,
    ) -> None:
        """None leaves a field as it is; a change that changes nothing records nothing."""
        if not access.is_trainer_user(actor, self.trainer_user_id):
            raise ServiceError(
                ErrorCode.forbidden,
                f"only the trainer who wrote activity log {self._id()} changes it",
            )
        _require_not_cancelled(session)
        wanted = (
            self.activity if activity is None else activity,
            self.notes if notes is None else notes,
        )
        if wanted == (self.activity, self.notes):
            return
        self.activity, self.notes = wanted
        self.updated_at = now
        self.record(self._event(ActivityLogUpdated, actor, self._id()))

    def _event(
        self,
        kind: type[ActivityLogCreated] | type[ActivityLogUpdated],
        actor: Actor,
        log_id: int,
    ) -> ActivityLogCreated | ActivityLogUpdated:
        return kind(
            schedule_id=self.schedule_id,
            trainer_id=self.trainer_id,
            trainer_user_id=self.trainer_user_id,
            parent_id=self.parent_id,
            activity_log_id=log_id,
            actor=actor,
        )

    def _id(self) -> int:
        if self.id is None:
            raise RuntimeError("an activity log changes only once it is stored")
        return self.id


def _require_not_cancelled(session: ScheduleDetails) -> None:
    # A completed session still takes its write-up; a cancelled one took place only in part.
    if session.status is ScheduleStatus.cancelled:
        raise ServiceError(
            ErrorCode.conflict, f"session {session.id} is cancelled; its activity logs are closed"
        )
