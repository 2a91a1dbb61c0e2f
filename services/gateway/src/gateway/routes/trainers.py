"""/trainers: profiles, availability and absence requests; sent to trainers."""

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.status import HTTP_201_CREATED

from contracts import trainers as t
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import refusals
from gateway.routes.ids import PathId

router = APIRouter(
    prefix="/trainers", tags=["trainers"], responses=refusals(401, 403, 404, 409, 503)
)


class AvailabilityBody(BaseModel):
    dates: list[date]


class AbsenceRequestBody(BaseModel):
    start_date: date
    end_date: date
    reason: str


@router.get("", response_model=t.TrainerPage)
async def list_trainers(
    user: CurrentUser, services: ServicesDep, cursor: str | None = None, limit: int = 50
) -> Any:
    return await services.ask(
        build(t.ListTrainers, "query", actor=actor_of(user), cursor=cursor, limit=limit)
    )


# Before `/{trainer_id}`, which would otherwise try to read `me` as an id.
@router.get("/me", response_model=t.TrainerDetails)
async def my_trainer_profile(user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(t.GetMyTrainerProfile(actor=actor_of(user)))


@router.get("/{trainer_id}", response_model=t.TrainerDetails)
async def get_trainer(trainer_id: PathId, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(t.GetTrainer(actor=actor_of(user), trainer_id=trainer_id))


@router.get("/{trainer_id}/availability", response_model=t.Availability)
async def get_availability(
    trainer_id: PathId,
    user: CurrentUser,
    services: ServicesDep,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Any:
    return await services.ask(
        t.GetAvailability(
            actor=actor_of(user), trainer_id=trainer_id, date_from=date_from, date_to=date_to
        )
    )


@router.put("/{trainer_id}/availability", response_model=t.Availability)
async def replace_availability(
    trainer_id: PathId, body: AvailabilityBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(t.ReplaceAvailability, actor=actor_of(user), trainer_id=trainer_id, dates=body.dates)
    )


@router.post(
    "/{trainer_id}/absence-requests",
    status_code=HTTP_201_CREATED,
    response_model=t.AbsenceRequestDetails,
)
async def request_absence(
    trainer_id: PathId, body: AbsenceRequestBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(t.RequestAbsence, actor=actor_of(user), trainer_id=trainer_id, **body.model_dump())
    )


@router.get("/{trainer_id}/absence-requests", response_model=t.AbsenceRequestPage)
async def list_trainer_absence_requests(
    trainer_id: PathId,
    user: CurrentUser,
    services: ServicesDep,
    status: t.AbsenceStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    return await services.ask(
        build(
            t.ListAbsenceRequests,
            "query",
            actor=actor_of(user),
            trainer_id=trainer_id,
            status=status,
            cursor=cursor,
            limit=limit,
        )
    )
