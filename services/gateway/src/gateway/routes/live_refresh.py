"""/live-refresh/versions: what a reconnecting client compares to learn what changed."""

from fastapi import APIRouter

from contracts.live import GetContextVersions
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import refusals

router = APIRouter(prefix="/live-refresh", tags=["live refresh"], responses=refusals(401, 503))


@router.get("/versions", response_model=dict[str, int])
async def context_versions(user: CurrentUser, services: ServicesDep) -> dict[str, int]:
    answer = await services.ask(GetContextVersions(actor=actor_of(user)))
    return answer.versions
