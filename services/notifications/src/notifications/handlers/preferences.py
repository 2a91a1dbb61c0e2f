"""Notification preferences of the caller: every pair, their choice or their role's default."""

from contracts.envelope import Actor
from contracts.notifications import (
    GetNotificationPreferences,
    Preferences,
    UpdateNotificationPreferences,
)
from notifications.domain import preferences
from notifications.domain.preferences import NotificationPreference, Pair
from notifications.unit_of_work import UnitOfWork


async def _answer(uow: UnitOfWork, actor: Actor) -> Preferences:
    rows = await uow.preferences.of_user(actor.user_id)
    chosen: dict[Pair, bool] = {(row.category, row.channel): row.enabled for row in rows}
    return Preferences(items=preferences.every_pair(actor.role, chosen))


async def get_preferences(command: GetNotificationPreferences, uow: UnitOfWork) -> Preferences:
    async with uow:
        return await _answer(uow, command.actor)


async def update_preferences(
    command: UpdateNotificationPreferences, uow: UnitOfWork
) -> Preferences:
    """Set the pairs given; the last of a pair given twice wins."""
    preferences.check_choices(command.actor.role, command.items)
    async with uow:
        rows = {
            (r.category, r.channel): r for r in await uow.preferences.of_user(command.actor.user_id)
        }
        for item in command.items:
            row = rows.get((item.category, item.channel))
            if row is None:
                row = NotificationPreference(
                    command.actor.user_id, item.category, item.channel, item.enabled
                )
                uow.preferences.add(row)
                rows[(item.category, item.channel)] = row
            else:
                row.enabled = item.enabled
        await uow.commit()
        return await _answer(uow, command.actor)
