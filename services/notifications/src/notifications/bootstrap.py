"""Composition root of the notifications service: the bell and preferences endpoints, the feed
endpoint, the consumer of the domain events (activity feed, users directory, dispatcher: one
per stream, `consumers.events`) and the retention job.
`handlers()` takes the unit of work as a parameter, so unit tests pass a fake."""

from collections.abc import Callable
from pathlib import Path

from contracts import notifications as c
from contracts.bookings import BOOKINGS_EVENTS
from contracts.identity import IDENTITY_EVENTS
from contracts.streams import DEAD_LETTERS
from contracts.trainers import TRAINERS_EVENTS
from database.inbox import exactly_once
from messaging.consumer import DurableConsumer
from messaging.service import Handlers, bind, serve
from notifications.adapters.tables import TABLES, map_aggregates
from notifications.consumers import events
from notifications.consumers.in_flight import InFlight
from notifications.handlers import activity, bell, preferences
from notifications.retention import RetentionJob
from notifications.settings import NotificationsSettings
from notifications.unit_of_work import SqlNotificationsUnitOfWork, UnitOfWork
from runtime.process import Running
from runtime.service import Schema, ServiceDefinition
from runtime.wiring import connect_nats, keep_processed_requests, open_database

VERSION = "0.2.0"
# The streams whose limits its start keeps up to date (the others it only creates if missing):
# its events, and the dead letters its consumer parks.
KEEPS = (c.NOTIFICATIONS_EVENTS, DEAD_LETTERS)
# The streams whose every event becomes a feed entry, and may make notifications.
FEED_STREAMS = (BOOKINGS_EVENTS, TRAINERS_EVENTS, IDENTITY_EVENTS)


def handlers(new_uow: Callable[[], UnitOfWork]) -> Handlers:
    return {
        c.ListNotifications: bind(bell.list_notifications, new_uow),
        c.CountUnread: bind(bell.count_unread, new_uow),
        c.MarkNotificationRead: bind(bell.mark_read, new_uow),
        c.MarkAllRead: bind(bell.mark_all_read, new_uow),
        c.ArchiveNotification: bind(bell.archive, new_uow),
        c.GetNotificationPreferences: bind(preferences.get_preferences, new_uow),
        c.UpdateNotificationPreferences: bind(preferences.update_preferences, new_uow),
        c.ListActivity: bind(activity.list_activity, new_uow),
    }


async def start(settings: NotificationsSettings) -> Running:
    running = Running("notifications")
    nats = await connect_nats(running, settings.nats_url, keeps=KEEPS)
    database = open_database(running, settings.database_url, nats.js)
    map_aggregates()

    def new_uow() -> SqlNotificationsUnitOfWork:
        return SqlNotificationsUnitOfWork(database.engine, after_commit=database.relay.committed)

    in_flight = InFlight()
    handle = in_flight.shielded(exactly_once(events.DURABLE, new_uow, events.handle))
    for stream in FEED_STREAMS:
        consumer = DurableConsumer(
            nats.js,
            stream,
            events.DURABLE,
            handle,
            subjects=list(stream.subjects),
            max_deliver=settings.max_deliver,
            ack_wait=settings.ack_wait_seconds,
        )
        running.spawn(consumer.run(), f"{events.DURABLE}:{stream.name}")

    # Closers run in reverse: handlings under way end before the engine is disposed.
    running.closers.append(in_flight.wait)

    job = RetentionJob(new_uow, settings.ages(), settings.retention_interval_seconds)
    running.spawn(job.run(), "retention", stop=job.stop)

    processed = keep_processed_requests(running, database, settings.model_config["env_prefix"])

    service = await serve(
        nats.nc,
        "notifications",
        VERSION,
        handlers(new_uow),
        description="In-app notifications, their preferences and the activity feed",
        processed=processed,
    )
    running.closers.append(service.stop)
    return running


SERVICE = ServiceDefinition(
    name="notifications",
    settings=NotificationsSettings,
    start=start,
    database=Schema(TABLES, Path(__file__).parent / "migrations" / "versions"),
)
