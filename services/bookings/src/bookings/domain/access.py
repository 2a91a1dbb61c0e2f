"""Who may do what in bookings: pure functions of the actor and what they act on.

Someone else's resource looks exactly like one that does not exist (not_found); forbidden is
for an action the caller's role may never take on something they can see (docs/rest.md)."""

from typing import Protocol

from contracts.envelope import Actor, Role
from contracts.errors import ErrorCode, ServiceError


class SessionParties(Protocol):
    """What access needs to know of a session."""

    @property
    def parent_id(self) -> int: ...

    @property
    def trainer_user_id(self) -> int | None: ...


def may_act_for(actor: Actor, parent_id: int) -> bool:
    """An admin acts for every parent; a parent only for themself."""
    return actor.role is Role.admin or (actor.role is Role.parent and actor.user_id == parent_id)


def require_may_add_child(actor: Actor, parent_id: int) -> None:
    if not may_act_for(actor, parent_id):
        raise ServiceError(ErrorCode.forbidden, "you may only add your own children")


def children_visible_to(actor: Actor, parent_id: int | None) -> int | None:
    """Whose children `actor` lists: the parent id to filter on, or None for every child."""
    if actor.role is Role.admin:
        return parent_id
    if actor.role is Role.parent:
        return actor.user_id
    raise ServiceError(ErrorCode.forbidden, "only parents and admins list children")


def bookings_visible_to(actor: Actor, parent_id: int | None) -> int | None:
    """Whose bookings `actor` lists, as `children_visible_to`."""
    if actor.role is Role.trainer:
        raise ServiceError(ErrorCode.forbidden, "only parents and admins list bookings")
    return children_visible_to(actor, parent_id)


def may_read_session(actor: Actor, session: SessionParties) -> bool:
    """Its parent, an admin, and the trainer assigned to it."""
    return may_act_for(actor, session.parent_id) or (
        actor.role is Role.trainer and actor.user_id == session.trainer_user_id
    )


def require_admin(actor: Actor, action: str) -> None:
    if actor.role is not Role.admin:
        raise ServiceError(ErrorCode.forbidden, f"only admins {action}")
