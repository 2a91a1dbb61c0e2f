"""The bell: each request's actor is the recipient. Someone else's notification looks exactly
like one that does not exist."""

from contracts.envelope import Actor, utc_now
from contracts.errors import ErrorCode, ServiceError
from contracts.notifications import (
    ArchiveNotification,
    CountUnread,
    ListNotifications,
    MarkAllRead,
    MarkNotificationRead,
    NotificationDetails,
    NotificationPage,
    NotificationsMarkedRead,
    ReadAll,
    UnreadCount,
)
from database.paging import InvalidCursor
from notifications.domain.notification import UserNotification
from notifications.unit_of_work import UnitOfWork


def details(notification: UserNotification) -> NotificationDetails:
    return NotificationDetails.model_validate(notification, from_attributes=True)


async def _own(uow: UnitOfWork, actor: Actor, notification_id: int) -> UserNotification:
    found = await uow.notifications.get(notification_id)
    if found is None or found.recipient_id != actor.user_id:
        raise ServiceError(ErrorCode.not_found, f"notification {notification_id} not found")
    return found


async def list_notifications(command: ListNotifications, uow: UnitOfWork) -> NotificationPage:
    async with uow:
        try:
            rows, cursor = await uow.notifications.newest_first(
                command.actor.user_id,
                command.unread,
                command.category,
                command.archived,
                command.cursor,
                command.limit,
            )
        except InvalidCursor as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        return NotificationPage(items=[details(row) for row in rows], next_cursor=cursor)


async def count_unread(command: CountUnread, uow: UnitOfWork) -> UnreadCount:
    async with uow:
        return UnreadCount(count=await uow.notifications.count_unread(command.actor.user_id))


async def mark_read(command: MarkNotificationRead, uow: UnitOfWork) -> NotificationDetails:
    async with uow:
        notification = await _own(uow, command.actor, command.notification_id)
        if notification.mark_read(command.actor):
            await uow.commit()
        return details(notification)


async def mark_all_read(command: MarkAllRead, uow: UnitOfWork) -> ReadAll:
    """One UPDATE up to the watermark; one event when it marked any."""
    async with uow:
        recipient = command.actor.user_id
        marked = await uow.notifications.mark_all_read(recipient, command.up_to_id, utc_now())
        if marked:
            uow.emit(
                NotificationsMarkedRead(
                    actor=command.actor,
                    recipient_id=recipient,
                    up_to_id=command.up_to_id,
                    marked=marked,
                )
            )
            await uow.commit()
        return ReadAll(up_to_id=command.up_to_id, marked=marked)


async def archive(command: ArchiveNotification, uow: UnitOfWork) -> NotificationDetails:
    async with uow:
        notification = await _own(uow, command.actor, command.notification_id)
        if notification.archive(command.actor):
            await uow.commit()
        return details(notification)
