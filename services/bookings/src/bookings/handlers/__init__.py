"""The use cases of bookings: `async def handler(command, uow) -> reply`, one module per
aggregate."""
