"""A session as trainers sees it (bookings' `ScheduleDetails`): whether a trainer's day may
still run on it."""

from contracts.bookings import ScheduleDetails, ScheduleStatus
from contracts.errors import ErrorCode, ServiceError


def require_open(session: ScheduleDetails, closing: bool = False) -> tuple[int, int]:
    """The session's `(trainer_id, trainer_user_id)`: it must be scheduled and have a trainer.
    `closing` (a clock-out) also accepts a session an admin marked completed meanwhile: the
    trainer still leaves."""
    accepted = {ScheduleStatus.scheduled} | ({ScheduleStatus.completed} if closing else set())
    if session.status not in accepted:
        raise ServiceError(
            ErrorCode.conflict, f"session {session.id} is {session.status.value}, not scheduled"
        )
    return require_trainer(session)


def require_trainer(session: ScheduleDetails) -> tuple[int, int]:
    if session.trainer_id is None or session.trainer_user_id is None:
        raise ServiceError(ErrorCode.conflict, f"session {session.id} has no trainer assigned")
    return session.trainer_id, session.trainer_user_id
