"""/activity: the feed of what happened ("X did Y"), newest first, for admins; sent to the
notifications service, which answers forbidden for anyone else."""

from datetime import date
from typing import Any

from fastapi import APIRouter

from contracts import notifications as n
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import refusals
from gateway.routes.ids import QueryId

router = APIRouter(
    prefix="/activity", tags=["activity"], responses=refusals(401, 403, 404, 409, 503)
)


@router.get("", response_model=n.ActivityPage)
async def list_activity(
    user: CurrentUser,
    services: ServicesDep,
    actor_id: QueryId = None,
    verb: str | None = None,
    object_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Any:
    return await services.ask(
        build(
            n.ListActivity,
            "query",
            actor=actor_of(user),
            actor_id=actor_id,
            verb=verb,
            object_type=object_type,
            date_from=date_from,
            date_to=date_to,
            cursor=cursor,
            limit=limit,
        )
    )
