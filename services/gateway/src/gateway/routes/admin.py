"""/admin: an admin's bulk actions, sent to the service that owns what they change, and the
day's activity (`views.today`)."""

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from contracts import bookings as c
from gateway.business_day import today_in
from gateway.routes.building import build
from gateway.routes.deps import AdminUser, CurrentUser, ServicesDep, StateDep, actor_of
from gateway.routes.errors import refusals
from gateway.views.today import TodayView, today_view

router = APIRouter(
    prefix="/admin", tags=["admin views"], responses=refusals(401, 403, 404, 409, 503)
)


class CancelDayBody(BaseModel):
    date: dt.date
    location: str | None = None


@router.post("/schedules/cancel", response_model=c.SchedulesCancelled)
async def cancel_schedules_of_day(
    body: CancelDayBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(c.CancelSchedulesOfDay, actor=actor_of(user), date=body.date, location=body.location)
    )


@router.get("/today", response_model=TodayView)
async def todays_activity(
    user: AdminUser, state: StateDep, services: ServicesDep, date: dt.date | None = None
) -> Any:
    """The business day's sessions (`?date=` another day): in progress, upcoming, finished."""
    zone = state.settings.business_time_zone
    day = date or today_in(state.settings.business_zone)
    return await today_view(services, actor_of(user), day, zone)
