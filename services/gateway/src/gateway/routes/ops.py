"""/healthz and /readyz (outside /api/v1); /metrics has a listener of its own
(`gateway.metrics_listener`)."""

from fastapi import APIRouter, Response, status

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
