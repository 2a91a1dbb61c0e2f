"""Composition root of the bookings service."""

from bookings.children import ChildHandlers
from bookings.settings import BookingsSettings
from contracts import bookings as c
from messaging.runtime import Running
from messaging.service import serve
from messaging.wiring import wire

VERSION = "0.1.0"


async def bootstrap(settings: BookingsSettings) -> Running:
    running = Running("bookings")
    wired = await wire(running, settings.nats_url, settings.database_url)
    children = ChildHandlers(wired.uow)
    service = await serve(
        wired.nc,
        "bookings",
        VERSION,
        {
            c.CreateChild: children.create,
            c.ListChildren: children.list,
            c.GetChild: children.get,
            c.UpdateChild: children.update,
            c.DeleteChild: children.delete,
            c.SubmitChildChecklist: children.submit_checklist,
        },
        description="Children, bookings, sessions and payments",
    )
    running.closers.append(service.stop)
    return running
