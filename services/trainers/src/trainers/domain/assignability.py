"""Whether a trainer may take a session on a day: a pure answer to bookings' question, from the
trainer (or None), their available days and their approved absences."""

from collections.abc import Iterable
from datetime import date

from contracts.trainers import AbsenceStatus, Assignability, AssignabilityProblem
from trainers.domain.absence import AbsenceRequest
from trainers.domain.trainer import Trainer


def assess(
    trainer_id: int, day: date, trainer: Trainer | None, absences: Iterable[AbsenceRequest]
) -> Assignability:
    """Assignable, or the first problem: no such trainer, not available that day, or away."""
    if trainer is None:
        return Assignability(
            trainer_id=trainer_id,
            assignable=False,
            problem=AssignabilityProblem.no_such_trainer,
            reason=f"there is no trainer {trainer_id}",
        )
    problem, reason = _problem(trainer, day, absences)
    return Assignability(
        trainer_id=trainer_id,
        assignable=problem is None,
        problem=problem,
        reason=reason,
        trainer_user_id=trainer.user_id,
        trainer_name=trainer.name,
    )


def _problem(
    trainer: Trainer, day: date, absences: Iterable[AbsenceRequest]
) -> tuple[AssignabilityProblem | None, str | None]:
    if not trainer.is_available_on(day):
        return (
            AssignabilityProblem.not_available,
            f"{trainer.name} is not available on {day.isoformat()}",
        )
    for absence in absences:
        if absence.status is AbsenceStatus.approved and absence.covers(day):
            return (
                AssignabilityProblem.absent,
                f"{trainer.name} has an approved absence from {absence.start_date.isoformat()} "
                f"to {absence.end_date.isoformat()}",
            )
    return None, None
