"""The dispatcher: a domain event → the notifications the rules table (`domain/rules.py`) makes
of it, one per (recipient, category), each once.

Who is not told: the actor of the event, of their own action (an admin who assigns is not
notified of assigning), except where a rule `tells_actor` (the payer of their own payment,
which is how they hear of it: docs/triggers.md, "Why PaymentProcessed is silent"); and a
recipient who turned the category's in-app channel off, unless their role requires it.
"""

from collections.abc import Iterable

from contracts.envelope import Event, Role
from contracts.notifications import Category, Channel
from notifications.domain import preferences
from notifications.domain.notification import UserNotification
from notifications.domain.rules import ADMINS, RULES, Rule
from notifications.unit_of_work import UnitOfWork


def user_ids(value: object) -> list[int]:
    """A payload field's user ids: one, a list of them, or none."""
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, Iterable):
        return [v for v in value if isinstance(v, int)]
    return []


def recipients(rule: Rule, event: Event, admin_ids: list[int]) -> list[tuple[int, Role]]:
    """Whom `rule` tells of `event`, each once, in the order the rule names them."""
    found: dict[int, Role] = {}
    for spec in rule.recipients:
        ids = admin_ids if spec.field == ADMINS else user_ids(getattr(event, spec.field))
        for user_id in ids:
            found.setdefault(user_id, spec.role)
    actor = event.actor.user_id if event.actor else None
    return [(u, role) for u, role in found.items() if rule.tells_actor or u != actor]


async def dispatch(event: Event, uow: UnitOfWork) -> None:
    """Make the notifications of `event` (run by `exactly_once` in an entered unit of work)."""
    rules = [rule for rule in RULES.get(type(event), ()) if rule.applies(event)]
    if not rules:
        return
    needs_admins = any(r.field == ADMINS for rule in rules for r in rule.recipients)
    admin_ids = await uow.users.admin_ids() if needs_admins else []
    made = await uow.notifications.of_event(str(event.event_id))
    for rule in rules:
        told = [(u, role) for u, role in recipients(rule, event, admin_ids)]
        wanted = await _wanted(uow, told, rule.category)
        texts = rule.render(event)
        for user_id, _ in told:
            if (user_id, rule.category) in made or user_id not in wanted:
                continue
            made.add((user_id, rule.category))
            uow.notifications.add(
                UserNotification.create(event.actor, user_id, rule.category, texts, event.event_id)
            )


async def _wanted(uow: UnitOfWork, told: list[tuple[int, Role]], category: Category) -> set[int]:
    """Those of `told` who get `category` in the bell."""
    chosen = await uow.preferences.chosen([u for u, _ in told], category, Channel.in_app)
    return {
        user_id
        for user_id, role in told
        if preferences.enabled(role, category, Channel.in_app, chosen.get(user_id))
    }
