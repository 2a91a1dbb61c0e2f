"""Every event and request, found by subject; the one list schemas and routers read."""

from typing import TypeVar

from pydantic import BaseModel

from contracts import bookings, identity, live, notifications, realtime, trainers
from contracts.envelope import Event, Request

C = TypeVar("C", Event, Request)

_MODULES = (identity, bookings, trainers, notifications, live, realtime)


def _concrete(base: type[C]) -> list[type[C]]:
    found: list[type[C]] = []
    for module in _MODULES:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, base)
                and value.__module__ == module.__name__
                and "subject" in vars(value)
            ):
                found.append(value)
    return found


EVENTS: dict[str, type[Event]] = {cls.subject: cls for cls in _concrete(Event)}
REQUESTS: dict[str, type[Request]] = {cls.subject: cls for cls in _concrete(Request)}


def replies() -> dict[str, type[BaseModel]]:
    return {cls.reply.__name__: cls.reply for cls in REQUESTS.values()}


def event_for(subject: str) -> type[Event] | None:
    return EVENTS.get(subject)
