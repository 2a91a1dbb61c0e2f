"""/healthz, /readyz and /metrics (outside /api/v1)."""

from fastapi import APIRouter, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.routes.deps import StateDep

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: StateDep, response: Response) -> dict[str, str]:
    if not state.nc.is_connected:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "waiting for NATS"}
    return {"status": "ready"}


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
