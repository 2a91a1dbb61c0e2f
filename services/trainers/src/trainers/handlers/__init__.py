"""The use cases of trainers: `async def handler(command, uow, *ports) -> reply`, one module per
aggregate, one for the assignability question bookings asks, and one for reading sessions'
activity."""
