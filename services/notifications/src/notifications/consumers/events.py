"""The one consumer of the domain events notifications reads: bookings', trainers' and
identity's. Each event is handled once, in one transaction with its inbox row: its feed entry
(`feed`), the users directory when identity announces a user (`identity`), and the
notifications the rules make of it (`dispatcher`).

One consumer rather than one per concern: every bookings event cost a JetStream delivery, an
inbox check, a transaction and an ack per concern (docs/performance.md, "REST mutation → frame").
The price is that a concern failing on an event holds the others back for it until it is
redelivered or dead-lettered.
"""

from contracts.envelope import Event
from contracts.identity import UserCreated
from notifications.consumers import dispatcher, feed, identity
from notifications.unit_of_work import UnitOfWork

DURABLE = "notifications_events"


async def handle(event: Event, uow: UnitOfWork) -> None:
    """Everything `event` means to notifications (run by `exactly_once` in an entered unit of
    work)."""
    await feed.record(event, uow)
    if isinstance(event, UserCreated):
        await identity.on_user_created(event, uow)
    await dispatcher.dispatch(event, uow)
