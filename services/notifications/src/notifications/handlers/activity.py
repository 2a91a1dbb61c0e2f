"""The activity feed, for admins: newest first, narrowed by actor, verb, object type and days
(inclusive, UTC)."""

from datetime import UTC, date, datetime, time, timedelta

from contracts.envelope import Role
from contracts.errors import ErrorCode, ServiceError
from contracts.notifications import ActivityEntry as EntryReply
from contracts.notifications import ActivityPage, FeedObject, ListActivity
from database.paging import InvalidCursor
from notifications.domain.activity import ActivityEntry
from notifications.unit_of_work import UnitOfWork


def details(entry: ActivityEntry) -> EntryReply:
    assert entry.id is not None
    target = None
    if entry.target_type is not None:
        target = FeedObject(type=entry.target_type, id=entry.target_id)
    return EntryReply(
        id=entry.id,
        actor=entry.actor,
        verb=entry.verb,
        object=FeedObject(type=entry.object_type, id=entry.object_id),
        target=target,
        summary=entry.summary,
        event_id=entry.event_id,
        occurred_at=entry.occurred_at,
    )


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), UTC) if day else None


async def list_activity(command: ListActivity, uow: UnitOfWork) -> ActivityPage:
    if command.actor.role is not Role.admin:
        raise ServiceError(ErrorCode.forbidden, "only admins read the activity feed")
    before = _start_of(command.date_to + timedelta(days=1)) if command.date_to else None
    async with uow:
        try:
            rows, cursor = await uow.activity.newest_first(
                command.actor_id,
                command.verb,
                command.object_type,
                _start_of(command.date_from),
                before,
                command.cursor,
                command.limit,
            )
        except InvalidCursor as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        return ActivityPage(items=[details(row) for row in rows], next_cursor=cursor)
