"""/schedules/{id}: the assigned trainer's clock-in, clock-out and current activity; sent to
trainers, each answering the session's activity."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from contracts import trainers as t
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import refusals
from gateway.routes.ids import PathId

router = APIRouter(prefix="/schedules", tags=["time"], responses=refusals(401, 403, 404, 409, 503))


class ClockInBody(BaseModel):
    location: str | None = None
    # An admin clocking a trainer in on another day than the session's says so (docs/rest.md).
    outside_session_date: bool = False


class ClockOutBody(BaseModel):
    location: str | None = None


class CurrentActivityBody(BaseModel):
    activity: str
    location: str | None = None


@router.post("/{schedule_id}/clock-in", response_model=t.SessionActivity)
async def clock_in(
    schedule_id: PathId,
    user: CurrentUser,
    services: ServicesDep,
    body: Annotated[ClockInBody | None, Body()] = None,
) -> Any:
    fields = (body or ClockInBody()).model_dump()
    return await services.ask(
        build(t.ClockIn, actor=actor_of(user), schedule_id=schedule_id, **fields)
    )


@router.post("/{schedule_id}/clock-out", response_model=t.SessionActivity)
async def clock_out(
    schedule_id: PathId,
    user: CurrentUser,
    services: ServicesDep,
    body: Annotated[ClockOutBody | None, Body()] = None,
) -> Any:
    fields = (body or ClockOutBody()).model_dump()
    return await services.ask(
        build(t.ClockOut, actor=actor_of(user), schedule_id=schedule_id, **fields)
    )


@router.put("/{schedule_id}/current-activity", response_model=t.SessionActivity)
async def update_current_activity(
    schedule_id: PathId, body: CurrentActivityBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(
            t.UpdateCurrentActivity,
            actor=actor_of(user),
            schedule_id=schedule_id,
            **body.model_dump(),
        )
    )
