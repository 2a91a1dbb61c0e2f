"""Notification preferences: for each (category, channel) a user's choice, or their role's
default; some in-app pairs are required for a role and cannot be turned off."""

from collections.abc import Iterable, Mapping

from contracts.envelope import Role
from contracts.errors import ErrorCode, FieldError, ServiceError
from contracts.notifications import Category, Channel, Preference, PreferenceChoice
from domain import Aggregate

Pair = tuple[Category, Channel]

C = Category
# The categories each role hears of in the bell unless they choose otherwise; web push is off
# for everyone until they turn it on.
IN_APP_BY_DEFAULT: dict[Role, frozenset[Category]] = {
    Role.admin: frozenset({C.child_checklist}),
    Role.parent: frozenset({C.trainer_assigned, C.session_cancelled, C.payment}),
    Role.trainer: frozenset({C.trainer_assigned, C.session_cancelled, C.absence}),
}
# What a role must always see in the bell: a charge, and a session that will not happen.
REQUIRED_IN_APP: dict[Role, frozenset[Category]] = {
    Role.admin: frozenset(),
    Role.parent: frozenset({C.payment, C.session_cancelled}),
    Role.trainer: frozenset({C.session_cancelled}),
}


class NotificationPreference(Aggregate):
    """A user's explicit choice for one pair (no row: their role's default)."""

    def __init__(self, user_id: int, category: Category, channel: Channel, enabled: bool):
        self.user_id = user_id
        self.category = category
        self.channel = channel
        self.enabled = enabled


def is_required(role: Role, category: Category, channel: Channel) -> bool:
    return channel is Channel.in_app and category in REQUIRED_IN_APP[role]


def default(role: Role, category: Category, channel: Channel) -> bool:
    return channel is Channel.in_app and category in IN_APP_BY_DEFAULT[role]


def enabled(role: Role, category: Category, channel: Channel, chosen: bool | None) -> bool:
    """Whether a user of `role` gets `category` on `channel`: required, else their choice,
    else the default."""
    if is_required(role, category, channel):
        return True
    return default(role, category, channel) if chosen is None else chosen


def every_pair(role: Role, chosen: Mapping[Pair, bool]) -> list[Preference]:
    """Every (category, channel) pair, as the caller sees it."""
    return [
        Preference(
            category=category,
            channel=channel,
            enabled=enabled(role, category, channel, chosen.get((category, channel))),
            required=is_required(role, category, channel),
        )
        for category in Category
        for channel in Channel
    ]


def check_choices(role: Role, items: Iterable[PreferenceChoice]) -> None:
    """Refuse (invalid, naming each item) turning off a pair the role requires."""
    fields = [
        FieldError(
            loc=["items", i, "enabled"],
            msg=f"{item.category.value} in_app notifications cannot be turned off for a "
            f"{role.value}",
            type="required_preference",
        )
        for i, item in enumerate(items)
        if not item.enabled and is_required(role, item.category, item.channel)
    ]
    if fields:
        raise ServiceError(ErrorCode.invalid, "required notifications cannot be turned off", fields)
