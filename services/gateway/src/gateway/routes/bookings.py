"""/bookings with their sessions and payments, sent to the bookings service."""

from datetime import date, time
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.status import HTTP_201_CREATED

from contracts import bookings as c
from contracts.envelope import Deleted
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import refusals
from gateway.routes.ids import BodyId, PathId, QueryId

router = APIRouter(
    prefix="/bookings", tags=["bookings"], responses=refusals(401, 402, 403, 404, 409, 503)
)


class BookingCreateBody(BaseModel):
    child_id: BodyId
    notes: str | None = None


class BookingUpdateBody(BaseModel):
    notes: str | None = None
    status: c.BookingStatus | None = None


class ScheduleCreateBody(BaseModel):
    date: date
    start_time: time
    end_time: time
    location: str


class PaymentBody(BaseModel):
    # A JSON number or a string: pydantic reads either as a Decimal.
    amount: Decimal
    currency: str


@router.post("", status_code=HTTP_201_CREATED, response_model=c.BookingDetails)
async def create_booking(body: BookingCreateBody, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(
        build(c.CreateBooking, actor=actor_of(user), child_id=body.child_id, notes=body.notes)
    )


@router.get("", response_model=c.BookingPage)
async def list_bookings(
    user: CurrentUser,
    services: ServicesDep,
    child_id: QueryId = None,
    status: c.BookingStatus | None = None,
    parent_id: QueryId = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    return await services.ask(
        build(
            c.ListBookings,
            "query",
            actor=actor_of(user),
            child_id=child_id,
            status=status,
            parent_id=parent_id,
            cursor=cursor,
            limit=limit,
        )
    )


@router.get("/{booking_id}", response_model=c.BookingDetails)
async def get_booking(booking_id: PathId, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(c.GetBooking(actor=actor_of(user), booking_id=booking_id))


@router.patch("/{booking_id}", response_model=c.BookingDetails)
async def update_booking(
    booking_id: PathId, body: BookingUpdateBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(
            c.UpdateBooking,
            actor=actor_of(user),
            booking_id=booking_id,
            **body.model_dump(exclude_unset=True),
        )
    )


@router.delete("/{booking_id}", response_model=Deleted)
async def delete_booking(booking_id: PathId, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(c.DeleteBooking(actor=actor_of(user), booking_id=booking_id))


@router.post(
    "/{booking_id}/schedules", status_code=HTTP_201_CREATED, response_model=c.ScheduleDetails
)
async def create_schedule(
    booking_id: PathId, body: ScheduleCreateBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(c.CreateSchedule, actor=actor_of(user), booking_id=booking_id, **body.model_dump())
    )


@router.get("/{booking_id}/schedules", response_model=c.SchedulePage)
async def list_booking_schedules(
    booking_id: PathId,
    user: CurrentUser,
    services: ServicesDep,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    return await services.ask(
        build(
            c.ListSchedules,
            "query",
            actor=actor_of(user),
            booking_id=booking_id,
            cursor=cursor,
            limit=limit,
        )
    )


@router.post(
    "/{booking_id}/payments", status_code=HTTP_201_CREATED, response_model=c.PaymentDetails
)
async def make_payment(
    booking_id: PathId, body: PaymentBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(c.MakePayment, actor=actor_of(user), booking_id=booking_id, **body.model_dump())
    )


@router.get("/{booking_id}/payments", response_model=c.PaymentPage)
async def list_payments(
    booking_id: PathId,
    user: CurrentUser,
    services: ServicesDep,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    return await services.ask(
        build(
            c.ListPayments,
            "query",
            actor=actor_of(user),
            booking_id=booking_id,
            cursor=cursor,
            limit=limit,
        )
    )
