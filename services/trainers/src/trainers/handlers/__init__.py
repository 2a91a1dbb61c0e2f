"""The use cases of trainers: `async def handler(command, uow) -> reply`, one module per
aggregate (and one for the assignability question bookings asks)."""
