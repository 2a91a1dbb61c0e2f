"""/live-refresh/versions: what a reconnecting client compares to learn what changed."""

from fastapi import APIRouter

from contracts.live import ContextVersions, GetContextVersions
from gateway.deps import CurrentUser, ServicesDep, actor_of

router = APIRouter(prefix="/live-refresh", tags=["live refresh"])


@router.get("/versions", response_model=dict[str, int])
async def context_versions(user: CurrentUser, services: ServicesDep) -> dict[str, int]:
    answer = await services.ask(GetContextVersions(actor=actor_of(user)))
    assert isinstance(answer, ContextVersions)
    return answer.versions
