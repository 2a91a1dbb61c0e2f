"""A session's time entry: its trainer clocks in (on the session's date), says what they are
doing while clocked in, and clocks out, each once and in that order. Each change records the
event the session's parent, its trainer and the admins hear (docs/triggers.md)."""

from datetime import date, datetime

from contracts.bookings import ScheduleDetails
from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import CurrentActivityUpdated, TrainerClockedIn, TrainerClockedOut
from domain import Aggregate
from trainers.domain import access, session_rules


def already_clocked_in(schedule_id: int) -> ServiceError:
    return ServiceError(ErrorCode.conflict, f"session {schedule_id} is already clocked in")


def not_clocked_in(schedule_id: int) -> ServiceError:
    return ServiceError(ErrorCode.conflict, f"session {schedule_id} is not clocked in yet")


def require_timekeeper(
    actor: Actor, session: ScheduleDetails, action: str, closing: bool = False
) -> tuple[int, int]:
    """Clocking in and out: the session's trainer, or an admin for them; on an open session,
    whose `(trainer_id, trainer_user_id)` this answers."""
    access.require_session_trainer(actor, session, action, admins=True)
    return session_rules.require_open(session, closing)


def require_activity_keeper(actor: Actor, session: ScheduleDetails) -> None:
    """Saying what is being done: only the session's trainer; on an open session."""
    access.require_session_trainer(actor, session, "says what they are doing")
    session_rules.require_open(session)


class TimeEntry(Aggregate):
    noun = "time entry"

    def __init__(
        self,
        schedule_id: int,
        trainer_id: int,
        trainer_user_id: int,
        parent_id: int,
        session_date: date,
        clocked_in_at: datetime,
        clock_in_location: str | None,
    ) -> None:
        self.id: int | None = None
        self.schedule_id = schedule_id
        self.trainer_id = trainer_id
        self.trainer_user_id = trainer_user_id
        self.parent_id = parent_id
        self.session_date = session_date
        self.clocked_in_at = clocked_in_at
        self.clock_in_location = clock_in_location
        self.clocked_out_at: datetime | None = None
        self.clock_out_location: str | None = None
        self.activity: str | None = None
        self.activity_location: str | None = None
        self.activity_at: datetime | None = None
        self.created_at = self.updated_at = clocked_in_at

    @classmethod
    def clock_in(
        cls,
        actor: Actor,
        session: ScheduleDetails,
        earlier: "TimeEntry | None",
        now: datetime,
        today: date,
        location: str | None = None,
        outside_session_date: bool = False,
    ) -> "TimeEntry":
        """The entry of `session`, which has none yet (`earlier`), clocked in at `now`. On
        another day than the session's (`today`, in the business time zone) only an admin
        clocks in, and says so."""
        if outside_session_date and not actor.is_admin:
            raise ServiceError(
                ErrorCode.forbidden, "only an admin clocks in outside the session's date"
            )
        trainer_id, trainer_user_id = require_timekeeper(actor, session, "clocks in")
        if earlier is not None:
            raise already_clocked_in(session.id)
        if session.date != today and not outside_session_date:
            raise ServiceError(
                ErrorCode.conflict,
                f"session {session.id} is on {session.date.isoformat()}, not today "
                f"({today.isoformat()}); an admin may clock in with outside_session_date",
            )
        entry = cls(
            session.id,
            trainer_id,
            trainer_user_id,
            session.parent_id,
            session.date,
            now,
            location,
        )
        entry.record(entry._clocked(TrainerClockedIn, actor, now))
        return entry

    def clock_out(
        self, actor: Actor, session: ScheduleDetails, now: datetime, location: str | None = None
    ) -> None:
        require_timekeeper(actor, session, "clocks out", closing=True)
        self._require_same_trainer(session)
        if self.clocked_out_at is not None:
            raise ServiceError(
                ErrorCode.conflict, f"session {self.schedule_id} is already clocked out"
            )
        self.clocked_out_at = self.updated_at = now
        self.clock_out_location = location
        self.record(self._clocked(TrainerClockedOut, actor, now))

    def update_activity(
        self,
        actor: Actor,
        session: ScheduleDetails,
        now: datetime,
        activity: str,
        location: str | None = None,
    ) -> None:
        """What the trainer is doing now; the latest replaces the one before."""
        require_activity_keeper(actor, session)
        self._require_same_trainer(session)
        if self.clocked_out_at is not None:
            raise ServiceError(
                ErrorCode.conflict,
                f"session {self.schedule_id} is clocked out; its activity no longer changes",
            )
        self.activity, self.activity_location = activity, location
        self.activity_at = self.updated_at = now
        self.record(
            CurrentActivityUpdated(
                schedule_id=self.schedule_id,
                trainer_id=self.trainer_id,
                trainer_user_id=self.trainer_user_id,
                parent_id=self.parent_id,
                activity=activity,
                location=location,
                actor=actor,
            )
        )

    def _require_same_trainer(self, session: ScheduleDetails) -> None:
        # The session was given another trainer after this one clocked in: their time is not
        # the new trainer's to continue.
        if session.trainer_id != self.trainer_id:
            raise ServiceError(
                ErrorCode.conflict,
                f"session {self.schedule_id} was clocked in by another trainer "
                f"(trainer {self.trainer_id})",
            )

    def _clocked(
        self, kind: type[TrainerClockedIn] | type[TrainerClockedOut], actor: Actor, at: datetime
    ) -> TrainerClockedIn | TrainerClockedOut:
        return kind(
            schedule_id=self.schedule_id,
            trainer_id=self.trainer_id,
            trainer_user_id=self.trainer_user_id,
            parent_id=self.parent_id,
            at=at,
            actor=actor,
        )
