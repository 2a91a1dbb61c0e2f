"""/admin: an admin's bulk actions, sent to the service that owns what they change."""

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from contracts import bookings as c
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of

router = APIRouter(prefix="/admin", tags=["admin views"])


class CancelDayBody(BaseModel):
    date: date
    location: str | None = None


@router.post("/schedules/cancel", response_model=c.SchedulesCancelled)
async def cancel_schedules_of_day(
    body: CancelDayBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(c.CancelSchedulesOfDay, actor=actor_of(user), date=body.date, location=body.location)
    )
