"""The activity feed ("X did Y", Activity Streams 2.0 in spirit): every domain event becomes one
entry, read off its subject (`{context}.events.{entity}.{verb}`) and payload."""

from datetime import datetime

from contracts.envelope import Actor, Event, Role
from contracts.notifications import ActivityRecorded
from domain import Aggregate

SUMMARY_MAX = 300

# An entity whose id field is not `{entity}_id`.
OBJECT_ID_FIELDS = {
    "time_entry": "schedule_id",
    "current_activity": "schedule_id",
    "availability": "trainer_id",
}
# What an entity belongs to: its target, when the event names it.
TARGETS = {
    "schedule": ("booking", "booking_id"),
    "payment": ("booking", "booking_id"),
    "time_entry": ("booking", "booking_id"),
    "activity_log": ("schedule", "schedule_id"),
    "current_activity": ("schedule", "schedule_id"),
    "absence_request": ("trainer", "trainer_id"),
    "booking": ("child", "child_id"),
}


class ActivityEntry(Aggregate):
    def __init__(
        self,
        event_id: str,
        actor: Actor | None,
        verb: str,
        object_type: str,
        object_id: int | None,
        target: tuple[str, int] | None,
        summary: str,
        occurred_at: datetime,
    ) -> None:
        self.id: int | None = None
        self.event_id = event_id
        self.actor_id = actor.user_id if actor else None
        self.actor_role = actor.role if actor else None
        self.actor_name = actor.name if actor else None
        self.verb = verb
        self.object_type = object_type
        self.object_id = object_id
        self.target_type = target[0] if target else None
        self.target_id = target[1] if target else None
        self.summary = summary[:SUMMARY_MAX]
        self.occurred_at = occurred_at

    @classmethod
    def of(cls, event: Event) -> "ActivityEntry":
        """The entry of one event; records `ActivityRecorded` once it has its id."""
        *_, object_type, verb = event.subject.split(".")
        object_id = _int_field(event, OBJECT_ID_FIELDS.get(object_type, f"{object_type}_id"))
        target = None
        if object_type in TARGETS:
            target_type, target_field = TARGETS[object_type]
            target_id = _int_field(event, target_field)
            target = (target_type, target_id) if target_id is not None else None
        entry = cls(
            str(event.event_id),
            event.actor,
            verb,
            object_type,
            object_id,
            target,
            _summary(event.actor, verb, object_type, object_id),
            event.occurred_at,
        )
        entry.record_once_identified(
            lambda entry_id: ActivityRecorded(
                actor=event.actor, entry_id=entry_id, verb=verb, object_type=object_type
            )
        )
        return entry

    @property
    def actor(self) -> Actor | None:
        if self.actor_id is None or self.actor_role is None:
            return None
        return Actor(user_id=self.actor_id, role=Role(self.actor_role), name=self.actor_name or "")


def _int_field(event: Event, name: str) -> int | None:
    value = getattr(event, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _summary(actor: Actor | None, verb: str, object_type: str, object_id: int | None) -> str:
    """'Pat Parent created child 7'."""
    who = (actor.name or f"user {actor.user_id}") if actor else "The system"
    what = object_type.replace("_", " ")
    return f"{who} {verb.replace('_', ' ')} {what}" + (f" {object_id}" if object_id else "")
