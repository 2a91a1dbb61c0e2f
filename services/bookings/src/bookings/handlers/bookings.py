"""Bookings: a parent books and manages their own children's, an admin everyone's. Someone
else's booking looks exactly like one that does not exist."""

from bookings.domain import access
from bookings.domain.booking import Booking
from bookings.handlers.children import load_child
from bookings.unit_of_work import UnitOfWork
from contracts.bookings import (
    BookingDetails,
    BookingPage,
    CreateBooking,
    DeleteBooking,
    GetBooking,
    ListBookings,
    UpdateBooking,
)
from contracts.envelope import Actor, Deleted
from contracts.errors import ErrorCode, ServiceError
from database.paging import InvalidCursor


def details(booking: Booking) -> BookingDetails:
    return BookingDetails.model_validate(booking, from_attributes=True)


async def load_booking(uow: UnitOfWork, actor: Actor, booking_id: int) -> Booking:
    booking = await uow.bookings.get(booking_id)
    if booking is None or not access.may_act_for(actor, booking.parent_id):
        raise ServiceError(ErrorCode.not_found, f"booking {booking_id} not found")
    return booking


async def create_booking(command: CreateBooking, uow: UnitOfWork) -> BookingDetails:
    async with uow:
        child = await load_child(uow, command.actor, command.child_id)
        booking = Booking.book(command.actor, child, command.notes)
        uow.bookings.add(booking)
        await uow.commit()
        return details(booking)


async def list_bookings(command: ListBookings, uow: UnitOfWork) -> BookingPage:
    parent_id = access.bookings_visible_to(command.actor, command.parent_id)
    async with uow:
        try:
            rows, cursor = await uow.bookings.newest_first(
                parent_id, command.child_id, command.status, command.cursor, command.limit
            )
        except InvalidCursor as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        return BookingPage(items=[details(booking) for booking in rows], next_cursor=cursor)


async def get_booking(command: GetBooking, uow: UnitOfWork) -> BookingDetails:
    async with uow:
        return details(await load_booking(uow, command.actor, command.booking_id))


async def update_booking(command: UpdateBooking, uow: UnitOfWork) -> BookingDetails:
    async with uow:
        booking = await load_booking(uow, command.actor, command.booking_id)
        sessions = await uow.schedules.of_booking(command.booking_id)
        booking.change(command.actor, command.notes, command.status, sessions)
        await uow.commit()
        return details(booking)


async def delete_booking(command: DeleteBooking, uow: UnitOfWork) -> Deleted:
    async with uow:
        booking = await load_booking(uow, command.actor, command.booking_id)
        sessions = await uow.schedules.of_booking(command.booking_id)
        payments = await uow.payments.of_booking(command.booking_id)
        booking.remove(command.actor, sessions, payments)
        await uow.commit()
        return Deleted(id=command.booking_id)
