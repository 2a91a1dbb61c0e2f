"""What trainers does with other contexts' events: `async def on_x(event, uow) -> None`, run
exactly once each by `database.inbox.exactly_once`."""
