"""Composition root of the notifications service.

The dispatcher (domain events → UserNotification) arrives with its issue; today it runs, owns
its streams and outbox, and answers NATS service discovery.
"""

from messaging.runtime import Running
from messaging.service import serve
from messaging.wiring import wire
from notifications.settings import NotificationsSettings

VERSION = "0.1.0"


async def bootstrap(settings: NotificationsSettings) -> Running:
    running = Running("notifications")
    wired = await wire(running, settings.nats_url, settings.database_url)
    service = await serve(
        wired.nc, "notifications", VERSION, {}, description="In-app notifications and push"
    )
    running.closers.append(service.stop)
    return running
