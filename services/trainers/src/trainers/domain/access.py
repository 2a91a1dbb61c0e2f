"""Who may do what in trainers: pure functions of the actor and what they act on.

Parents may do nothing with profiles, availability and absences (403). A trainer acts only on
their own; someone else's looks exactly like one that does not exist (404, docs/rest.md).

A session's time and activity are for whoever bookings lets see the session (its parent, its
trainer, admins); anyone else has already been told it does not exist. Of those, only its
assigned trainer keeps its time and writes its logs (an admin may clock in and out for them).
"""

from contracts.bookings import ScheduleDetails
from contracts.envelope import Actor, Role
from contracts.errors import ErrorCode, ServiceError


def require_staff(actor: Actor) -> None:
    """Trainers and admins only."""
    if actor.role is Role.parent:
        raise ServiceError(ErrorCode.forbidden, "parents have no access to trainers")


def require_admin(actor: Actor, action: str) -> None:
    if actor.role is not Role.admin:
        raise ServiceError(ErrorCode.forbidden, f"only admins {action}")


def require_trainer(actor: Actor, action: str) -> None:
    if actor.role is not Role.trainer:
        raise ServiceError(ErrorCode.forbidden, f"only trainers {action}")


def may_act_for(actor: Actor, trainer_user_id: int) -> bool:
    """An admin acts for every trainer; a trainer only for themself."""
    return actor.role is Role.admin or (
        actor.role is Role.trainer and actor.user_id == trainer_user_id
    )


def absences_visible_to(actor: Actor, trainer_id: int | None) -> tuple[int | None, int | None]:
    """Whose absence requests `actor` lists: `(trainer_id, trainer_user_id)` to filter on, None
    for no filter. A trainer cannot widen the list by naming another trainer."""
    require_staff(actor)
    if actor.role is Role.admin:
        return trainer_id, None
    return None, actor.user_id


def is_session_trainer(actor: Actor, session: ScheduleDetails) -> bool:
    return session.trainer_user_id is not None and is_trainer_user(actor, session.trainer_user_id)


def require_session_trainer(
    actor: Actor, session: ScheduleDetails, action: str, admins: bool = False
) -> None:
    """The session's assigned trainer; with `admins`, an admin for them too. Anyone else who
    can see the session may not (403)."""
    if is_session_trainer(actor, session) or (admins and actor.role is Role.admin):
        return
    who = "the session's assigned trainer" + (" (or an admin for them)" if admins else "")
    raise ServiceError(ErrorCode.forbidden, f"only {who} {action}")


def is_trainer_user(actor: Actor, trainer_user_id: int) -> bool:
    """That trainer themself; an admin acting for them is not."""
    return actor.role is Role.trainer and actor.user_id == trainer_user_id
