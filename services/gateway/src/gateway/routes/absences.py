"""/absence-requests: read, decided and withdrawn one by one; sent to trainers."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from contracts import trainers as t
from contracts.envelope import Deleted
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import refusals
from gateway.routes.ids import PathId, QueryId

router = APIRouter(
    prefix="/absence-requests", tags=["absence"], responses=refusals(401, 403, 404, 409, 503)
)


class DecisionBody(BaseModel):
    # Any status reads here; the contract allows only `approved` and `rejected` (a 422 on it).
    status: t.AbsenceStatus


@router.get("", response_model=t.AbsenceRequestPage)
async def list_absence_requests(
    user: CurrentUser,
    services: ServicesDep,
    trainer_id: QueryId = None,
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


@router.get("/{absence_request_id}", response_model=t.AbsenceRequestDetails)
async def get_absence_request(
    absence_request_id: PathId, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        t.GetAbsenceRequest(actor=actor_of(user), absence_request_id=absence_request_id)
    )


@router.patch("/{absence_request_id}", response_model=t.AbsenceRequestDetails)
async def decide_absence_request(
    absence_request_id: PathId, body: DecisionBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(
            t.DecideAbsenceRequest,
            actor=actor_of(user),
            absence_request_id=absence_request_id,
            status=body.status,
        )
    )


@router.delete("/{absence_request_id}", response_model=Deleted)
async def withdraw_absence_request(
    absence_request_id: PathId, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        t.WithdrawAbsenceRequest(actor=actor_of(user), absence_request_id=absence_request_id)
    )
