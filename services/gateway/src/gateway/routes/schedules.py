"""/schedules: sessions across bookings, and assigning a trainer; sent to bookings (one session
is read with its activity from trainers: `views.session`)."""

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from contracts import bookings as c
from contracts.envelope import Deleted, Role
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import field_error, refusals
from gateway.routes.ids import MAX_ID, BodyId, PathId, QueryId
from gateway.schemas import UserPublic
from gateway.views.session import SessionView, session_view

router = APIRouter(
    prefix="/schedules", tags=["sessions"], responses=refusals(401, 403, 404, 409, 503)
)


class ScheduleUpdateBody(BaseModel):
    date: dt.date | None = None
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    location: str | None = None
    status: c.ScheduleStatus | None = None


class AssignTrainerBody(BaseModel):
    trainer_id: BodyId


def _trainer_filter(trainer: str | None, user: UserPublic) -> int | None:
    """`trainer=me` is "assigned to me", which a trainer's list is anyway (docs/rest.md)."""
    if trainer is None:
        return None
    if trainer == "me":
        if user.role is not Role.trainer:
            raise field_error("query", "trainer", "only a trainer has sessions assigned to them")
        return None
    if not trainer.isdecimal() or not 1 <= int(trainer) <= MAX_ID:
        raise field_error("query", "trainer", "give `me` or a trainer id", "int_parsing")
    return int(trainer)


def _date_range(
    day: dt.date | None, date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    if day is None:
        return date_from, date_to
    if date_from is not None or date_to is not None:
        raise field_error("query", "date", "give `date` or `date_from`/`date_to`, not both")
    return day, day


@router.get("", response_model=c.SchedulePage)
async def list_schedules(
    user: CurrentUser,
    services: ServicesDep,
    trainer: str | None = None,
    date: dt.date | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: c.ScheduleStatus | None = None,
    child_id: QueryId = None,
    booking_id: QueryId = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    date_from, date_to = _date_range(date, date_from, date_to)
    return await services.ask(
        build(
            c.ListSchedules,
            "query",
            actor=actor_of(user),
            trainer_id=_trainer_filter(trainer, user),
            date_from=date_from,
            date_to=date_to,
            status=status,
            child_id=child_id,
            booking_id=booking_id,
            cursor=cursor,
            limit=limit,
        )
    )


@router.get("/{schedule_id}", response_model=SessionView)
async def get_schedule(schedule_id: PathId, user: CurrentUser, services: ServicesDep) -> Any:
    """The session with its clock-in state, latest activity and activity logs."""
    return await session_view(services, actor_of(user), schedule_id)


@router.patch("/{schedule_id}", response_model=c.ScheduleDetails)
async def update_schedule(
    schedule_id: PathId, body: ScheduleUpdateBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(
            c.UpdateSchedule,
            actor=actor_of(user),
            schedule_id=schedule_id,
            **body.model_dump(exclude_unset=True),
        )
    )


@router.delete("/{schedule_id}", response_model=Deleted)
async def delete_schedule(schedule_id: PathId, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(c.DeleteSchedule(actor=actor_of(user), schedule_id=schedule_id))


@router.post("/{schedule_id}/trainer", response_model=c.ScheduleDetails)
async def assign_trainer(
    schedule_id: PathId, body: AssignTrainerBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        c.AssignTrainer(actor=actor_of(user), schedule_id=schedule_id, trainer_id=body.trainer_id)
    )
