"""/notifications and /notification-preferences: the caller's bell and their choices, sent to
the notifications service. Everything here is the caller's own: the service answers 404 for
someone else's notification."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from contracts import notifications as n
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import refusals
from gateway.routes.ids import MAX_ID, PathId

router = APIRouter(tags=["notifications"], responses=refusals(401, 403, 404, 409, 503))


class ReadAllBody(BaseModel):
    # The newest notification id the client has seen; newer ones stay unread.
    up_to_id: int = Field(le=MAX_ID)


class PreferencesBody(BaseModel):
    items: list[n.PreferenceChoice]


@router.get("/notifications", response_model=n.NotificationPage)
async def list_notifications(
    user: CurrentUser,
    services: ServicesDep,
    unread: bool | None = None,
    category: n.Category | None = None,
    archived: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    return await services.ask(
        build(
            n.ListNotifications,
            "query",
            actor=actor_of(user),
            unread=unread,
            category=category,
            archived=archived,
            cursor=cursor,
            limit=limit,
        )
    )


@router.get("/notifications/unread-count", response_model=n.UnreadCount)
async def count_unread(user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(n.CountUnread(actor=actor_of(user)))


@router.post("/notifications/read-all", response_model=n.ReadAll)
async def mark_all_read(body: ReadAllBody, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(build(n.MarkAllRead, actor=actor_of(user), up_to_id=body.up_to_id))


@router.post("/notifications/{notification_id}/read", response_model=n.NotificationDetails)
async def mark_read(notification_id: PathId, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(
        n.MarkNotificationRead(actor=actor_of(user), notification_id=notification_id)
    )


@router.post("/notifications/{notification_id}/archive", response_model=n.NotificationDetails)
async def archive(notification_id: PathId, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(
        n.ArchiveNotification(actor=actor_of(user), notification_id=notification_id)
    )


@router.get("/notification-preferences", response_model=n.Preferences)
async def get_preferences(user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(n.GetNotificationPreferences(actor=actor_of(user)))


@router.put("/notification-preferences", response_model=n.Preferences)
async def update_preferences(
    body: PreferencesBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(n.UpdateNotificationPreferences, actor=actor_of(user), items=body.items)
    )
