"""An aggregate records the contract events of what happened to it; the unit of work that saw
it moves them into the outbox at commit, so a mutation cannot forget its event.

An aggregate's id is usually given by the database when its row is first flushed, after the
creation rule has run; `record_once_identified` defers building that first event until then.
"""

from collections.abc import Callable

from contracts.envelope import Event

Pending = Event | Callable[[int], Event]


class Aggregate:
    """Base of domain objects: plain attributes, rules in methods, no I/O."""

    id: int | None

    def _pending(self) -> list[Pending]:
        # An ORM builds loaded objects without calling __init__, so the list is made on first use.
        pending: list[Pending] | None = self.__dict__.get("_recorded_events")
        if pending is None:
            pending = self.__dict__["_recorded_events"] = []
        return pending

    def record(self, event: Event) -> None:
        self._pending().append(event)

    def record_once_identified(self, make: Callable[[int], Event]) -> None:
        """Record the event that `make(id)` builds, once this aggregate has its id."""
        self._pending().append(make)

    def mark_removed(self) -> None:
        """This aggregate is gone; its unit of work deletes it at commit (with its events)."""
        self.__dict__["_removed"] = True

    @property
    def removed(self) -> bool:
        return bool(self.__dict__.get("_removed"))

    def collect_events(self) -> list[Event]:
        """Hand over every recorded event, oldest first, and forget them."""
        pending = self._pending()
        events: list[Event] = []
        for item in pending:
            if isinstance(item, Event):
                events.append(item)
            elif self.id is None:
                raise RuntimeError(f"{type(self).__name__} has no id yet: flush before collecting")
            else:
                events.append(item(self.id))
        pending.clear()
        return events
