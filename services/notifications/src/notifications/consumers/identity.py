"""Identity's events as notifications reads them: the users directory (who is an admin).
Run by `consumers.events`."""

from contracts.envelope import Event
from contracts.identity import UserCreated
from notifications.domain.users import User
from notifications.unit_of_work import UnitOfWork


async def on_user_created(event: Event, uow: UnitOfWork) -> None:
    """Add the user, or bring their role and name up to date (announced again)."""
    assert isinstance(event, UserCreated)
    known = await uow.users.get(event.user_id)
    if known is None:
        uow.users.add(User(event.user_id, event.role, event.name))
    else:
        known.role, known.name = event.role, event.name
