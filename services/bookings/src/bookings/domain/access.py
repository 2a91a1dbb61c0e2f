"""Who may do what in bookings: pure functions of the actor and what they act on."""

from contracts.envelope import Actor, Role
from contracts.errors import ErrorCode, ServiceError


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
