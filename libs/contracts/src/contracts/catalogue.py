"""Every stream, event and request, found in the context modules of this package: a new context
is a new module here, and nothing else needs to list it. Schemas, consumers and routers read
these tables."""

import importlib
import pkgutil
from types import ModuleType
from typing import Any, TypeVar

from pydantic import BaseModel

import contracts
from contracts.envelope import Event, Request
from contracts.streams import DEAD_LETTERS, StreamSpec

C = TypeVar("C", Event, Request[Any])

# Modules that define no messages of a context of their own.
_NOT_CONTEXTS = {"catalogue", "envelope", "errors", "schemas", "streams"}


def _context_modules() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(contracts.__path__))
    return [importlib.import_module(f"contracts.{n}") for n in names if n not in _NOT_CONTEXTS]


MODULES = _context_modules()


def _concrete(base: type[C]) -> list[type[C]]:
    found: list[type[C]] = []
    for module in MODULES:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, base)
                and value.__module__ == module.__name__
                and "subject" in vars(value)
            ):
                found.append(value)
    return found


def _streams() -> tuple[StreamSpec, ...]:
    declared = [v for m in MODULES for v in vars(m).values() if isinstance(v, StreamSpec)]
    return (*declared, DEAD_LETTERS)


EVENTS: dict[str, type[Event]] = {cls.subject: cls for cls in _concrete(Event)}
REQUESTS: dict[str, type[Request[Any]]] = {cls.subject: cls for cls in _concrete(Request)}
STREAMS: tuple[StreamSpec, ...] = _streams()


def replies() -> dict[str, type[BaseModel]]:
    return {cls.reply.__name__: cls.reply for cls in REQUESTS.values()}


def event_for(subject: str) -> type[Event] | None:
    return EVENTS.get(subject)


def stream_of(subject: str) -> StreamSpec:
    """The stream that captures an event subject (each covers one `{context}.events.>`)."""
    for stream in STREAMS:
        if any(subject.startswith(pattern.removesuffix(">")) for pattern in stream.subjects):
            return stream
    raise LookupError(f"no stream captures {subject}")
