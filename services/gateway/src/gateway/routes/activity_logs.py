"""A session's activity logs: written by its assigned trainer, read by its parent and admins;
sent to trainers."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.status import HTTP_201_CREATED

from contracts import trainers as t
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import refusals
from gateway.routes.ids import PathId

router = APIRouter(tags=["activity logs"], responses=refusals(401, 403, 404, 409, 503))


class ActivityLogBody(BaseModel):
    activity: str
    notes: str | None = None


class ActivityLogUpdateBody(BaseModel):
    activity: str | None = None
    notes: str | None = None


@router.get("/schedules/{schedule_id}/activity-logs", response_model=t.ActivityLogPage)
async def list_activity_logs(
    schedule_id: PathId,
    user: CurrentUser,
    services: ServicesDep,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    return await services.ask(
        build(
            t.ListActivityLogs,
            "query",
            actor=actor_of(user),
            schedule_id=schedule_id,
            cursor=cursor,
            limit=limit,
        )
    )


@router.post(
    "/schedules/{schedule_id}/activity-logs",
    status_code=HTTP_201_CREATED,
    response_model=t.ActivityLogDetails,
)
async def create_activity_log(
    schedule_id: PathId, body: ActivityLogBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(
            t.CreateActivityLog, actor=actor_of(user), schedule_id=schedule_id, **body.model_dump()
        )
    )


@router.patch("/activity-logs/{activity_log_id}", response_model=t.ActivityLogDetails)
async def update_activity_log(
    activity_log_id: PathId, body: ActivityLogUpdateBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(
            t.UpdateActivityLog,
            actor=actor_of(user),
            activity_log_id=activity_log_id,
            **body.model_dump(exclude_unset=True),
        )
    )
