"""Which domain events become which notifications: ONE table of rules, as data, beside the
realtime trigger table in spirit (docs/triggers.md). A new notification is one entry here; the
dispatcher and its consumers follow the table.

A rule names its recipients by payload fields (a user id, a list of them, or None) or the
marker `ADMINS` (every admin in the users directory), each with the role the field implies
(whose defaults decide their preferences).
"""

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts import bookings as b
from contracts import trainers as t
from contracts.envelope import Event, Role
from contracts.notifications import Category

# The marker of "every admin": resolved from the users directory, never asked per event.
ADMINS = "every admin"


@dataclass(frozen=True)
class Recipients:
    """The users of payload field `field` (or every admin, `field=ADMINS`), of role `role`."""

    field: str
    role: Role


@dataclass(frozen=True)
class Rule:
    category: Category
    recipients: tuple[Recipients, ...]
    title: str
    body: str
    link: str | None = None
    # Field → the values it must have for the rule to apply (empty: always).
    when: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # What an optional field that is None reads as in the texts.
    fallbacks: Mapping[str, str] = field(default_factory=dict)
    # The actor of the event is told of their own action too (a payer of their payment).
    tells_actor: bool = False

    def applies(self, event: Event) -> bool:
        return all(str(getattr(event, name)) in values for name, values in self.when.items())

    def render(self, event: Event) -> tuple[str, str, str | None]:
        """The title, body and link for `event`."""
        values = self._values(event)
        link = self.link.format_map(values) if self.link else None
        return self.title.format_map(values), self.body.format_map(values), link

    def _values(self, event: Event) -> dict[str, Any]:
        values = dict(vars(event))
        for name, fallback in self.fallbacks.items():
            if values.get(name) is None:
                values[name] = fallback
        return values

    def fields(self) -> set[str]:
        """Every payload field this rule reads (recipients, condition, texts, fallbacks)."""
        named = {r.field for r in self.recipients if r.field != ADMINS}
        for text in (self.title, self.body, self.link or ""):
            named |= {name for _, name, _, _ in string.Formatter().parse(text) if name}
        return named | set(self.when) | set(self.fallbacks)


PARENT = Recipients("parent_id", Role.parent)
TRAINER = Recipients("trainer_user_id", Role.trainer)

RULES: dict[type[Event], tuple[Rule, ...]] = {
    b.ChildChecklistSubmitted: (
        Rule(
            Category.child_checklist,
            (Recipients(ADMINS, Role.admin),),
            "Child checklist submitted",
            "{child_name}'s checklist was submitted",
            "/children/{child_id}",
        ),
    ),
    b.TrainerAssigned: (
        Rule(
            Category.trainer_assigned,
            (PARENT,),
            "Trainer assigned to session",
            "{trainer_name} will lead {child_name}'s session on {session_date}",
            "/schedules/{schedule_id}",
            fallbacks={"trainer_name": "A trainer", "child_name": "your child"},
        ),
        Rule(
            Category.trainer_assigned,
            (TRAINER,),
            "Trainer assigned to session",
            "You will lead {child_name}'s session on {session_date}",
            "/schedules/{schedule_id}",
            fallbacks={"child_name": "a child"},
        ),
    ),
    b.PaymentProcessed: (
        Rule(
            Category.payment,
            (Recipients("payer_id", Role.parent),),
            "Payment processed",
            "Your payment of {amount} {currency} was processed",
            "/bookings/{booking_id}",
            tells_actor=True,
        ),
    ),
    t.AbsenceRequestUpdated: (
        Rule(
            Category.absence,
            (TRAINER,),
            "Absence request {status}",
            "Your absence from {start_date} to {end_date} was {status}",
            "/absence-requests/{absence_request_id}",
            when={"status": frozenset({"approved", "rejected"})},
            fallbacks={"start_date": "?", "end_date": "?"},
        ),
    ),
    b.ScheduleCancelled: (
        Rule(
            Category.session_cancelled,
            (PARENT, TRAINER),
            "Session cancelled",
            "{child_name}'s session on {session_date} at {start_time} was cancelled",
            "/schedules/{schedule_id}",
        ),
    ),
    b.SchedulesCancelledInBulk: (
        Rule(
            Category.session_cancelled,
            (Recipients("parent_ids", Role.parent), Recipients("trainer_user_ids", Role.trainer)),
            "Sessions cancelled",
            "Every session on {date} at {location} was cancelled",
            "/schedules?date={date}",
            fallbacks={"location": "every location"},
        ),
    ),
}


def subjects() -> list[str]:
    """The subjects the dispatcher consumes."""
    return [event.subject for event in RULES]
